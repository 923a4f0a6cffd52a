using System.Buffers;
using System.Security.Cryptography;

namespace Mesh.Multistream;

/// <summary>
/// Multihash (https://github.com/multiformats/multihash): a self-describing digest.
/// <code>
///   +----------------------+------------------------+-----------------------+
///   | uvarint hash code    | uvarint digest length  | digest (length bytes) |
///   +----------------------+------------------------+-----------------------+
///   e.g. identity:  00 24 &lt;36 bytes&gt;        sha2-256:  12 20 &lt;32 bytes&gt;
/// </code>
/// Peer ids are multihashes of the public-key protobuf (identity for keys of at most 42 bytes, sha2-256 otherwise;
/// libp2p peer-ids spec). Parsing is allocation-free over spans; hash functions this library knows must carry their
/// exact digest length, unknown codes are accepted structurally.
/// </summary>
public static class Multihash
{
    /// <summary>The identity "hash": the digest is the data itself.</summary>
    public const ulong IdentityCode = 0x00;

    /// <summary>sha1 (20-byte digest).</summary>
    public const ulong Sha1Code = 0x11;

    /// <summary>sha2-256 (32-byte digest).</summary>
    public const ulong Sha2_256Code = 0x12;

    /// <summary>sha2-512 (64-byte digest).</summary>
    public const ulong Sha2_512Code = 0x13;

    /// <summary>sha2-384 (48-byte digest).</summary>
    public const ulong Sha2_384Code = 0x20;

    /// <summary>Digest length of sha2-256.</summary>
    public const int Sha2_256DigestLength = 32;

    /// <summary>
    /// The digest length a known hash function requires, or -1 when the code is unknown or the length is free
    /// (identity).
    /// </summary>
    public static int GetDigestLength(ulong code) => code switch
    {
        Sha1Code => 20,
        Sha2_256Code => 32,
        Sha2_512Code => 64,
        Sha2_384Code => 48,
        _ => -1,
    };

    /// <summary>
    /// Reads one multihash from the start of <paramref name="source"/>, which may continue past it.
    /// </summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> with the code, the digest (a slice of <paramref name="source"/>) and the
    /// multihash length; <see cref="OperationStatus.NeedMoreData"/> when the span ends inside it;
    /// <see cref="OperationStatus.InvalidData"/> with <paramref name="error"/> for a malformed varint or a digest
    /// length a known hash function does not have.
    /// </returns>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ulong code, out ReadOnlySpan<byte> digest, out int bytesRead, out MultiformatError error)
    {
        digest = default;
        bytesRead = 0;
        OperationStatus status = Uvarint.TryRead(source, out code, out int codeLength, out _);
        if (status != OperationStatus.Done)
        {
            error = status == OperationStatus.InvalidData ? MultiformatError.InvalidVarint : MultiformatError.None;
            return status;
        }
        status = Uvarint.TryRead(source[codeLength..], out ulong length, out int lengthLength, out _);
        if (status != OperationStatus.Done)
        {
            error = status == OperationStatus.InvalidData ? MultiformatError.InvalidVarint : MultiformatError.None;
            return status;
        }
        int expected = GetDigestLength(code);
        if (expected >= 0 && length != (ulong)expected)
        {
            error = MultiformatError.DigestLengthMismatch;
            return OperationStatus.InvalidData;
        }
        int headerLength = codeLength + lengthLength;
        if (length > (ulong)(source.Length - headerLength))
        {
            error = MultiformatError.None;
            return OperationStatus.NeedMoreData;
        }
        digest = source.Slice(headerLength, (int)length);
        bytesRead = headerLength + (int)length;
        error = MultiformatError.None;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Parses <paramref name="multihash"/> as exactly one multihash (no trailing bytes). Returns false with the reason
    /// on any defect, including truncation.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> multihash, out ulong code, out ReadOnlySpan<byte> digest, out MultiformatError error)
    {
        OperationStatus status = TryRead(multihash, out code, out digest, out int bytesRead, out error);
        if (status == OperationStatus.NeedMoreData)
        {
            error = MultiformatError.Truncated;
            return false;
        }
        if (status != OperationStatus.Done)
        {
            return false;
        }
        if (bytesRead != multihash.Length)
        {
            error = MultiformatError.TrailingBytes;
            digest = default;
            return false;
        }
        return true;
    }

    /// <summary>True when <paramref name="multihash"/> is exactly one well-formed multihash.</summary>
    public static bool IsValid(ReadOnlySpan<byte> multihash) => TryParse(multihash, out _, out _, out _);

    /// <summary>Parses exactly one multihash, throwing <see cref="MultiformatException"/> when malformed.</summary>
    public static ReadOnlySpan<byte> Parse(ReadOnlySpan<byte> multihash, out ulong code)
    {
        if (!TryParse(multihash, out code, out ReadOnlySpan<byte> digest, out MultiformatError error))
        {
            MultiformatException.Throw(error, "multihash");
        }
        return digest;
    }

    /// <summary>Throws <see cref="MultiformatException"/> unless <paramref name="multihash"/> is exactly one well-formed multihash.</summary>
    public static void Validate(ReadOnlySpan<byte> multihash) => Parse(multihash, out _);

    /// <summary>The encoded size of a multihash with this code and digest length.</summary>
    public static int GetByteCount(ulong code, int digestLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digestLength);
        return Uvarint.GetByteCount(code) + Uvarint.GetByteCount((ulong)digestLength) + digestLength;
    }

    /// <summary>
    /// Writes <c>code || length || digest</c>. Returns false when the destination is too small.
    /// </summary>
    /// <exception cref="ArgumentException">The digest length is wrong for a known hash function.</exception>
    public static bool TryWrite(Span<byte> destination, ulong code, ReadOnlySpan<byte> digest, out int bytesWritten)
    {
        CheckDigestLength(code, digest.Length);
        int total = GetByteCount(code, digest.Length);
        if (destination.Length < total)
        {
            bytesWritten = 0;
            return false;
        }
        Uvarint.TryWrite(destination, code, out int n);
        Uvarint.TryWrite(destination[n..], (ulong)digest.Length, out int m);
        digest.CopyTo(destination[(n + m)..]);
        bytesWritten = total;
        return true;
    }

    /// <summary>Writes <c>code || length || digest</c> into <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentException">The digest length is wrong for a known hash function.</exception>
    public static void Write(IBufferWriter<byte> writer, ulong code, ReadOnlySpan<byte> digest)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int total = GetByteCount(code, digest.Length);
        TryWrite(writer.GetSpan(total), code, digest, out int written);
        writer.Advance(written);
    }

    /// <summary>A new multihash array <c>code || length || digest</c>.</summary>
    /// <exception cref="ArgumentException">The digest length is wrong for a known hash function.</exception>
    public static byte[] Create(ulong code, ReadOnlySpan<byte> digest)
    {
        CheckDigestLength(code, digest.Length);
        var result = new byte[GetByteCount(code, digest.Length)];
        TryWrite(result, code, digest, out _);
        return result;
    }

    /// <summary>The identity multihash of <paramref name="data"/> (<c>00 len data</c>).</summary>
    public static byte[] CreateIdentity(ReadOnlySpan<byte> data) => Create(IdentityCode, data);

    /// <summary>The sha2-256 multihash of <paramref name="data"/> (<c>12 20 sha256(data)</c>).</summary>
    public static byte[] ComputeSha2_256(ReadOnlySpan<byte> data)
    {
        var result = new byte[2 + Sha2_256DigestLength];
        TryComputeSha2_256(data, result, out _);
        return result;
    }

    /// <summary>Writes the sha2-256 multihash of <paramref name="data"/>; false when the destination is shorter than 34 bytes.</summary>
    public static bool TryComputeSha2_256(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
    {
        if (destination.Length < 2 + Sha2_256DigestLength)
        {
            bytesWritten = 0;
            return false;
        }
        destination[0] = (byte)Sha2_256Code;
        destination[1] = Sha2_256DigestLength;
        SHA256.HashData(data, destination.Slice(2, Sha2_256DigestLength));
        bytesWritten = 2 + Sha2_256DigestLength;
        return true;
    }

    private static void CheckDigestLength(ulong code, int length)
    {
        int expected = GetDigestLength(code);
        if (expected >= 0 && expected != length)
        {
            throw new ArgumentException($"hash function 0x{code:x} has {expected}-byte digests, got {length}", "digest");
        }
    }
}
