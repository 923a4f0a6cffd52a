using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Mesh.Multistream;

namespace Mesh.Transport.Identity;

/// <summary>
/// A libp2p peer id (peer-ids spec, "Peer Ids"): the multihash of the peer's canonical <c>PublicKey</c> protobuf —
/// the identity multihash when that protobuf is at most <see cref="MaxInlineKeyLength"/> bytes (Ed25519, secp256k1:
/// <c>00 len protobuf</c>), sha2-256 otherwise (RSA, ECDSA: <c>12 20 sha256(protobuf)</c>).
/// Text forms: base58btc of the multihash (<c>12D3KooW…</c>, <c>16Uiu2…</c>, <c>Qm…</c>; the display default) and a
/// CIDv1 with the <c>libp2p-key</c> codec in any multibase (<c>bafz…</c> in base32); both are parsed.
/// </summary>
/// <remarks>
/// A small immutable value: a reference to the multihash bytes plus a hash code computed once (randomised per
/// process, like string hashing, so peers cannot choose ids that collide in our dictionaries). Equality and
/// <see cref="GetHashCode"/> never allocate. <c>default(PeerId)</c> is the empty id (<see cref="IsEmpty"/>); it equals
/// only itself.
/// </remarks>
public readonly struct PeerId : IEquatable<PeerId>, IComparable<PeerId>, ISpanFormattable, IUtf8SpanFormattable, ISpanParsable<PeerId>
{
    /// <summary>Public-key protobufs up to this length are inlined with the identity multihash (peer-ids spec).</summary>
    public const int MaxInlineKeyLength = 42;

    /// <summary>The longest text accepted by <see cref="Parse(ReadOnlySpan{char})"/> (a base2 CID of the longest id fits).</summary>
    public const int MaxTextLength = 512;

    /// <summary>The longest binary peer id: an identity multihash of a 42-byte key (<c>00 2a</c> + 42).</summary>
    internal const int MaxByteLength = 2 + MaxInlineKeyLength;

    private readonly byte[]? _bytes;
    private readonly int _hashCode;

    private PeerId(byte[] bytes)
    {
        _bytes = bytes;
        var hasher = new HashCode();
        hasher.AddBytes(bytes);
        _hashCode = hasher.ToHashCode();
    }

    /// <summary>The multihash bytes (empty for <c>default</c>).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The multihash bytes as memory, for callers that store them.</summary>
    public ReadOnlyMemory<byte> Memory => _bytes;

    /// <summary>True for <c>default(PeerId)</c>.</summary>
    public bool IsEmpty => _bytes is null;

    /// <summary>True when the id inlines its public key (identity multihash), so <see cref="TryExtractPublicKey"/> can succeed.</summary>
    public bool HasInlinePublicKey => _bytes is { Length: > 0 } b && b[0] == (byte)Multihash.IdentityCode;

    /// <summary>The peer id of <paramref name="key"/> (cached on the key).</summary>
    public static PeerId FromPublicKey(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.PeerId;
    }

    /// <summary>Validates and copies a binary peer id (a multihash: identity of at most 42 bytes, or sha2-256).</summary>
    /// <exception cref="PeerIdFormatException">Not a valid peer id multihash.</exception>
    public static PeerId FromBytes(ReadOnlySpan<byte> multihash)
    {
        PeerIdFormatError error = Validate(multihash);
        if (error != PeerIdFormatError.None)
        {
            PeerIdFormatException.Throw(error);
        }
        return new PeerId(multihash.ToArray());
    }

    /// <summary>Validates and copies a binary peer id without throwing.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> multihash, out PeerId peerId) => TryFromBytes(multihash, out peerId, out _);

    /// <summary>Validates and copies a binary peer id without throwing, reporting why it was rejected.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> multihash, out PeerId peerId, out PeerIdFormatError error)
    {
        error = Validate(multihash);
        peerId = error == PeerIdFormatError.None ? new PeerId(multihash.ToArray()) : default;
        return error == PeerIdFormatError.None;
    }

    /// <summary>Parses base58btc (<c>12D3KooW…</c>, <c>16Uiu2…</c>, <c>Qm…</c>) or a multibase CIDv1 <c>libp2p-key</c> (<c>bafz…</c>).</summary>
    /// <exception cref="PeerIdFormatException">Not a peer id.</exception>
    public static PeerId Parse(ReadOnlySpan<char> text)
    {
        if (!TryParse(text, out PeerId peerId, out PeerIdFormatError error))
        {
            PeerIdFormatException.Throw(error);
        }
        return peerId;
    }

    /// <inheritdoc cref="Parse(ReadOnlySpan{char})"/>
    public static PeerId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.AsSpan());
    }

    /// <summary>Parses a peer id from text without throwing.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out PeerId peerId) => TryParse(text, out peerId, out _);

    /// <summary>Parses a peer id from text without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PeerId peerId) => TryParse(text.AsSpan(), out peerId, out _);

    /// <summary>Parses a peer id from text without throwing, reporting why it was rejected.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out PeerId peerId, out PeerIdFormatError error)
    {
        peerId = default;
        if (text.IsEmpty)
        {
            error = PeerIdFormatError.Empty;
            return false;
        }
        if (text.Length > MaxTextLength)
        {
            error = PeerIdFormatError.TooLong;
            return false;
        }
        // peer-ids spec, "Decoding": a bare base58btc multihash starts with '1' (identity) or "Qm" (sha2-256);
        // anything else must be a multibase-encoded CID.
        Span<byte> buffer = stackalloc byte[MaxTextLength];
        int length;
        if (text[0] == '1' || text.StartsWith("Qm", StringComparison.Ordinal))
        {
            if (Base58.TryDecode(text, buffer, out length) != OperationStatus.Done)
            {
                error = PeerIdFormatError.InvalidText;
                return false;
            }
            error = Validate(buffer[..length]);
        }
        else
        {
            error = PeerIdCid.TryDecode(text, buffer, out ReadOnlySpan<byte> multihash);
            if (error == PeerIdFormatError.None)
            {
                error = Validate(multihash);
            }
            if (error != PeerIdFormatError.None)
            {
                return false;
            }
            peerId = new PeerId(multihash.ToArray());
            return true;
        }
        if (error != PeerIdFormatError.None)
        {
            return false;
        }
        peerId = new PeerId(buffer[..length].ToArray());
        return true;
    }

    /// <summary>Parses a peer id from UTF-8 text (e.g. the ASCII bytes mesh sends to the chain).</summary>
    /// <exception cref="PeerIdFormatException">Not a peer id.</exception>
    public static PeerId ParseUtf8(ReadOnlySpan<byte> utf8Text)
    {
        if (!TryParseUtf8(utf8Text, out PeerId peerId, out PeerIdFormatError error))
        {
            PeerIdFormatException.Throw(error);
        }
        return peerId;
    }

    /// <summary>Parses a peer id from UTF-8 text without throwing.</summary>
    public static bool TryParseUtf8(ReadOnlySpan<byte> utf8Text, out PeerId peerId, out PeerIdFormatError error)
    {
        if (utf8Text.Length > MaxTextLength)
        {
            peerId = default;
            error = PeerIdFormatError.TooLong;
            return false;
        }
        // Every valid form is ASCII; a non-ASCII byte widens to a char no alphabet contains.
        Span<char> text = stackalloc char[utf8Text.Length];
        for (int i = 0; i < utf8Text.Length; i++)
        {
            text[i] = (char)utf8Text[i];
        }
        return TryParse(text, out peerId, out error);
    }

    /// <summary>
    /// The public key inlined in an identity-multihash peer id (Ed25519, secp256k1). False for sha2-256 ids (RSA,
    /// ECDSA: the key must come from the peer, e.g. in the Noise handshake) and for inlined bytes that are not a
    /// canonical key protobuf.
    /// </summary>
    public bool TryExtractPublicKey([NotNullWhen(true)] out PublicKey? key)
    {
        key = null;
        if (!HasInlinePublicKey)
        {
            return false;
        }
        ReadOnlySpan<byte> digest = Multihash.Parse(_bytes, out _);
        if (!PublicKey.TryFromProtobuf(digest, out PublicKey? candidate))
        {
            return false;
        }
        // A non-canonical inline key (an uncompressed secp256k1 point) would re-encode to a different id.
        if (!candidate.PeerId.Equals(this))
        {
            return false;
        }
        key = candidate;
        return true;
    }

    /// <summary>True when this is the peer id of <paramref name="key"/>.</summary>
    public bool Matches(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.PeerId.Equals(this);
    }

    /// <summary>The multihash bytes as a new array.</summary>
    public byte[] ToByteArray() => _bytes is null ? [] : (byte[])_bytes.Clone();

    /// <summary>The base58btc form (<c>12D3KooW…</c> / <c>Qm…</c>), the canonical display form; empty for <c>default</c>.</summary>
    public override string ToString() => _bytes is null ? string.Empty : Base58.Encode(_bytes);

    /// <summary>The CIDv1 <c>libp2p-key</c> form in base32 (<c>bafz…</c>).</summary>
    public string ToCidString()
    {
        if (_bytes is null)
        {
            return string.Empty;
        }
        return PeerIdCid.Encode(_bytes);
    }

    /// <summary>Writes the base58btc form.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        if (_bytes is null)
        {
            charsWritten = 0;
            return true;
        }
        return Base58.TryEncode(_bytes, destination, out charsWritten);
    }

    /// <summary>Writes the base58btc form as UTF-8 (ASCII).</summary>
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten)
    {
        if (_bytes is null)
        {
            bytesWritten = 0;
            return true;
        }
        Span<char> text = stackalloc char[Base58.GetMaxEncodedLength(MaxByteLength)];
        if (_bytes.Length > MaxByteLength || !Base58.TryEncode(_bytes, text, out int length) || length > utf8Destination.Length)
        {
            bytesWritten = 0;
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            utf8Destination[i] = (byte)text[i];
        }
        bytesWritten = length;
        return true;
    }

    bool ISpanFormattable.TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryFormat(destination, out charsWritten);

    bool IUtf8SpanFormattable.TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryFormat(utf8Destination, out bytesWritten);

    string IFormattable.ToString(string? format, IFormatProvider? formatProvider) => ToString();

    static PeerId ISpanParsable<PeerId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s);

    static bool ISpanParsable<PeerId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out PeerId result) => TryParse(s, out result);

    static PeerId IParsable<PeerId>.Parse(string s, IFormatProvider? provider) => Parse(s);

    static bool IParsable<PeerId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out PeerId result) => TryParse(s, out result);

    public bool Equals(PeerId other)
    {
        if (_hashCode != other._hashCode)
        {
            return false;
        }
        return ReferenceEquals(_bytes, other._bytes) || (_bytes is not null && other._bytes is not null && _bytes.AsSpan().SequenceEqual(other._bytes));
    }

    public override bool Equals([NotNullWhen(true)] object? obj) => obj is PeerId other && Equals(other);

    public override int GetHashCode() => _hashCode;

    /// <summary>Orders by the multihash bytes (a stable, deterministic order for sorted output).</summary>
    public int CompareTo(PeerId other) => Bytes.SequenceCompareTo(other.Bytes);

    public static bool operator ==(PeerId left, PeerId right) => left.Equals(right);

    public static bool operator !=(PeerId left, PeerId right) => !left.Equals(right);

    /// <summary>Wraps bytes this assembly computed itself (already valid, never shared with callers).</summary>
    internal static PeerId FromTrustedBytes(byte[] multihash) => new(multihash);

    /// <summary>The peer id multihash of a key's canonical protobuf (peer-ids spec, "Peer Ids").</summary>
    internal static byte[] ComputeMultihash(PublicKey key)
    {
        int length = key.GetProtobufLength();
        if (length <= MaxInlineKeyLength)
        {
            Span<byte> protobuf = stackalloc byte[MaxInlineKeyLength];
            key.WriteProtobuf(protobuf);
            return Multihash.CreateIdentity(protobuf[..length]);
        }
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            key.WriteProtobuf(rented);
            return Multihash.ComputeSha2_256(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Checks that <paramref name="multihash"/> is a peer id: identity of at most 42 bytes, or sha2-256.</summary>
    private static PeerIdFormatError Validate(ReadOnlySpan<byte> multihash)
    {
        if (multihash.IsEmpty)
        {
            return PeerIdFormatError.Empty;
        }
        if (!Multihash.TryParse(multihash, out ulong code, out ReadOnlySpan<byte> digest, out _))
        {
            return PeerIdFormatError.InvalidMultihash;
        }
        return code switch
        {
            Multihash.IdentityCode => digest.Length <= MaxInlineKeyLength ? PeerIdFormatError.None : PeerIdFormatError.InlineKeyTooLong,
            Multihash.Sha2_256Code => PeerIdFormatError.None,  // Multihash already checked the 32-byte digest
            _ => PeerIdFormatError.UnsupportedHashFunction,
        };
    }
}
