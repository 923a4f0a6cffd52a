using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using System.Security.Cryptography;

namespace Mesh.Kademlia.Keys;

/// <summary>
/// A 256-bit key of the libp2p Kademlia keyspace (<c>/ipfs/kad/1.0.0</c>): the SHA-256 of a peer id's bytes or of a
/// record key (libp2p kad-dht spec, "Distance"). Four words, XOR distance, big-endian order.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public readonly struct KadKey256 : IKadKey<KadKey256>
{
    public const int Size = 32;

    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _w2;
    private readonly ulong _w3;

    private KadKey256(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    public static int ByteLength => Size;

    public static int BitLength => Size * 8;

    public static KadKey256 Zero => default;

    public static KadKey256 AllOnes => new(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue);

    /// <summary>The kad key of <paramref name="data"/>: SHA-256(data).</summary>
    public static KadKey256 Hash(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, digest);
        return ReadBigEndian(digest);
    }

    public static KadKey256 ReadBigEndian(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A 256-bit key is {Size} bytes, got {bytes.Length}.", nameof(bytes));
        }
        return new KadKey256(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    public static KadKey256 CreateRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[Size];
        random.NextBytes(bytes);
        return ReadBigEndian(bytes);
    }

    public void WriteBigEndian(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"Need {Size} bytes.", nameof(destination));
        }
        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _w3);
    }

    public byte[] ToBytes() => KadKey.ToBytes(this);

    public override string ToString() => KadKey.ToHex(this);

    public int LeadingZeroCount =>
        _w0 != 0 ? BitOperations.LeadingZeroCount(_w0)
        : _w1 != 0 ? 64 + BitOperations.LeadingZeroCount(_w1)
        : _w2 != 0 ? 128 + BitOperations.LeadingZeroCount(_w2)
        : 192 + BitOperations.LeadingZeroCount(_w3);

    public bool GetBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BitLength);
        ulong word = (index >> 6) switch { 0 => _w0, 1 => _w1, 2 => _w2, _ => _w3 };
        return ((word >> (63 - (index & 63))) & 1) != 0;
    }

    public static KadKey256 Xor(in KadKey256 a, in KadKey256 b) => new(a._w0 ^ b._w0, a._w1 ^ b._w1, a._w2 ^ b._w2, a._w3 ^ b._w3);

    public static int CommonPrefixLength(in KadKey256 a, in KadKey256 b) => Xor(a, b).LeadingZeroCount;

    public static int CompareDistance(in KadKey256 target, in KadKey256 a, in KadKey256 b) => Xor(a, target).CompareTo(Xor(b, target));

    public static KadKey256 PrefixMask(int bitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bitCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bitCount, BitLength);
        return new KadKey256(Mask64(bitCount), Mask64(bitCount - 64), Mask64(bitCount - 128), Mask64(bitCount - 192));
    }

    private static ulong Mask64(int n) => n <= 0 ? 0 : n >= 64 ? ulong.MaxValue : ~(ulong.MaxValue >> n);

    public int CompareTo(KadKey256 other)
    {
        int c = _w0.CompareTo(other._w0);
        if (c != 0)
        {
            return c;
        }
        c = _w1.CompareTo(other._w1);
        if (c != 0)
        {
            return c;
        }
        c = _w2.CompareTo(other._w2);
        return c != 0 ? c : _w3.CompareTo(other._w3);
    }

    public bool Equals(KadKey256 other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    public override bool Equals(object? obj) => obj is KadKey256 other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_w0, _w1, _w2, _w3);

    public static bool operator ==(KadKey256 left, KadKey256 right) => left.Equals(right);

    public static bool operator !=(KadKey256 left, KadKey256 right) => !left.Equals(right);

    public static bool operator <(KadKey256 left, KadKey256 right) => left.CompareTo(right) < 0;

    public static bool operator >(KadKey256 left, KadKey256 right) => left.CompareTo(right) > 0;

    public static bool operator <=(KadKey256 left, KadKey256 right) => left.CompareTo(right) <= 0;

    public static bool operator >=(KadKey256 left, KadKey256 right) => left.CompareTo(right) >= 0;

    public static KadKey256 operator ^(KadKey256 left, KadKey256 right) => Xor(left, right);

    public static KadKey256 operator &(KadKey256 left, KadKey256 right) =>
        new(left._w0 & right._w0, left._w1 & right._w1, left._w2 & right._w2, left._w3 & right._w3);

    public static KadKey256 operator |(KadKey256 left, KadKey256 right) =>
        new(left._w0 | right._w0, left._w1 | right._w1, left._w2 | right._w2, left._w3 | right._w3);

    public static KadKey256 operator ~(KadKey256 value) => new(~value._w0, ~value._w1, ~value._w2, ~value._w3);
}
