using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Mesh.Multistream;

/// <summary>
/// Multiformats unsigned varint (https://github.com/multiformats/unsigned-varint): little-endian groups of 7 bits,
/// the high bit of each byte set when another byte follows.
/// <code>
///   300 = 0b10_0101100  →  1_0101100  0_0000010  →  ac 02
///         ^^ ^^^^^^^        ^ low 7      ^ next 7 (MSB clear: last byte)
/// </code>
/// The spec caps encodings at 9 bytes (63-bit values) and requires the minimal form; both are enforced so that a
/// value has exactly one encoding and a peer cannot make us scan an unbounded run of continuation bytes.
/// </summary>
/// <remarks>
/// Readers follow the codec contract: <see cref="OperationStatus.Done"/> consumes the varint,
/// <see cref="OperationStatus.NeedMoreData"/> consumes nothing, <see cref="OperationStatus.InvalidData"/> reports a
/// <see cref="VarintError"/>. Nothing throws for incomplete input; the throwing <see cref="Read"/> is for complete
/// buffers only.
/// </remarks>
public static class Uvarint
{
    /// <summary>The longest allowed encoding, in bytes (the spec's practical maximum).</summary>
    public const int MaxLength = 9;

    /// <summary>The largest value that fits in <see cref="MaxLength"/> bytes: 2^63 - 1.</summary>
    public const ulong MaxValue = long.MaxValue;

    /// <summary>Reads a varint from the start of <paramref name="source"/>.</summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> with the value and its length; <see cref="OperationStatus.NeedMoreData"/>
    /// when the span ends inside the varint; <see cref="OperationStatus.InvalidData"/> when it is non-minimal or
    /// longer than <see cref="MaxLength"/>.
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ulong value, out int bytesRead)
    {
        if (!source.IsEmpty && source[0] < 0x80)
        {
            value = source[0];
            bytesRead = 1;
            return OperationStatus.Done;
        }
        return TryReadMultiByte(source, out value, out bytesRead, out _);
    }

    /// <summary>As <see cref="TryRead(ReadOnlySpan{byte}, out ulong, out int)"/>, also reporting why invalid data was rejected.</summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out ulong value, out int bytesRead, out VarintError error)
    {
        if (!source.IsEmpty && source[0] < 0x80)
        {
            value = source[0];
            bytesRead = 1;
            error = VarintError.None;
            return OperationStatus.Done;
        }
        return TryReadMultiByte(source, out value, out bytesRead, out error);
    }

    /// <summary>
    /// Reads a varint from the start of <paramref name="buffer"/> and, on <see cref="OperationStatus.Done"/>, slices
    /// the buffer past it. Any other status leaves the buffer untouched.
    /// </summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, out ulong value) =>
        TryRead(ref buffer, out value, out _);

    /// <summary>As <see cref="TryRead(ref ReadOnlySequence{byte}, out ulong)"/>, also reporting why invalid data was rejected.</summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, out ulong value, out VarintError error)
    {
        // Hot path: the whole varint is in the first segment (almost always: it is at most 9 bytes).
        OperationStatus status = TryRead(buffer.FirstSpan, out value, out int bytesRead, out error);
        if (status == OperationStatus.NeedMoreData && !buffer.IsSingleSegment)
        {
            status = TryReadAcrossSegments(buffer, out value, out bytesRead, out error);
        }
        if (status == OperationStatus.Done)
        {
            buffer = buffer.Slice(bytesRead);
        }
        return status;
    }

    /// <summary>
    /// Reads a varint at the reader's position and advances past it on <see cref="OperationStatus.Done"/>; any other
    /// status leaves the reader where it was.
    /// </summary>
    public static OperationStatus TryRead(ref SequenceReader<byte> reader, out ulong value) =>
        TryRead(ref reader, out value, out _);

    /// <summary>As <see cref="TryRead(ref SequenceReader{byte}, out ulong)"/>, also reporting why invalid data was rejected.</summary>
    public static OperationStatus TryRead(ref SequenceReader<byte> reader, out ulong value, out VarintError error)
    {
        OperationStatus status = TryRead(reader.UnreadSpan, out value, out int bytesRead, out error);
        if (status == OperationStatus.NeedMoreData && reader.Remaining > reader.UnreadSpan.Length)
        {
            status = TryReadAcrossSegments(reader.UnreadSequence, out value, out bytesRead, out error);
        }
        if (status == OperationStatus.Done)
        {
            reader.Advance(bytesRead);
        }
        return status;
    }

    /// <summary>
    /// Reads a varint from a buffer that is known to be complete (a whole multiaddr, multihash, CID), throwing a
    /// <see cref="VarintException"/> when it is truncated, non-minimal or too long.
    /// </summary>
    public static ulong Read(ReadOnlySpan<byte> source, out int bytesRead)
    {
        OperationStatus status = TryRead(source, out ulong value, out bytesRead, out VarintError error);
        if (status != OperationStatus.Done)
        {
            VarintException.Throw(status == OperationStatus.NeedMoreData ? VarintError.Truncated : error);
        }
        return value;
    }

    /// <summary>The number of bytes <paramref name="value"/> encodes to (1 to 9).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is above <see cref="MaxValue"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GetByteCount(ulong value)
    {
        if (value > MaxValue)
        {
            ThrowValueOutOfRange(value);
        }
        // Significant bits (at least 1) rounded up to groups of 7.
        return ((63 - BitOperations.LeadingZeroCount(value | 1)) / 7) + 1;
    }

    /// <summary>Writes the minimal encoding of <paramref name="value"/>; returns false (writing nothing) when it does not fit.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is above <see cref="MaxValue"/>.</exception>
    public static bool TryWrite(Span<byte> destination, ulong value, out int bytesWritten)
    {
        if (value < 0x80 && !destination.IsEmpty)
        {
            destination[0] = (byte)value;
            bytesWritten = 1;
            return true;
        }
        int count = GetByteCount(value);
        if (destination.Length < count)
        {
            bytesWritten = 0;
            return false;
        }
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i] = (byte)value;
        bytesWritten = count;
        return true;
    }

    /// <summary>Writes the minimal encoding of <paramref name="value"/> straight into <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is above <see cref="MaxValue"/>.</exception>
    public static void Write(IBufferWriter<byte> writer, ulong value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> span = writer.GetSpan(MaxLength);
        TryWrite(span, value, out int written);
        writer.Advance(written);
    }

    private static OperationStatus TryReadMultiByte(ReadOnlySpan<byte> source, out ulong value, out int bytesRead, out VarintError error)
    {
        ulong result = 0;
        int limit = Math.Min(source.Length, MaxLength);
        for (int i = 0; i < limit; i++)
        {
            byte b = source[i];
            result |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                if (b == 0 && i > 0)
                {
                    // "80 00" and friends: a zero final group after a continuation adds nothing.
                    return Invalid(VarintError.NonMinimal, out value, out bytesRead, out error);
                }
                value = result;
                bytesRead = i + 1;
                error = VarintError.None;
                return OperationStatus.Done;
            }
        }
        if (source.Length >= MaxLength)
        {
            return Invalid(VarintError.TooLong, out value, out bytesRead, out error);
        }
        value = 0;
        bytesRead = 0;
        error = VarintError.None;
        return OperationStatus.NeedMoreData;
    }

    // Cold path: the varint straddles segments. Copy at most MaxLength bytes to the stack and parse them there.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static OperationStatus TryReadAcrossSegments(in ReadOnlySequence<byte> buffer, out ulong value, out int bytesRead, out VarintError error)
    {
        Span<byte> scratch = stackalloc byte[MaxLength];
        int length = (int)Math.Min(buffer.Length, MaxLength);
        buffer.Slice(0, length).CopyTo(scratch);
        return TryRead(scratch[..length], out value, out bytesRead, out error);
    }

    private static OperationStatus Invalid(VarintError reason, out ulong value, out int bytesRead, out VarintError error)
    {
        value = 0;
        bytesRead = 0;
        error = reason;
        return OperationStatus.InvalidData;
    }

    [DoesNotReturn]
    private static void ThrowValueOutOfRange(ulong value) =>
        throw new ArgumentOutOfRangeException(nameof(value), value, $"unsigned varints carry at most 63 bits (max {MaxValue})");
}
