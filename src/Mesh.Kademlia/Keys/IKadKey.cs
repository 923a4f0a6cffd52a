using System.Numerics;

namespace Mesh.Kademlia.Keys;

/// <summary>
/// A fixed-width Kademlia key: a node id or a record key in an XOR keyspace, read as a big-endian unsigned integer.
/// The routing engine is generic over it so the same code serves the mesh DHT (160-bit SHA-1 <see cref="DhtId"/>) and
/// the libp2p Kademlia front-end (256-bit SHA-256 <see cref="KadKey256"/>). Implementations are small readonly
/// structs of machine words: XOR is word-wise, the common prefix length comes from
/// <see cref="BitOperations.LeadingZeroCount(ulong)"/>, and no <see cref="BigInteger"/> is involved.
/// </summary>
/// <remarks>Bit 0 is the most significant bit of the first byte (the top of the Kademlia binary tree).</remarks>
public interface IKadKey<TSelf> :
    IEquatable<TSelf>,
    IComparable<TSelf>,
    IBitwiseOperators<TSelf, TSelf, TSelf>,
    IEqualityOperators<TSelf, TSelf, bool>,
    IComparisonOperators<TSelf, TSelf, bool>
    where TSelf : struct, IKadKey<TSelf>
{
    /// <summary>Width in bytes (20 for <see cref="DhtId"/>, 32 for <see cref="KadKey256"/>).</summary>
    static abstract int ByteLength { get; }

    /// <summary>Width in bits.</summary>
    static abstract int BitLength { get; }

    /// <summary>The all-zero key (the keyspace's lower bound).</summary>
    static abstract TSelf Zero { get; }

    /// <summary>The all-ones key (the largest key; the keyspace's exclusive upper bound is this + 1).</summary>
    static abstract TSelf AllOnes { get; }

    /// <summary>XOR distance: <c>a ^ b</c> as a key of the same width (the distance is itself a number of that width).</summary>
    static abstract TSelf Xor(in TSelf a, in TSelf b);

    /// <summary>Number of leading bits <paramref name="a"/> and <paramref name="b"/> share (the full width if equal).</summary>
    static abstract int CommonPrefixLength(in TSelf a, in TSelf b);

    /// <summary>
    /// Orders <paramref name="a"/> and <paramref name="b"/> by XOR distance to <paramref name="target"/>: negative
    /// when <paramref name="a"/> is closer. Distinct keys are never equally close.
    /// </summary>
    static abstract int CompareDistance(in TSelf target, in TSelf a, in TSelf b);

    /// <summary>A key whose first <paramref name="bitCount"/> bits are ones and the rest zeros.</summary>
    static abstract TSelf PrefixMask(int bitCount);

    /// <summary>Reads exactly <see cref="ByteLength"/> big-endian bytes.</summary>
    static abstract TSelf ReadBigEndian(ReadOnlySpan<byte> bytes);

    /// <summary>A uniformly random key.</summary>
    static abstract TSelf CreateRandom(Random random);

    /// <summary>Writes the key as <see cref="ByteLength"/> big-endian bytes.</summary>
    void WriteBigEndian(Span<byte> destination);

    /// <summary>Number of leading zero bits (the full width for zero).</summary>
    int LeadingZeroCount { get; }

    /// <summary>Bit <paramref name="index"/>, counted from the most significant bit.</summary>
    bool GetBit(int index);
}
