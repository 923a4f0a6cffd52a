using System.Buffers;

namespace Mesh.Multistream;

/// <summary>
/// Unsigned-varint length-prefixed messages, the framing libp2p protocols use over streams (identify, kad, the p2pd
/// envelopes, multistream-select messages):
/// <code>
///   +---------------------+-------------------------+
///   | uvarint(len) 1-9 B  | message (len bytes)     |
///   +---------------------+-------------------------+
/// </code>
/// The caller's maximum is enforced from the prefix alone, before the body is buffered: a peer that declares
/// 4 GiB is refused after at most 5 bytes, and a prefix whose continuation bytes already imply a length beyond the
/// limit is refused before it is even complete.
/// </summary>
/// <remarks>
/// Error reporting: readers return <see cref="OperationStatus.InvalidData"/> and a <see cref="FramingError"/>
/// (<see cref="FramingError.MessageTooLarge"/> or <see cref="FramingError.InvalidLengthPrefix"/>); they never throw on
/// peer input. Callers that prefer an exception pass the error to <see cref="FramingException.Throw"/>.
/// </remarks>
public static class LengthPrefixed
{
    /// <summary>
    /// Reads one message from the start of <paramref name="buffer"/>. On <see cref="OperationStatus.Done"/>,
    /// <paramref name="message"/> is a slice of the input (no copy) and <paramref name="buffer"/> is sliced past the
    /// message; otherwise the buffer is untouched.
    /// </summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> message) =>
        TryRead(ref buffer, maxLength, out message, out _);

    /// <summary>As <see cref="TryRead(ref ReadOnlySequence{byte}, int, out ReadOnlySequence{byte})"/>, reporting why invalid data was rejected.</summary>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> message, out FramingError error)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        message = default;
        ReadOnlySequence<byte> rest = buffer;
        OperationStatus status = Uvarint.TryRead(ref rest, out ulong length, out _);
        if (status == OperationStatus.Done)
        {
            if (length > (ulong)maxLength)
            {
                error = FramingError.MessageTooLarge;
                return OperationStatus.InvalidData;
            }
            error = FramingError.None;
            if (rest.Length < (long)length)
            {
                return OperationStatus.NeedMoreData;
            }
            message = rest.Slice(0, (long)length);
            buffer = rest.Slice(message.End);
            return OperationStatus.Done;
        }
        if (status == OperationStatus.InvalidData)
        {
            error = FramingError.InvalidLengthPrefix;
            return OperationStatus.InvalidData;
        }
        error = PartialPrefixExceeds(buffer.Length, maxLength) ? FramingError.MessageTooLarge : FramingError.None;
        return error == FramingError.None ? OperationStatus.NeedMoreData : OperationStatus.InvalidData;
    }

    /// <summary>
    /// Span form of <see cref="TryRead(ref ReadOnlySequence{byte}, int, out ReadOnlySequence{byte}, out FramingError)"/>:
    /// <paramref name="message"/> is a slice of <paramref name="source"/> and <paramref name="bytesConsumed"/> covers
    /// prefix and message.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, int maxLength, out ReadOnlySpan<byte> message, out int bytesConsumed, out FramingError error)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        message = default;
        bytesConsumed = 0;
        OperationStatus status = Uvarint.TryRead(source, out ulong length, out int prefixLength, out _);
        if (status == OperationStatus.Done)
        {
            if (length > (ulong)maxLength)
            {
                error = FramingError.MessageTooLarge;
                return OperationStatus.InvalidData;
            }
            error = FramingError.None;
            if ((ulong)(source.Length - prefixLength) < length)
            {
                return OperationStatus.NeedMoreData;
            }
            message = source.Slice(prefixLength, (int)length);
            bytesConsumed = prefixLength + (int)length;
            return OperationStatus.Done;
        }
        if (status == OperationStatus.InvalidData)
        {
            error = FramingError.InvalidLengthPrefix;
            return OperationStatus.InvalidData;
        }
        error = PartialPrefixExceeds(source.Length, maxLength) ? FramingError.MessageTooLarge : FramingError.None;
        return error == FramingError.None ? OperationStatus.NeedMoreData : OperationStatus.InvalidData;
    }

    /// <summary>The size of a message of <paramref name="length"/> bytes once prefixed.</summary>
    public static int GetByteCount(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return Uvarint.GetByteCount((ulong)length) + length;
    }

    /// <summary>Writes the prefix for a message of <paramref name="length"/> bytes; the caller writes the body next.</summary>
    public static bool TryWritePrefix(Span<byte> destination, int length, out int bytesWritten)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return Uvarint.TryWrite(destination, (ulong)length, out bytesWritten);
    }

    /// <summary>Writes the prefix for a message of <paramref name="length"/> bytes; the caller writes the body next.</summary>
    public static void WritePrefix(IBufferWriter<byte> writer, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Uvarint.Write(writer, (ulong)length);
    }

    /// <summary>Writes <c>uvarint(len) || message</c> straight into <paramref name="writer"/> (large bodies in chunks).</summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int total = GetByteCount(message.Length);
        if (total <= 4096)
        {
            // Small messages: one span, one Advance.
            Span<byte> span = writer.GetSpan(total);
            Uvarint.TryWrite(span, (ulong)message.Length, out int n);
            message.CopyTo(span[n..]);
            writer.Advance(total);
            return;
        }
        Uvarint.Write(writer, (ulong)message.Length);
        writer.Write(message);
    }

    /// <summary>Writes <c>uvarint(len) || message</c> for a multi-segment body.</summary>
    public static void Write(IBufferWriter<byte> writer, in ReadOnlySequence<byte> message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (message.Length > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(message), "message longer than 2 GiB");
        }
        Uvarint.Write(writer, (ulong)message.Length);
        foreach (ReadOnlyMemory<byte> segment in message)
        {
            writer.Write(segment.Span);
        }
    }

    // An incomplete prefix of k bytes (all with the continuation bit, the last group still to come and non-zero
    // because encodings are minimal) already declares at least 2^(7k).
    private static bool PartialPrefixExceeds(long available, int maxLength)
    {
        int k = (int)Math.Min(available, Uvarint.MaxLength - 1);
        return k > 0 && (1UL << (7 * k)) > (ulong)maxLength;
    }
}
