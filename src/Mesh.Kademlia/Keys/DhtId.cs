using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using System.Security.Cryptography;
using Mesh.Kademlia.Serialization;

namespace Mesh.Kademlia.Keys;

/// <summary>
/// hivemind/mesh <c>DHTID</c> (mesh-reference §1.3): a 160-bit id in <c>[0, 2^160)</c>, read from SHA-1 output as a
/// big-endian integer; both node ids and the ids records are stored under. <c>to_bytes()</c> is the 20 big-endian
/// bytes (<see cref="WriteBigEndian"/>, <see cref="ToBytes"/>), distance is the XOR of the two integers.
/// Stored as three words (bytes 0-7, 8-15, 16-19) so XOR, comparison and prefix length are a handful of instructions.
/// </summary>
[DebuggerDisplay("DHTID({ToString(),nq})")]
public readonly struct DhtId : IKadKey<DhtId>
{
    /// <summary><c>HASH_NBYTES</c>.</summary>
    public const int Size = 20;

    private readonly ulong _hi;
    private readonly ulong _mid;
    private readonly uint _lo;

    private DhtId(ulong hi, ulong mid, uint lo)
    {
        _hi = hi;
        _mid = mid;
        _lo = lo;
    }

    public static int ByteLength => Size;

    public static int BitLength => Size * 8;

    /// <summary><c>DHTID.MIN</c> = 0.</summary>
    public static DhtId Zero => default;

    /// <summary><c>DHTID.MAX - 1</c> = 2^160 - 1 (Python's MAX is exclusive).</summary>
    public static DhtId AllOnes => new(ulong.MaxValue, ulong.MaxValue, uint.MaxValue);

    // ---- generation (DHTID.generate) -----------------------------------------------------------------------------

    /// <summary><c>DHTID.generate(key)</c> for a str key: SHA-1 of <c>msgpack(key)</c> (e.g. "node" hashes a4 6e6f6465).</summary>
    public static DhtId Generate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        int length = MsgPackSerializer.GetStringEncodedLength(key);
        byte[]? rented = null;
        Span<byte> buffer = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            MsgPackSerializer.TryWriteString(buffer, key, out int written);
            return HashOf(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary><c>DHTID.generate(source)</c> for a Python bytes source: SHA-1 of the bytes as they are (no msgpack).</summary>
    public static DhtId GenerateFromBytes(ReadOnlySpan<byte> source) => HashOf(source);

    /// <summary>
    /// <c>DHTID.generate(source)</c> for any value: bytes are hashed raw, everything else as
    /// <c>MSGPackSerializer.dumps(source)</c> (ints, floats, bools, tuples, lists, dicts, ...).
    /// </summary>
    public static DhtId Generate(in MsgValue source)
    {
        if (source.Kind == MsgKind.Binary)
        {
            return HashOf(source.AsSpan());
        }
        int length = MsgPackSerializer.GetEncodedLength(source);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            FixedBufferWriter output = FixedBufferWriter.Rent(rented);
            try
            {
                MsgPackSerializer.Serialize(output, source);
                return HashOf(rented.AsSpan(0, output.Written));
            }
            finally
            {
                FixedBufferWriter.Return(output);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// A random id, as <c>DHTID.generate()</c> with no source. (Python hashes 255 random bytes; any uniform 160-bit
    /// value is equivalent.)
    /// </summary>
    public static DhtId CreateRandom()
    {
        Span<byte> bytes = stackalloc byte[Size];
        RandomNumberGenerator.Fill(bytes);
        return ReadBigEndian(bytes);
    }

    public static DhtId CreateRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[Size];
        random.NextBytes(bytes);
        return ReadBigEndian(bytes);
    }

    private static DhtId HashOf(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(data, digest);
        return ReadBigEndian(digest);
    }

    // ---- bytes ---------------------------------------------------------------------------------------------------

    /// <summary>Exactly 20 big-endian bytes.</summary>
    public static DhtId ReadBigEndian(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A DHTID is {Size} bytes, got {bytes.Length}.", nameof(bytes));
        }
        return new DhtId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
    }

    /// <summary>
    /// <c>DHTID.from_bytes(raw)</c>: raw is a big-endian integer of any length that must be below 2^160, so shorter
    /// inputs are zero-extended (the empty <c>node_id</c> of a client-mode peer is 0) and longer ones may only carry
    /// leading zeros.
    /// </summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> raw, out DhtId id)
    {
        if (raw.Length > Size)
        {
            if (raw[..^Size].ContainsAnyExcept((byte)0))
            {
                id = default;
                return false;
            }
            raw = raw[^Size..];
        }
        if (raw.Length == Size)
        {
            id = ReadBigEndian(raw);
            return true;
        }
        Span<byte> padded = stackalloc byte[Size];
        padded.Clear();
        raw.CopyTo(padded[(Size - raw.Length)..]);
        id = ReadBigEndian(padded);
        return true;
    }

    /// <inheritdoc cref="TryFromBytes"/>
    /// <exception cref="KadKeyFormatException">The integer is 2^160 or more.</exception>
    public static DhtId FromBytes(ReadOnlySpan<byte> raw) =>
        TryFromBytes(raw, out DhtId id) ? id : throw new KadKeyFormatException($"A DHTID must be below 2^160; got {raw.Length} bytes with a non-zero high part.");

    /// <summary>Parses 40 hex digits (as <see cref="ToString"/> prints them).</summary>
    public static DhtId ParseHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != Size * 2)
        {
            throw new KadKeyFormatException($"A DHTID is {Size * 2} hex digits, got {hex.Length}.");
        }
        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out int written) != OperationStatus.Done || written != Size)
        {
            throw new KadKeyFormatException("A DHTID must be hex digits.");
        }
        return ReadBigEndian(bytes);
    }

    public void WriteBigEndian(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"Need {Size} bytes.", nameof(destination));
        }
        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _mid);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _lo);
    }

    /// <summary><c>to_bytes()</c>: 20 big-endian bytes in a new array.</summary>
    public byte[] ToBytes()
    {
        byte[] result = new byte[Size];
        WriteBigEndian(result);
        return result;
    }

    /// <summary>40 lower-case hex digits.</summary>
    public override string ToString() => KadKey.ToHex(this);

    // ---- keyspace ------------------------------------------------------------------------------------------------

    public int LeadingZeroCount =>
        _hi != 0 ? BitOperations.LeadingZeroCount(_hi)
        : _mid != 0 ? 64 + BitOperations.LeadingZeroCount(_mid)
        : 128 + BitOperations.LeadingZeroCount(_lo);

    public bool GetBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, BitLength);
        return index switch
        {
            < 64 => ((_hi >> (63 - index)) & 1) != 0,
            < 128 => ((_mid >> (127 - index)) & 1) != 0,
            _ => ((_lo >> (159 - index)) & 1) != 0,
        };
    }

    /// <summary><c>xor_distance</c>.</summary>
    public static DhtId Xor(in DhtId a, in DhtId b) => new(a._hi ^ b._hi, a._mid ^ b._mid, a._lo ^ b._lo);

    /// <summary><c>longest_common_prefix_length(a, b)</c> (160 when equal).</summary>
    public static int CommonPrefixLength(in DhtId a, in DhtId b) => Xor(a, b).LeadingZeroCount;

    public static int CompareDistance(in DhtId target, in DhtId a, in DhtId b) => Xor(a, target).CompareTo(Xor(b, target));

    public static DhtId PrefixMask(int bitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bitCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bitCount, BitLength);
        return new DhtId(Mask64(bitCount), Mask64(bitCount - 64), (uint)(Mask64(bitCount - 128) >> 32));
    }

    // First n bits of a 64-bit word set (n clamped to [0, 64]).
    private static ulong Mask64(int n) => n <= 0 ? 0 : n >= 64 ? ulong.MaxValue : ~(ulong.MaxValue >> n);

    /// <summary><c>longest_common_prefix_length(*ids)</c> over any number of ids.</summary>
    public static int CommonPrefixLength(ReadOnlySpan<DhtId> ids)
    {
        if (ids.Length == 0)
        {
            return BitLength;
        }
        DhtId differing = default;
        foreach (DhtId id in ids)
        {
            differing |= id ^ ids[0];
        }
        return differing.LeadingZeroCount;
    }

    // ---- comparison ----------------------------------------------------------------------------------------------

    public int CompareTo(DhtId other)
    {
        int c = _hi.CompareTo(other._hi);
        if (c != 0)
        {
            return c;
        }
        c = _mid.CompareTo(other._mid);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    public bool Equals(DhtId other) => _hi == other._hi && _mid == other._mid && _lo == other._lo;

    public override bool Equals(object? obj) => obj is DhtId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_hi, _mid, _lo);

    public static bool operator ==(DhtId left, DhtId right) => left.Equals(right);

    public static bool operator !=(DhtId left, DhtId right) => !left.Equals(right);

    public static bool operator <(DhtId left, DhtId right) => left.CompareTo(right) < 0;

    public static bool operator >(DhtId left, DhtId right) => left.CompareTo(right) > 0;

    public static bool operator <=(DhtId left, DhtId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(DhtId left, DhtId right) => left.CompareTo(right) >= 0;

    public static DhtId operator ^(DhtId left, DhtId right) => Xor(left, right);

    public static DhtId operator &(DhtId left, DhtId right) => new(left._hi & right._hi, left._mid & right._mid, left._lo & right._lo);

    public static DhtId operator |(DhtId left, DhtId right) => new(left._hi | right._hi, left._mid | right._mid, left._lo | right._lo);

    public static DhtId operator ~(DhtId value) => new(~value._hi, ~value._mid, ~value._lo);
}
