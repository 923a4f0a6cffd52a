using System.Formats.Cbor;
using System.Text;
using Google.Protobuf;
using Mesh.Kademlia.Libp2p.Protos;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p.Records;

/// <summary>
/// The <c>ipns</c> namespace (IPNS record spec, "Record Verification"; libp2p-specs.md §2i): <c>/ipns/&lt;peer id&gt;</c>
/// holds an <c>IpnsEntry</c> protobuf signed by that peer.
/// </summary>
/// <remarks>
/// <para>A record is valid when: it is at most 10 KiB; it has <c>signatureV2</c> and <c>data</c> (V1-only records
/// are refused, as the spec requires since 2023); the public key (the <c>pubKey</c> field, else the one inlined in an
/// identity peer id) belongs to the peer id of the key; <c>signatureV2</c> verifies over
/// <c>"ipns-signature:" ‖ data</c>; <c>data</c> is a DAG-CBOR map (strict: canonical key order, minimal integers,
/// definite lengths, no duplicates) holding <c>Value</c>, <c>Validity</c>, <c>ValidityType</c>, <c>Sequence</c> and
/// <c>TTL</c>; every V1 protobuf field that is present equals its CBOR counterpart; <c>ValidityType</c> is 0 (EOL) and
/// the <c>Validity</c> time (RFC 3339) is not past.</para>
/// <para><see cref="Select"/>: highest <c>Sequence</c>, then latest <c>Validity</c>, then the first (go boxo
/// <c>ipns.Validator.Select</c>, js <c>ipnsSelector</c>).</para>
/// </remarks>
public sealed class IpnsRecordValidator : IKadRecordValidator
{
    public const string Namespace = "ipns";

    /// <summary>The IPNS spec's record size limit.</summary>
    public const int MaxRecordSize = 10 * 1024;

    private static ReadOnlySpan<byte> SignaturePrefix => "ipns-signature:"u8;

    private readonly TimeProvider _time;

    public IpnsRecordValidator(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    public bool Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason) =>
        TryReadValid(key, value, out _, out reason);

    public int Select(ReadOnlySpan<byte> key, IReadOnlyList<ReadOnlyMemory<byte>> values)
    {
        ArgumentOutOfRangeException.ThrowIfZero(values.Count, nameof(values));
        int best = -1;
        IpnsData bestData = default;
        for (int i = 0; i < values.Count; i++)
        {
            // Select gets valid records; anything unreadable simply loses.
            if (!TryReadData(values[i].Span, out IpnsData data, out _))
            {
                continue;
            }
            if (best < 0 || data.Sequence > bestData.Sequence || (data.Sequence == bestData.Sequence && data.ValidUntil > bestData.ValidUntil))
            {
                best = i;
                bestData = data;
            }
        }
        return Math.Max(best, 0);
    }

    /// <summary>The decoded fields of a record that passed <see cref="Validate"/>.</summary>
    public bool TryReadValid(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out IpnsData data, out string? reason)
    {
        data = default;
        if (!KadRecordKey.TrySplit(key, out ReadOnlySpan<byte> ns, out ReadOnlySpan<byte> peerBytes) || !ns.SequenceEqual("ipns"u8))
        {
            reason = "not an /ipns/ key";
            return false;
        }
        if (!PeerId.TryFromBytes(peerBytes, out PeerId peer))
        {
            reason = "the key after /ipns/ is not a peer id";
            return false;
        }
        if (value.Length > MaxRecordSize)
        {
            reason = $"the record is {value.Length} bytes (the limit is {MaxRecordSize})";
            return false;
        }
        if (!TryParseEntry(value, out IpnsEntry? entry))
        {
            reason = "the value is not an IpnsEntry protobuf";
            return false;
        }
        if (!entry.HasSignatureV2 || !entry.HasData)
        {
            reason = "the record has no signatureV2 or no data (V1-only records are refused)";
            return false;
        }
        PublicKey? publicKey;
        if (entry.HasPubKey)
        {
            if (!PublicKey.TryFromProtobuf(entry.PubKey.Span, out publicKey))
            {
                reason = "pubKey is not a libp2p PublicKey protobuf";
                return false;
            }
            if (publicKey.PeerId != peer)
            {
                reason = "pubKey does not belong to the peer id of the key";
                return false;
            }
        }
        else if (!peer.TryExtractPublicKey(out publicKey))
        {
            reason = "no pubKey and the peer id does not inline its key";
            return false;
        }
        ReadOnlySpan<byte> signed = entry.Data.Span;
        byte[] message = new byte[SignaturePrefix.Length + signed.Length];
        SignaturePrefix.CopyTo(message);
        signed.CopyTo(message.AsSpan(SignaturePrefix.Length));
        if (!publicKey.Verify(message, entry.SignatureV2.Span))
        {
            reason = "signatureV2 does not verify";
            return false;
        }
        if (!TryParseCbor(signed, out data, out reason))
        {
            return false;
        }
        if ((entry.HasValue && !entry.Value.Span.SequenceEqual(data.Value.Span))
            || (entry.HasValidity && !entry.Validity.Span.SequenceEqual(data.ValidityBytes.Span))
            || (entry.HasValidityType && (ulong)entry.ValidityType != data.ValidityType)
            || (entry.HasSequence && entry.Sequence != data.Sequence)
            || (entry.HasTtl && entry.Ttl != data.Ttl))
        {
            reason = "a protobuf field differs from the signed CBOR data";
            return false;
        }
        if (data.ValidityType != 0)
        {
            reason = $"unknown ValidityType {data.ValidityType} (only 0, EOL, is defined)";
            return false;
        }
        if (_time.GetUtcNow() > data.ValidUntil)
        {
            reason = $"the record expired at {data.ValidUntil:O}";
            return false;
        }
        reason = null;
        return true;
    }

    private static bool TryReadData(ReadOnlySpan<byte> value, out IpnsData data, out string? reason)
    {
        data = default;
        if (value.Length > MaxRecordSize || !TryParseEntry(value, out IpnsEntry? entry) || !entry.HasData)
        {
            reason = "not an IPNS record";
            return false;
        }
        return TryParseCbor(entry.Data.Span, out data, out reason);
    }

    private static bool TryParseEntry(ReadOnlySpan<byte> value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IpnsEntry? entry)
    {
        try
        {
            entry = IpnsEntry.Parser.ParseFrom(value);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            entry = null;
            return false;
        }
    }

    /// <summary>The IPNS <c>data</c> map, read with a strict (canonical) CBOR reader.</summary>
    internal static bool TryParseCbor(ReadOnlySpan<byte> cbor, out IpnsData data, out string? reason)
    {
        data = default;
        byte[]? value = null;
        byte[]? validity = null;
        ulong? validityType = null, sequence = null, ttl = null;
        try
        {
            // Canonical mode: definite lengths, minimal integers, keys sorted length-first then bytewise, no
            // duplicate keys; the DAG-CBOR rules for the text-keyed map IPNS uses.
            var reader = new CborReader(cbor.ToArray(), CborConformanceMode.Canonical);
            int? count = reader.ReadStartMap();
            if (count is null or > 64)
            {
                reason = "data is not a small definite-length CBOR map";
                return false;
            }
            for (int i = 0; i < count; i++)
            {
                string name = reader.ReadTextString();
                switch (name)
                {
                    case "Value":
                        value = reader.ReadByteString();
                        break;
                    case "Validity":
                        validity = reader.ReadByteString();
                        break;
                    case "ValidityType":
                        validityType = reader.ReadUInt64();
                        break;
                    case "Sequence":
                        sequence = reader.ReadUInt64();
                        break;
                    case "TTL":
                        ttl = reader.ReadUInt64();
                        break;
                    default:
                        // Extension fields are allowed by the spec; they are signed but not interpreted here.
                        reader.SkipValue();
                        break;
                }
            }
            reader.ReadEndMap();
            if (reader.BytesRemaining != 0)
            {
                reason = "data has bytes after its CBOR map";
                return false;
            }
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            reason = "data is not canonical DAG-CBOR: " + ex.Message;
            return false;
        }
        if (value is null || validity is null || validityType is null || sequence is null || ttl is null)
        {
            reason = "data lacks one of Value, Validity, ValidityType, Sequence, TTL";
            return false;
        }
        string validityText;
        try
        {
            validityText = new UTF8Encoding(false, true).GetString(validity);
        }
        catch (DecoderFallbackException)
        {
            reason = "Validity is not UTF-8";
            return false;
        }
        if (!Rfc3339.TryParse(validityText, out DateTimeOffset validUntil))
        {
            reason = $"Validity '{validityText}' is not an RFC 3339 time";
            return false;
        }
        data = new IpnsData(value, validity, validityType.Value, sequence.Value, ttl.Value, validUntil);
        reason = null;
        return true;
    }
}

/// <summary>The signed fields of an IPNS record (its DAG-CBOR <c>data</c>).</summary>
public readonly record struct IpnsData(
    ReadOnlyMemory<byte> Value,
    ReadOnlyMemory<byte> ValidityBytes,
    ulong ValidityType,
    ulong Sequence,
    ulong Ttl,
    DateTimeOffset ValidUntil);
