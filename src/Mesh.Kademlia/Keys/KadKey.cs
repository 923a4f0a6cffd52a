namespace Mesh.Kademlia.Keys;

/// <summary>Keyspace helpers shared by every <see cref="IKadKey{TSelf}"/> width.</summary>
public static class KadKey
{
    /// <summary>
    /// A random key inside the subtree of keys sharing the first <paramref name="prefixLength"/> bits of
    /// <paramref name="prefix"/> (a k-bucket's range), as bucket refresh needs.
    /// </summary>
    public static TKey RandomInSubtree<TKey>(in TKey prefix, int prefixLength, Random random)
        where TKey : struct, IKadKey<TKey>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, TKey.BitLength);
        TKey mask = TKey.PrefixMask(prefixLength);
        return (prefix & mask) | (TKey.CreateRandom(random) & ~mask);
    }

    /// <summary>The key with bit <paramref name="index"/> (from the most significant) set.</summary>
    public static TKey WithBitSet<TKey>(in TKey key, int index)
        where TKey : struct, IKadKey<TKey> =>
        key | (TKey.PrefixMask(index + 1) & ~TKey.PrefixMask(index));

    /// <summary>Big-endian bytes of the key in a new array.</summary>
    public static byte[] ToBytes<TKey>(in TKey key)
        where TKey : struct, IKadKey<TKey>
    {
        byte[] result = new byte[TKey.ByteLength];
        key.WriteBigEndian(result);
        return result;
    }

    /// <summary>Lower-case hex of the big-endian bytes.</summary>
    public static string ToHex<TKey>(in TKey key)
        where TKey : struct, IKadKey<TKey>
    {
        Span<byte> bytes = stackalloc byte[TKey.ByteLength];
        key.WriteBigEndian(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
