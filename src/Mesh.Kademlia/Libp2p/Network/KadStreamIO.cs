using System.Buffers;
using System.IO.Pipelines;
using Mesh.Kademlia.Libp2p.Messages;

namespace Mesh.Kademlia.Libp2p.Network;

/// <summary>Reads and writes length-prefixed kad messages on a stream (libp2p kad-dht spec, "RPC messages").</summary>
internal static class KadStreamIO
{
    /// <summary>
    /// Reads the next message; null when the peer closed its side cleanly between messages. Only the bytes of that
    /// message are consumed, so several requests on one stream are read one by one.
    /// </summary>
    /// <exception cref="KadProtocolException">Malformed or oversized (checked on the length prefix), or the stream ended inside a message.</exception>
    public static async ValueTask<KadMessage?> ReadAsync(PipeReader input, int maxMessageSize, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            OperationStatus status = KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? message, out KadMessageError error, maxMessageSize);
            if (status == OperationStatus.Done)
            {
                input.AdvanceTo(buffer.Start);
                return message;
            }
            if (status == OperationStatus.InvalidData)
            {
                input.AdvanceTo(buffer.Start);
                KadProtocolException.Throw(error, $"malformed kad message ({error})");
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                bool empty = buffer.IsEmpty;
                input.AdvanceTo(buffer.End);
                if (empty)
                {
                    return null;
                }
                KadProtocolException.Throw(KadMessageError.MalformedProtobuf, $"the stream ended inside a kad message ({buffer.Length} bytes)");
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public static ValueTask<FlushResult> WriteAsync(PipeWriter output, KadMessage message, int maxMessageSize, CancellationToken cancellationToken)
    {
        KadMessageCodec.WriteFrame(output, message, maxMessageSize);
        return output.FlushAsync(cancellationToken);
    }
}
