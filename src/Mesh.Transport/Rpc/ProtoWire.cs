using System.Buffers;
using System.Runtime.CompilerServices;

namespace Mesh.Transport.Rpc;

/// <summary>
/// The few protobuf wire-format primitives the hand-written envelope codecs need
/// (https://protobuf.dev/programming-guides/encoding/): tags, base-128 varints as protobuf reads them (up to 10 bytes,
/// non-minimal forms allowed, as every protobuf parser accepts them), and length-delimited fields.
/// </summary>
internal static class ProtoWire
{
    /// <summary>Wire type 2 (LEN): bytes, strings, embedded messages.</summary>
    public const int WireTypeLengthDelimited = 2;

    /// <summary>Longest protobuf varint.</summary>
    public const int MaxVarintLength = 10;

    /// <summary>The tag byte of a length-delimited field with a number below 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte LengthDelimitedTag(int fieldNumber) => (byte)(fieldNumber << 3 | WireTypeLengthDelimited);

    /// <summary>The encoded size of a length-delimited field with a one-byte tag: tag, length varint, payload.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FieldLength(long payloadLength) => 1 + VarintLength((ulong)payloadLength) + payloadLength;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int VarintLength(ulong value) => ((63 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) / 7) + 1;

    /// <summary>Writes a minimal varint; the destination must hold <see cref="VarintLength"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteVarint(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Writes tag and length of a length-delimited field; returns the bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteFieldHeader(Span<byte> destination, int fieldNumber, long payloadLength)
    {
        destination[0] = LengthDelimitedTag(fieldNumber);
        return 1 + WriteVarint(destination[1..], (ulong)payloadLength);
    }

    /// <summary>
    /// Reads a protobuf varint. False when it is truncated or longer than 10 bytes (the caller treats both as "not
    /// the canonical shape" and lets the full parser decide).
    /// </summary>
    public static bool TryReadVarint(ref SequenceReader<byte> reader, out ulong value)
    {
        value = 0;
        for (int i = 0; i < MaxVarintLength; i++)
        {
            if (!reader.TryRead(out byte b))
            {
                return false;
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Reads the length of a length-delimited field and slices its payload out of the reader, without copying.
    /// False when the length is malformed or runs past the end of the reader.
    /// </summary>
    public static bool TryReadLengthDelimited(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> payload)
    {
        if (!TryReadVarint(ref reader, out ulong length) || length > (ulong)reader.Remaining)
        {
            payload = default;
            return false;
        }
        payload = reader.UnreadSequence.Slice(0, (long)length);
        reader.Advance((long)length);
        return true;
    }

    /// <summary>Reads a length-delimited field whose one-byte tag must be <paramref name="tag"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadField(ref SequenceReader<byte> reader, byte tag, out ReadOnlySequence<byte> payload)
    {
        if (reader.TryPeek(out byte actual) && actual == tag)
        {
            reader.Advance(1);
            return TryReadLengthDelimited(ref reader, out payload);
        }
        payload = default;
        return false;
    }
}
