using System.Buffers;
using System.Buffers.Binary;

namespace Mesh.Node.Chain.Scale;

/// <summary>
/// SCALE compact (general) integers, up to 128 bits (parity-scale-codec <c>Compact&lt;T&gt;</c>; Substrate docs,
/// "SCALE encoding", Compact/general integers).
/// <code>
///   mode = low two bits of byte 0
///   0b00  single byte     value in [0, 2^6)     byte0 >> 2
///   0b01  two bytes LE    value in [2^6, 2^14)  u16 >> 2
///   0b10  four bytes LE   value in [2^14, 2^30) u32 >> 2
///   0b11  big integer     byte0 >> 2 = n - 4, then n (4..67) bytes LE; value ≥ 2^30, top byte ≠ 0
/// </code>
/// Decoding is strict, as parity-scale-codec is: a value encoded in a wider mode than needed (non-canonical) is
/// invalid. Values wider than 128 bits are refused (no runtime type this client decodes needs them).
/// </summary>
public static class ScaleCompact
{
    /// <summary>Longest encoding of a 128-bit value: the prefix byte plus 16 bytes.</summary>
    public const int MaxEncodedLength = 17;

    /// <summary>Reads one compact integer from the start of <paramref name="source"/>.</summary>
    /// <returns>Done; NeedMoreData when <paramref name="source"/> ends inside it; InvalidData when non-canonical or
    /// wider than 128 bits.</returns>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out UInt128 value, out int consumed)
    {
        value = 0;
        consumed = 0;
        if (source.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }
        byte b0 = source[0];
        switch (b0 & 3)
        {
            case 0:
                value = (uint)(b0 >> 2);
                consumed = 1;
                return OperationStatus.Done;
            case 1:
                {
                    if (source.Length < 2)
                    {
                        return OperationStatus.NeedMoreData;
                    }
                    uint v = (uint)BinaryPrimitives.ReadUInt16LittleEndian(source) >> 2;
                    if (v < 1u << 6)
                    {
                        return OperationStatus.InvalidData;
                    }
                    value = v;
                    consumed = 2;
                    return OperationStatus.Done;
                }
            case 2:
                {
                    if (source.Length < 4)
                    {
                        return OperationStatus.NeedMoreData;
                    }
                    uint v = BinaryPrimitives.ReadUInt32LittleEndian(source) >> 2;
                    if (v < 1u << 14)
                    {
                        return OperationStatus.InvalidData;
                    }
                    value = v;
                    consumed = 4;
                    return OperationStatus.Done;
                }
            default:
                {
                    int n = (b0 >> 2) + 4;
                    if (n > 16)
                    {
                        return OperationStatus.InvalidData;
                    }
                    if (source.Length < 1 + n)
                    {
                        return OperationStatus.NeedMoreData;
                    }
                    ReadOnlySpan<byte> digits = source.Slice(1, n);
                    if (digits[n - 1] == 0)
                    {
                        return OperationStatus.InvalidData; // a shorter big-integer encoding exists
                    }
                    Span<byte> wide = stackalloc byte[16];
                    wide.Clear();
                    digits.CopyTo(wide);
                    UInt128 v = BinaryPrimitives.ReadUInt128LittleEndian(wide);
                    if (v < 1u << 30)
                    {
                        return OperationStatus.InvalidData;
                    }
                    value = v;
                    consumed = 1 + n;
                    return OperationStatus.Done;
                }
        }
    }

    /// <summary>Reads a compact integer that must fit in 64 bits (InvalidData otherwise).</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ulong value, out int consumed)
    {
        OperationStatus status = TryRead(source, out UInt128 wide, out consumed);
        value = (ulong)wide;
        if (status == OperationStatus.Done && wide > ulong.MaxValue)
        {
            consumed = 0;
            value = 0;
            return OperationStatus.InvalidData;
        }
        return status;
    }

    /// <summary>
    /// Reads one compact integer from a possibly multi-segment buffer; on Done slices <paramref name="buffer"/> past it,
    /// otherwise leaves it untouched.
    /// </summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, out UInt128 value)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        OperationStatus status;
        int consumed;
        if (first.Length >= MaxEncodedLength || buffer.IsSingleSegment)
        {
            status = TryRead(first, out value, out consumed);
        }
        else
        {
            Span<byte> copy = stackalloc byte[MaxEncodedLength];
            int n = (int)Math.Min(buffer.Length, MaxEncodedLength);
            buffer.Slice(0, n).CopyTo(copy);
            status = TryRead(copy[..n], out value, out consumed);
        }
        if (status == OperationStatus.Done)
        {
            buffer = buffer.Slice(consumed);
        }
        return status;
    }

    /// <summary>Number of bytes <see cref="TryWrite"/> writes for <paramref name="value"/>.</summary>
    public static int GetByteCount(UInt128 value)
    {
        if (value < 1u << 6)
        {
            return 1;
        }
        if (value < 1u << 14)
        {
            return 2;
        }
        if (value < 1u << 30)
        {
            return 4;
        }
        int bits = 128 - (int)UInt128.LeadingZeroCount(value);
        return 1 + Math.Max(4, (bits + 7) / 8);
    }

    /// <summary>Writes the canonical compact encoding of <paramref name="value"/>; false when the span is too short.</summary>
    public static bool TryWrite(Span<byte> destination, UInt128 value, out int written)
    {
        written = GetByteCount(value);
        if (destination.Length < written)
        {
            written = 0;
            return false;
        }
        switch (written)
        {
            case 1:
                destination[0] = (byte)((uint)value << 2);
                break;
            case 2:
                BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)(((uint)value << 2) | 1));
                break;
            case 4:
                BinaryPrimitives.WriteUInt32LittleEndian(destination, ((uint)value << 2) | 2);
                break;
            default:
                {
                    int n = written - 1;
                    destination[0] = (byte)(((n - 4) << 2) | 3);
                    Span<byte> wide = stackalloc byte[16];
                    BinaryPrimitives.WriteUInt128LittleEndian(wide, value);
                    wide[..n].CopyTo(destination[1..]);
                    break;
                }
        }
        return true;
    }
}
