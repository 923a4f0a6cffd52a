using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace Mesh.Transport.Rpc.Streaming;

/// <summary>Writes streaming frames into a stream's output, one flush per frame.</summary>
internal static class StreamFrameWriter
{
    /// <summary>
    /// Writes one message frame. Up to 64 KiB the message is serialized straight into the pipe; above, it is serialized
    /// into a pooled buffer and written in 64 KiB chunks with a flush after each (mesh's <c>send_raw_data</c> chunking),
    /// so the transport's flow control paces it and our pipe never holds a whole large message.
    /// </summary>
    /// <returns>False when the peer stopped reading (the stream's reader side completed).</returns>
    public static async ValueTask<bool> WriteMessageAsync(PipeWriter output, IMessage message, int size, CancellationToken cancellationToken)
    {
        StreamFrameCodec.WriteHeader(output, StreamFrameMarker.Message, (ulong)size);
        if (size <= StreamFrameCodec.WriteChunkSize)
        {
            message.WriteTo(output);
            FlushResult flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return !flush.IsCompleted;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            message.WriteTo(buffer.AsSpan(0, size));
            for (int offset = 0; offset < size; offset += StreamFrameCodec.WriteChunkSize)
            {
                output.Write(buffer.AsSpan(offset, Math.Min(StreamFrameCodec.WriteChunkSize, size - offset)));
                FlushResult flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    return false;
                }
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Writes an error frame <c>RPCError{message}</c>. The message is always present (an empty text is <c>0a 00</c>, as
    /// Python's <c>RPCError(message=str(e))</c>), so it is never mistaken for END_OF_STREAM.
    /// </summary>
    public static async ValueTask<bool> WriteErrorAsync(PipeWriter output, string message, CancellationToken cancellationToken)
    {
        var error = new RPCError { Message = message };
        int size = error.CalculateSize();
        StreamFrameCodec.WriteHeader(output, StreamFrameMarker.Error, (ulong)size);
        error.WriteTo(output);
        FlushResult flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return !flush.IsCompleted;
    }

    /// <summary>Writes END_OF_STREAM (an error frame holding an empty RPCError: nine bytes, <c>01</c> then zeros).</summary>
    public static async ValueTask<bool> WriteEndOfStreamAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        StreamFrameCodec.WriteEndOfStream(output);
        FlushResult flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return !flush.IsCompleted;
    }
}
