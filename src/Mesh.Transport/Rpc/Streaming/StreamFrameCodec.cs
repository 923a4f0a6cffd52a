using System.Buffers;
using System.Buffers.Binary;

namespace Mesh.Transport.Rpc.Streaming;

/// <summary>
/// The framing of mesh streaming RPCs (mesh-reference §4.3; mesh <c>P2P.send_protobuf</c> / <c>receive_protobuf</c>):
/// <code>
///   +--------+-------------------------------+------------------+
///   | marker |  length (u64, big-endian)     |  payload         |
///   | 1 byte |  8 bytes                      |  length bytes    |
///   +--------+-------------------------------+------------------+
///   marker 0x00: payload is a protobuf message;  0x01: payload is an RPCError{1: optional string message}
///   END_OF_STREAM (caller → callee, after its last request) = 01 00 00 00 00 00 00 00 00
/// </code>
/// Python reads a frame as <c>readexactly(1)</c>, <c>readexactly(8)</c>, <c>readexactly(length)</c> with no limit;
/// we check the length against the message size limit on the header, before buffering the payload.
/// </summary>
internal static class StreamFrameCodec
{
    /// <summary>Marker byte plus the 8-byte length.</summary>
    public const int HeaderLength = 9;

    /// <summary>Default limit on one frame's payload (the same 4 MiB as unary calls; Python has none).</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    /// <summary>mesh writes payloads in chunks of this size (<c>P2P.send_raw_data(chunk_size=2**16)</c>).</summary>
    public const int WriteChunkSize = 64 * 1024;

    /// <summary>Reads one frame header and payload.</summary>
    /// <returns>
    /// Done: <paramref name="payload"/> is a view into the buffer and the buffer is sliced past the frame.
    /// NeedMoreData: nothing consumed. InvalidData: <paramref name="error"/> says why; an oversized or unknown frame is
    /// reported from its header alone, with <paramref name="declaredLength"/>.
    /// </returns>
    public static OperationStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, long maxMessageSize, out StreamFrameMarker marker,
        out ReadOnlySequence<byte> payload, out StreamFrameError error, out ulong declaredLength)
    {
        payload = default;
        OperationStatus status = TryReadHeader(buffer, maxMessageSize, out marker, out declaredLength, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }
        if (buffer.Length - HeaderLength < (long)declaredLength)
        {
            return OperationStatus.NeedMoreData;
        }
        payload = buffer.Slice(HeaderLength, (long)declaredLength);
        buffer = buffer.Slice(payload.End);
        return OperationStatus.Done;
    }

    /// <summary>Validates the header at the start of <paramref name="buffer"/> without consuming anything.</summary>
    public static OperationStatus TryReadHeader(in ReadOnlySequence<byte> buffer, long maxMessageSize, out StreamFrameMarker marker,
        out ulong length, out StreamFrameError error)
    {
        marker = default;
        length = 0;
        error = StreamFrameError.None;
        if (buffer.Length < HeaderLength)
        {
            // An unknown marker is known from the first byte; report it without waiting for the rest of the header.
            if (!buffer.IsEmpty && FirstByte(buffer) > (byte)StreamFrameMarker.Error)
            {
                error = StreamFrameError.UnknownMarker;
                return OperationStatus.InvalidData;
            }
            return OperationStatus.NeedMoreData;
        }
        ReadOnlySpan<byte> header = buffer.FirstSpan.Length >= HeaderLength ? buffer.FirstSpan : CopyHeader(buffer, stackalloc byte[HeaderLength]);
        if (header[0] > (byte)StreamFrameMarker.Error)
        {
            error = StreamFrameError.UnknownMarker;
            return OperationStatus.InvalidData;
        }
        marker = (StreamFrameMarker)header[0];
        length = BinaryPrimitives.ReadUInt64BigEndian(header[1..]);
        if (length > (ulong)maxMessageSize)
        {
            error = StreamFrameError.MessageTooLarge;
            return OperationStatus.InvalidData;
        }
        return OperationStatus.Done;
    }

    /// <summary>Writes a frame header.</summary>
    public static void WriteHeader(Span<byte> destination, StreamFrameMarker marker, ulong length)
    {
        destination[0] = (byte)marker;
        BinaryPrimitives.WriteUInt64BigEndian(destination[1..], length);
    }

    /// <summary>Writes a frame header into <paramref name="output"/>.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, StreamFrameMarker marker, ulong length)
    {
        WriteHeader(output.GetSpan(HeaderLength), marker, length);
        output.Advance(HeaderLength);
    }

    /// <summary>END_OF_STREAM: an error frame with an empty <see cref="RPCError"/>.</summary>
    public static void WriteEndOfStream(IBufferWriter<byte> output) => WriteHeader(output, StreamFrameMarker.Error, 0);

    private static byte FirstByte(in ReadOnlySequence<byte> buffer)
    {
        if (!buffer.FirstSpan.IsEmpty)
        {
            return buffer.FirstSpan[0];
        }
        Span<byte> one = stackalloc byte[1];
        buffer.Slice(0, 1).CopyTo(one);
        return one[0];
    }

    private static ReadOnlySpan<byte> CopyHeader(in ReadOnlySequence<byte> buffer, Span<byte> scratch)
    {
        buffer.Slice(0, HeaderLength).CopyTo(scratch);
        return scratch;
    }
}
