using System.Buffers.Binary;
using System.IO.Hashing;
using Mesh.Node.Chain.Metadata;
using Org.BouncyCastle.Crypto.Digests;

namespace Mesh.Node.Chain.Storage;

/// <summary>
/// The storage hashers of FRAME (<c>frame_support::Hashable</c>; Substrate docs "Transparent keys"):
/// <code>
///   Twox64Concat      xxh64(data, seed 0) LE ++ data                                   (8 + n bytes)
///   Twox128           xxh64(seed 0) LE ++ xxh64(seed 1) LE                             (16 bytes)
///   Twox256           xxh64 with seeds 0, 1, 2, 3, each LE                             (32 bytes)
///   Blake2_128        BLAKE2b-128(data)                                                (16 bytes)
///   Blake2_128Concat  BLAKE2b-128(data) ++ data                                        (16 + n bytes)
///   Blake2_256        BLAKE2b-256(data)                                                (32 bytes)
///   Identity          data
/// </code>
/// </summary>
public static class StorageHashing
{
    /// <summary>Bytes of hash that precede the raw key in a "concat" hasher (0 for Identity), or the whole output
    /// length for opaque hashers.</summary>
    public static int HashPrefixLength(StorageHasher hasher) => hasher switch
    {
        StorageHasher.Blake2_128 or StorageHasher.Twox128 or StorageHasher.Blake2_128Concat => 16,
        StorageHasher.Blake2_256 or StorageHasher.Twox256 => 32,
        StorageHasher.Twox64Concat => 8,
        _ => 0,
    };

    /// <summary>True when the original key bytes follow the hash (so keys can be recovered when iterating).</summary>
    public static bool IsTransparent(StorageHasher hasher) =>
        hasher is StorageHasher.Blake2_128Concat or StorageHasher.Twox64Concat or StorageHasher.Identity;

    /// <summary>Number of bytes a hash writes for <paramref name="dataLength"/> input bytes.</summary>
    public static int OutputLength(StorageHasher hasher, int dataLength) => hasher switch
    {
        StorageHasher.Blake2_128Concat => 16 + dataLength,
        StorageHasher.Twox64Concat => 8 + dataLength,
        StorageHasher.Identity => dataLength,
        _ => HashPrefixLength(hasher),
    };

    /// <summary>Hashes <paramref name="data"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Hash(StorageHasher hasher, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        int n = OutputLength(hasher, data.Length);
        if (destination.Length < n)
        {
            throw new ArgumentException("destination too short", nameof(destination));
        }
        switch (hasher)
        {
            case StorageHasher.Identity:
                data.CopyTo(destination);
                break;
            case StorageHasher.Twox64Concat:
                BinaryPrimitives.WriteUInt64LittleEndian(destination, XxHash64.HashToUInt64(data, 0));
                data.CopyTo(destination[8..]);
                break;
            case StorageHasher.Twox128:
                Twox(data, destination[..16]);
                break;
            case StorageHasher.Twox256:
                Twox(data, destination[..32]);
                break;
            case StorageHasher.Blake2_128:
                Blake2b(data, destination[..16]);
                break;
            case StorageHasher.Blake2_256:
                Blake2b(data, destination[..32]);
                break;
            case StorageHasher.Blake2_128Concat:
                Blake2b(data, destination[..16]);
                data.CopyTo(destination[16..]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(hasher));
        }
        return n;
    }

    public static byte[] Hash(StorageHasher hasher, ReadOnlySpan<byte> data)
    {
        var result = new byte[OutputLength(hasher, data.Length)];
        Hash(hasher, data, result);
        return result;
    }

    /// <summary>twox128 (the pallet and item prefixes of every storage key).</summary>
    public static void Twox128(ReadOnlySpan<byte> data, Span<byte> destination) => Twox(data, destination[..16]);

    /// <summary>xxh64 with seeds 0, 1, … for each 8 bytes of <paramref name="destination"/>, little-endian.</summary>
    private static void Twox(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length / 8; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(i * 8)..], XxHash64.HashToUInt64(data, i));
        }
    }

    /// <summary>Unkeyed BLAKE2b with the output length of <paramref name="destination"/> (16 or 32 bytes).</summary>
    public static void Blake2b(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var digest = new Blake2bDigest(destination.Length * 8);
        digest.BlockUpdate(data);
        digest.DoFinal(destination);
    }
}
