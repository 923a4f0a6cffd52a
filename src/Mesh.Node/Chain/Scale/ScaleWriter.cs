using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Mesh.Node.Chain.Scale;

/// <summary>
/// SCALE writer straight into an <see cref="IBufferWriter{T}"/> (GetSpan, write, Advance): no intermediate arrays.
/// Encodings follow parity-scale-codec: fixed-width little-endian integers, compact integers, length-prefixed
/// vectors and strings, Option as a 0/1 tag, enums as a u8 variant index followed by the fields.
/// </summary>
public readonly struct ScaleWriter
{
    private readonly IBufferWriter<byte> _output;

    public ScaleWriter(IBufferWriter<byte> output) => _output = output;

    public IBufferWriter<byte> Output => _output;

    public void WriteU8(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    public void WriteBool(bool value) => WriteU8(value ? (byte)1 : (byte)0);

    public void WriteU16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_output.GetSpan(2), value);
        _output.Advance(2);
    }

    public void WriteU32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    public void WriteU64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    public void WriteU128(UInt128 value)
    {
        BinaryPrimitives.WriteUInt128LittleEndian(_output.GetSpan(16), value);
        _output.Advance(16);
    }

    public void WriteI8(sbyte value) => WriteU8((byte)value);

    public void WriteI16(short value) => WriteU16((ushort)value);

    public void WriteI32(int value) => WriteU32((uint)value);

    public void WriteI64(long value) => WriteU64((ulong)value);

    public void WriteI128(Int128 value) => WriteU128((UInt128)value);

    public void WriteCompact(UInt128 value)
    {
        Span<byte> span = _output.GetSpan(ScaleCompact.MaxEncodedLength);
        ScaleCompact.TryWrite(span, value, out int written);
        _output.Advance(written);
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        bytes.CopyTo(_output.GetSpan(bytes.Length));
        _output.Advance(bytes.Length);
    }

    /// <summary><c>Vec&lt;u8&gt;</c>: compact length then the bytes.</summary>
    public void WriteByteVec(ReadOnlySpan<byte> bytes)
    {
        WriteCompact((uint)bytes.Length);
        WriteRaw(bytes);
    }

    /// <summary><c>String</c>: compact byte length then the UTF-8 bytes.</summary>
    public void WriteString(string value)
    {
        int n = Encoding.UTF8.GetByteCount(value);
        WriteCompact((uint)n);
        if (n > 0)
        {
            Encoding.UTF8.GetBytes(value, _output.GetSpan(n));
            _output.Advance(n);
        }
    }

    public void WriteOptionNone() => WriteU8(0);

    public void WriteOptionSome() => WriteU8(1);
}
