using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using Mesh.Kademlia.Serialization;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Validation;

/// <summary>
/// mesh <c>SignatureValidator</c> (mesh-reference §2, <c>mesh/dht/crypto.py</c>): <em>protected records</em>. A record
/// whose key or subkey holds <c>[owner:&lt;OpenSSH public key&gt;]</c> must carry, at the end of its value, exactly one
/// <c>[signature:&lt;base64&gt;]</c> made by that key over <c>msgpack((key, subkey, value_without_signature,
/// expiration_time))</c> (a tuple: ext 0x40 around a 4-array, the expiration a float64). RSA keys sign with RSA-PSS
/// (SHA-256, MGF1-SHA-256, maximum salt), Ed25519 keys with pure Ed25519 (<see cref="MeshSignatureScheme"/>).
/// Records without an owner marker are not its business (valid). Priority 10: it validates first and strips its marker
/// before the schema and predicate validators see the value.
/// </summary>
/// <remarks>
/// <para>Marker parsing is <see cref="RecordMarkers"/> (Python <c>re</c> semantics, no regex engine); the base64 text
/// is decoded exactly as Python's lenient <c>b64decode</c>; the signing payload is written straight into a pooled or
/// stack buffer (<see cref="RecordTuple"/>) without copying the value minus its marker first.</para>
/// <para>Difference from mesh, deliberate: an owner marker that is not an RSA or Ed25519 OpenSSH key makes the record
/// invalid; mesh's <c>load_public_key_from_bytes</c> raises instead, which fails the whole RPC.</para>
/// </remarks>
public sealed class SignatureValidator : RecordValidatorBase
{
    private const int StackPayloadLimit = 1024;

    private readonly PrivateKey _privateKey;
    private readonly byte[] _localPublicKey;

    [ThreadStatic]
    private static (byte[] Text, PublicKey Key)? t_lastOwner;

    /// <param name="privateKey">The local identity (RSA or Ed25519), used to sign records it owns.</param>
    public SignatureValidator(PrivateKey privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (!MeshSignatureScheme.IsSupported(privateKey.Type))
        {
            throw new ArgumentException($"mesh signs records with RSA or Ed25519 keys, not {privateKey.Type}.", nameof(privateKey));
        }
        _privateKey = privateKey;
        _localPublicKey = FormatOwnerMarker(privateKey.PublicKey);
    }

    /// <summary><c>local_public_key</c>: <c>[owner:ssh-… AAAA…]</c> for this validator's key.</summary>
    public ReadOnlyMemory<byte> LocalPublicKey => _localPublicKey;

    public override int Priority => 10;

    /// <summary><c>[owner:&lt;OpenSSH text of key&gt;]</c>.</summary>
    public static byte[] FormatOwnerMarker(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] ssh = OpenSshPublicKey.Format(key);
        return [.. RecordMarkers.OwnerPrefix, .. ssh, (byte)']'];
    }

    /// <summary>mesh keeps one signature validator: another one merges away.</summary>
    public override bool MergeWith(IRecordValidator other) => other is SignatureValidator;

    public override bool Validate(in DhtRecord record, DhtRecordRequestType type)
    {
        ReadOnlySpan<byte> key = record.Key.Span;
        ReadOnlySpan<byte> subkey = record.Subkey.Span;
        ReadOnlySpan<byte> value = record.Value.Span;

        // 1. The owner: every [owner:…] in key and subkey must name the same key; none means unprotected.
        ReadOnlySpan<byte> owner = default;
        bool protectedRecord = false;
        if (!CollectOwner(key, ref owner, ref protectedRecord) || !CollectOwner(subkey, ref owner, ref protectedRecord))
        {
            return false;
        }
        if (!protectedRecord)
        {
            return true;
        }
        if (!TryParseOwner(owner, out PublicKey? publicKey))
        {
            return false;
        }

        // 2. Exactly one signature marker in the value.
        MarkerMatch signature = default;
        int signatures = 0;
        foreach (MarkerMatch m in RecordMarkers.FindAll(value, RecordMarkers.SignaturePrefix))
        {
            signature = m;
            if (++signatures > 1)
            {
                return false;
            }
        }
        if (signatures != 1)
        {
            return false;
        }

        // 3. The signature bytes, decoded as Python's b64decode does.
        ReadOnlySpan<byte> text = value[signature.Content];
        byte[]? rentedSignature = null;
        int maxSignature = PythonBase64.GetMaxDecodedLength(text.Length);
        Span<byte> signatureBytes = maxSignature <= 768 ? stackalloc byte[768] : (rentedSignature = ArrayPool<byte>.Shared.Rent(maxSignature));
        byte[]? rentedPayload = null;
        try
        {
            if (!PythonBase64.TryDecode(text, signatureBytes, out int signatureLength))
            {
                return false;
            }

            // 4. The payload over the value without its marker, written around the marker without copying the value.
            ReadOnlySpan<byte> head = value[..signature.Start];
            ReadOnlySpan<byte> tail = value[signature.End..];
            int payloadLength = RecordTuple.GetEncodedLength(key.Length, subkey.Length, head.Length + tail.Length);
            Span<byte> payload = payloadLength <= StackPayloadLimit
                ? stackalloc byte[StackPayloadLimit]
                : (rentedPayload = ArrayPool<byte>.Shared.Rent(payloadLength));
            RecordTuple.TryWrite(payload, key, subkey, head, tail, record.ExpirationTime, out int written);
            return MeshSignatureScheme.Verify(publicKey, payload[..written], signatureBytes[..signatureLength]);
        }
        finally
        {
            if (rentedSignature is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedSignature);
            }
            if (rentedPayload is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedPayload);
            }
        }
    }

    /// <summary>
    /// <c>sign_value</c>: if the record names this validator's key as owner (in its key or subkey), the value followed by
    /// <c>[signature:&lt;base64&gt;]</c> over the record as given; otherwise the value unchanged.
    /// </summary>
    public override ReadOnlyMemory<byte> SignValue(in DhtRecord record)
    {
        if (record.Key.Span.IndexOf(_localPublicKey) < 0 && record.Subkey.Span.IndexOf(_localPublicKey) < 0)
        {
            return record.Value;
        }
        ReadOnlySpan<byte> value = record.Value.Span;
        int payloadLength = RecordTuple.GetEncodedLength(record.Key.Length, record.Subkey.Length, value.Length);
        byte[] payload = ArrayPool<byte>.Shared.Rent(payloadLength);
        try
        {
            RecordTuple.TryWrite(payload, record.Key.Span, record.Subkey.Span, value, record.ExpirationTime, out int written);
            byte[] signature = MeshSignatureScheme.Sign(_privateKey, payload.AsSpan(0, written));
            int base64Length = Base64.GetMaxEncodedToUtf8Length(signature.Length);
            byte[] signed = new byte[value.Length + RecordMarkers.SignaturePrefix.Length + base64Length + 1];
            value.CopyTo(signed);
            int pos = value.Length;
            RecordMarkers.SignaturePrefix.CopyTo(signed.AsSpan(pos));
            pos += RecordMarkers.SignaturePrefix.Length;
            Base64.EncodeToUtf8(signature, signed.AsSpan(pos), out _, out int encoded);
            pos += encoded;
            signed[pos++] = (byte)']';
            return signed.AsMemory(0, pos);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    /// <summary><c>strip_value</c>: the value with every <c>[signature:…]</c> removed.</summary>
    public override ReadOnlyMemory<byte> StripValue(in DhtRecord record) =>
        RecordMarkers.Strip(record.Value, RecordMarkers.SignaturePrefix);

    private static bool CollectOwner(ReadOnlySpan<byte> data, ref ReadOnlySpan<byte> owner, ref bool found)
    {
        foreach (MarkerMatch m in RecordMarkers.FindAll(data, RecordMarkers.OwnerPrefix))
        {
            ReadOnlySpan<byte> content = data[m.Content];
            if (!found)
            {
                owner = content;
                found = true;
            }
            else if (!content.SequenceEqual(owner))
            {
                return false; // key and subkey cannot name different owners
            }
        }
        return true;
    }

    private static bool TryParseOwner(ReadOnlySpan<byte> text, [NotNullWhen(true)] out PublicKey? key)
    {
        // Heartbeats and commits are validated over and over for the same few owners: remember the last one per thread.
        if (t_lastOwner is (byte[] lastText, PublicKey lastKey) && text.SequenceEqual(lastText))
        {
            key = lastKey;
            return true;
        }
        if (text.Length > OpenSshPublicKey.MaxTextLength || !OpenSshPublicKey.TryParse(text, out key) || !MeshSignatureScheme.IsSupported(key.Type))
        {
            key = null;
            return false;
        }
        t_lastOwner = (text.ToArray(), key);
        return true;
    }
}
