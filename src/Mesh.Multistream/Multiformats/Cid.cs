using System.Buffers;

namespace Mesh.Multistream;

/// <summary>
/// A content identifier (https://github.com/multiformats/cid). libp2p uses it as the second text form of a peer id:
/// CIDv1, codec <c>libp2p-key</c> (0x72), multihash of the public key, base32 (<c>bafz…</c>; peer-ids spec).
/// <code>
///   CIDv1 binary:  uvarint version (1) || uvarint codec || multihash
///   CIDv1 text:    multibase prefix || base(binary)          e.g. "b" + base32("01 72 00 24 08 01 12 20 …")
///   CIDv0:         a bare sha2-256 multihash (12 20 …), text is plain base58btc "Qm…" (46 characters)
/// </code>
/// </summary>
/// <remarks>
/// Parsing accepts CIDv1 in every multibase <see cref="Multibase"/> supports and CIDv0; printing uses base32 lower
/// (the CIDv1 default) unless told otherwise. The instance owns a copy of the multihash; the static
/// <see cref="TryParseBytes"/> parses binary CIDs without allocating.
/// </remarks>
public readonly struct Cid : IEquatable<Cid>
{
    /// <summary>Multicodec <c>libp2p-key</c>: the content is a libp2p public key (peer ids).</summary>
    public const ulong Libp2pKeyCodec = 0x72;

    /// <summary>Multicodec <c>dag-pb</c>: the implicit codec of CIDv0.</summary>
    public const ulong DagPbCodec = 0x70;

    /// <summary>Multicodec <c>raw</c>.</summary>
    public const ulong RawCodec = 0x55;

    /// <summary>Longest CID text accepted. Bounds the (quadratic) base58 work an untrusted string can cause.</summary>
    public const int MaxTextLength = 1024;

    private const int CidV0TextLength = 46;
    private const int CidV0ByteLength = 34;

    private readonly byte[]? _multihash;

    private Cid(int version, ulong codec, byte[] multihash)
    {
        Version = version;
        Codec = codec;
        _multihash = multihash;
    }

    /// <summary>0 or 1.</summary>
    public int Version { get; }

    /// <summary>The multicodec of the content (<see cref="DagPbCodec"/> for CIDv0).</summary>
    public ulong Codec { get; }

    /// <summary>The multihash of the content.</summary>
    public ReadOnlyMemory<byte> Multihash => _multihash;

    /// <summary>A CIDv1 over a copy of <paramref name="multihash"/>.</summary>
    /// <exception cref="MultiformatException">The multihash is malformed.</exception>
    public static Cid CreateV1(ulong codec, ReadOnlySpan<byte> multihash)
    {
        Mesh.Multistream.Multihash.Validate(multihash);
        _ = Uvarint.GetByteCount(codec);
        return new Cid(1, codec, multihash.ToArray());
    }

    /// <summary>
    /// Parses a binary CID without allocating: a 34-byte sha2-256 multihash is CIDv0, anything else must be
    /// <c>01 codec multihash</c> with nothing after the multihash.
    /// </summary>
    public static bool TryParseBytes(ReadOnlySpan<byte> bytes, out int version, out ulong codec, out ReadOnlySpan<byte> multihash, out MultiformatError error)
    {
        multihash = default;
        codec = 0;
        version = 0;
        if (bytes.Length == CidV0ByteLength && bytes[0] == (byte)Mesh.Multistream.Multihash.Sha2_256Code && bytes[1] == Mesh.Multistream.Multihash.Sha2_256DigestLength)
        {
            codec = DagPbCodec;
            multihash = bytes;
            error = MultiformatError.None;
            return true;
        }
        OperationStatus status = Uvarint.TryRead(bytes, out ulong v, out int n);
        if (status != OperationStatus.Done)
        {
            error = status == OperationStatus.NeedMoreData ? MultiformatError.Truncated : MultiformatError.InvalidVarint;
            return false;
        }
        if (v != 1)
        {
            error = MultiformatError.UnsupportedCidVersion;
            return false;
        }
        status = Uvarint.TryRead(bytes[n..], out codec, out int m);
        if (status != OperationStatus.Done)
        {
            error = status == OperationStatus.NeedMoreData ? MultiformatError.Truncated : MultiformatError.InvalidVarint;
            return false;
        }
        if (!Mesh.Multistream.Multihash.TryParse(bytes[(n + m)..], out _, out _, out error))
        {
            return false;
        }
        version = 1;
        multihash = bytes[(n + m)..];
        return true;
    }

    /// <summary>Parses a binary CID, throwing <see cref="MultiformatException"/> when malformed.</summary>
    public static Cid FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (!TryFromBytes(bytes, out Cid cid, out MultiformatError error))
        {
            MultiformatException.Throw(error, "CID");
        }
        return cid;
    }

    /// <summary>Parses a binary CID.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out Cid cid, out MultiformatError error)
    {
        if (!TryParseBytes(bytes, out int version, out ulong codec, out ReadOnlySpan<byte> multihash, out error))
        {
            cid = default;
            return false;
        }
        cid = new Cid(version, codec, multihash.ToArray());
        return true;
    }

    /// <summary>Parses CID text (CIDv0 <c>Qm…</c>, or CIDv1 in any supported multibase), throwing <see cref="MultiformatException"/> when malformed.</summary>
    public static Cid Parse(ReadOnlySpan<char> text)
    {
        if (!TryParse(text, out Cid cid, out MultiformatError error))
        {
            if (error is MultiformatError.InvalidCharacter or MultiformatError.UnsupportedMultibase)
            {
                if (IsCidV0Text(text))
                {
                    Base58.ThrowInvalid(text);
                }
                Multibase.ThrowDecodeError(text, error);
            }
            MultiformatException.Throw(error, "CID");
        }
        return cid;
    }

    /// <summary>Parses CID text.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Cid cid) => TryParse(text, out cid, out _);

    /// <summary>Parses CID text, reporting why it was rejected.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Cid cid, out MultiformatError error)
    {
        cid = default;
        if (text.IsEmpty)
        {
            error = MultiformatError.Empty;
            return false;
        }
        if (text.Length > MaxTextLength)
        {
            error = MultiformatError.TooLong;
            return false;
        }
        Span<byte> buffer = stackalloc byte[MaxTextLength];
        int written;
        if (IsCidV0Text(text))
        {
            if (Base58.TryDecode(text, buffer, out written) != OperationStatus.Done)
            {
                error = MultiformatError.InvalidCharacter;
                return false;
            }
            if (written != CidV0ByteLength || buffer[0] != (byte)Mesh.Multistream.Multihash.Sha2_256Code || buffer[1] != Mesh.Multistream.Multihash.Sha2_256DigestLength)
            {
                error = MultiformatError.UnsupportedCidVersion;
                return false;
            }
        }
        else
        {
            if (Multibase.TryDecode(text, buffer, out written, out _, out error) != OperationStatus.Done)
            {
                return false;
            }
            if (written == CidV0ByteLength && buffer[0] == (byte)Mesh.Multistream.Multihash.Sha2_256Code)
            {
                // A CIDv0 binary inside a multibase string is not a valid CID (CID spec: decoding, step 2).
                error = MultiformatError.UnsupportedCidVersion;
                return false;
            }
        }
        return TryFromBytes(buffer[..written], out cid, out error);
    }

    /// <summary>Formats a CIDv1 without building a <see cref="Cid"/> (e.g. a peer id's <c>bafz…</c> form).</summary>
    public static string FormatV1(ulong codec, ReadOnlySpan<byte> multihash, MultibaseEncoding encoding = MultibaseEncoding.Base32Lower)
    {
        int length = Uvarint.GetByteCount(1) + Uvarint.GetByteCount(codec) + multihash.Length;
        byte[]? rented = null;
        Span<byte> buffer = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            buffer[0] = 1;
            Uvarint.TryWrite(buffer[1..], codec, out int n);
            multihash.CopyTo(buffer[(1 + n)..]);
            return Multibase.Encode(encoding, buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The binary size.</summary>
    public int GetByteCount() =>
        Version == 0 ? Multihash.Length : Uvarint.GetByteCount(1) + Uvarint.GetByteCount(Codec) + Multihash.Length;

    /// <summary>Writes the binary form; false when the destination is too small.</summary>
    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        int length = GetByteCount();
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }
        int pos = 0;
        if (Version == 1)
        {
            Uvarint.TryWrite(destination, 1, out int n);
            Uvarint.TryWrite(destination[n..], Codec, out int m);
            pos = n + m;
        }
        Multihash.Span.CopyTo(destination[pos..]);
        bytesWritten = length;
        return true;
    }

    /// <summary>The binary form.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[GetByteCount()];
        TryWrite(bytes, out _);
        return bytes;
    }

    /// <summary>CIDv1 in base32 lower (<c>b…</c>), CIDv0 in plain base58btc (<c>Qm…</c>).</summary>
    public override string ToString() =>
        Version == 0 ? Base58.Encode(Multihash.Span) : FormatV1(Codec, Multihash.Span);

    /// <summary>CIDv1 in the given multibase.</summary>
    /// <exception cref="InvalidOperationException">This is a CIDv0, which has only the base58btc form.</exception>
    public string ToString(MultibaseEncoding encoding) =>
        Version == 0
            ? throw new InvalidOperationException("a CIDv0 has only its plain base58btc form")
            : FormatV1(Codec, Multihash.Span, encoding);

    public bool Equals(Cid other) =>
        Version == other.Version && Codec == other.Codec && Multihash.Span.SequenceEqual(other.Multihash.Span);

    public override bool Equals(object? obj) => obj is Cid other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Version);
        hash.Add(Codec);
        hash.AddBytes(Multihash.Span);
        return hash.ToHashCode();
    }

    public static bool operator ==(Cid left, Cid right) => left.Equals(right);

    public static bool operator !=(Cid left, Cid right) => !left.Equals(right);

    private static bool IsCidV0Text(ReadOnlySpan<char> text) => text.Length == CidV0TextLength && text.StartsWith("Qm", StringComparison.Ordinal);
}
