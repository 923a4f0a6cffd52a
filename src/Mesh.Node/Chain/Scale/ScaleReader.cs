using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Mesh.Node.Chain.Scale;

/// <summary>
/// Forward-only SCALE reader over one complete, already-received value (a storage value, an event list, a metadata
/// blob: the chain hands these over whole, inside a JSON-RPC answer). Every read checks the remaining length first
/// and throws <see cref="ChainDecodeException"/> on truncation or malformed data, never an unrelated exception.
/// Collection lengths are checked against the bytes left before anything is allocated, so a hostile length prefix
/// cannot make the reader allocate more than the input could possibly describe.
/// </summary>
public ref struct ScaleReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ScaleReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public readonly bool End => _position == _data.Length;

    /// <summary>The bytes not read yet.</summary>
    public readonly ReadOnlySpan<byte> Rest => _data[_position..];

    /// <summary>Throws unless every byte was consumed (trailing bytes mean the layout was not what we expected).</summary>
    public readonly void EnsureEnd(string what)
    {
        if (_position != _data.Length)
        {
            ChainThrow.Decode($"{what}: {_data.Length - _position} trailing byte(s) after the value");
        }
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            ChainThrow.Truncated(count, Remaining);
        }
        ReadOnlySpan<byte> s = _data.Slice(_position, count);
        _position += count;
        return s;
    }

    public void Skip(int count) => ReadBytes(count);

    public byte ReadU8()
    {
        if (_position >= _data.Length)
        {
            ChainThrow.Truncated(1, 0);
        }
        return _data[_position++];
    }

    public sbyte ReadI8() => (sbyte)ReadU8();

    public bool ReadBool()
    {
        byte b = ReadU8();
        if (b > 1)
        {
            ChainThrow.Decode($"SCALE bool must be 0 or 1, got 0x{b:x2}");
        }
        return b == 1;
    }

    public ushort ReadU16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2));

    public short ReadI16() => BinaryPrimitives.ReadInt16LittleEndian(ReadBytes(2));

    public uint ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    public int ReadI32() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));

    public ulong ReadU64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));

    public long ReadI64() => BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8));

    public UInt128 ReadU128() => BinaryPrimitives.ReadUInt128LittleEndian(ReadBytes(16));

    public Int128 ReadI128() => BinaryPrimitives.ReadInt128LittleEndian(ReadBytes(16));

    /// <summary>A compact integer up to 128 bits.</summary>
    public UInt128 ReadCompact()
    {
        OperationStatus status = ScaleCompact.TryRead(_data[_position..], out UInt128 value, out int consumed);
        if (status != OperationStatus.Done)
        {
            ChainThrow.Decode(status == OperationStatus.NeedMoreData
                ? "SCALE compact integer truncated"
                : "SCALE compact integer is non-canonical or wider than 128 bits");
        }
        _position += consumed;
        return value;
    }

    public ulong ReadCompactU64()
    {
        UInt128 v = ReadCompact();
        if (v > ulong.MaxValue)
        {
            ChainThrow.Decode("SCALE compact integer does not fit in u64");
        }
        return (ulong)v;
    }

    public uint ReadCompactU32()
    {
        UInt128 v = ReadCompact();
        if (v > uint.MaxValue)
        {
            ChainThrow.Decode("SCALE compact integer does not fit in u32");
        }
        return (uint)v;
    }

    /// <summary>
    /// A collection length prefix. Each element takes at least <paramref name="minElementSize"/> bytes, so a count the
    /// remaining input cannot hold is refused here, before the caller allocates for it.
    /// </summary>
    public int ReadLength(int minElementSize = 1)
    {
        UInt128 n = ReadCompact();
        if (minElementSize > 0 ? n > (ulong)(Remaining / minElementSize) : n > int.MaxValue)
        {
            ChainThrow.Decode($"SCALE length {n} exceeds what the remaining {Remaining} byte(s) can hold");
        }
        return (int)n;
    }

    /// <summary><c>Vec&lt;u8&gt;</c>: compact length then the bytes (a slice of the input, no copy).</summary>
    public ReadOnlySpan<byte> ReadByteVec() => ReadBytes(ReadLength());

    /// <summary><c>String</c>/<c>str</c>: a byte vector that must be valid UTF-8.</summary>
    public string ReadString()
    {
        ReadOnlySpan<byte> bytes = ReadByteVec();
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            ChainThrow.Decode("SCALE string is not valid UTF-8");
        }
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary><c>Option&lt;T&gt;</c> tag: false for None (0x00), true for Some (0x01); anything else is invalid.</summary>
    public bool ReadOptionTag()
    {
        byte b = ReadU8();
        if (b > 1)
        {
            ChainThrow.Decode($"SCALE Option tag must be 0 or 1, got 0x{b:x2}");
        }
        return b == 1;
    }

    /// <summary>A <c>Vec&lt;String&gt;</c> (metadata docs and paths).</summary>
    public string[] ReadStringVec()
    {
        int n = ReadLength();
        if (n == 0)
        {
            return [];
        }
        var result = new string[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = ReadString();
        }
        return result;
    }
}
