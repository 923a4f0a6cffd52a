using System.Buffers;
using Mesh.Transport.Protocols.Identify;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// Identify frames (uvarint length ‖ Identify protobuf), read as a stream of up to 10 merged messages like the identify
/// service does. The first input byte picks the segmentation (single segment or split every k bytes) so partial-frame
/// paths are covered; the result is checked differentially against a single-segment read, and every accepted message
/// must re-encode and decode to the same fields.
/// </summary>
public sealed class IdentifyFuzzTarget : IFuzzTarget
{
    public string Name => "identify";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int chunk = input[0] % 17;
        byte[] data = input[1..].ToArray();
        (OperationStatus statusA, IdentifyMessage a, IdentifyError errorA) = ReadAll(new ReadOnlySequence<byte>(data));
        (OperationStatus statusB, IdentifyMessage b, IdentifyError errorB) = ReadAll(Chunked(data, chunk));
        if (statusA != statusB || errorA != errorB || !Same(a, b))
        {
            throw new InvalidOperationException($"segmentation changed the result: {statusA}/{errorA} vs {statusB}/{errorB}");
        }
        if (statusA == OperationStatus.InvalidData)
        {
            return;
        }
        var writer = new ArrayBufferWriter<byte>();
        IdentifyCodec.WriteFrame(writer, a);
        var again = new ReadOnlySequence<byte>(writer.WrittenMemory);
        var c = new IdentifyMessage();
        if (IdentifyCodec.TryReadFrame(ref again, c, out _, int.MaxValue) != OperationStatus.Done || !Same(a, c))
        {
            throw new InvalidOperationException("re-encoded message does not decode to the same fields");
        }
    }

    private static (OperationStatus, IdentifyMessage, IdentifyError) ReadAll(ReadOnlySequence<byte> buffer)
    {
        var message = new IdentifyMessage();
        for (int i = 0; i < IdentifyCodec.MaxMessagesPerStream; i++)
        {
            OperationStatus status = IdentifyCodec.TryReadFrame(ref buffer, message, out IdentifyError error);
            if (status != OperationStatus.Done)
            {
                return (status, message, error);
            }
        }
        return (OperationStatus.Done, message, IdentifyError.None);
    }

    private static ReadOnlySequence<byte> Chunked(byte[] data, int chunk)
    {
        if (chunk == 0 || data.Length <= chunk)
        {
            return new ReadOnlySequence<byte>(data);
        }
        Segment first = new(data.AsMemory(0, chunk), 0);
        Segment last = first;
        for (int i = chunk; i < data.Length; i += chunk)
        {
            last = last.Append(data.AsMemory(i, Math.Min(chunk, data.Length - i)));
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static bool Same(IdentifyMessage x, IdentifyMessage y) =>
        x.ProtocolVersion == y.ProtocolVersion && x.AgentVersion == y.AgentVersion
        && Eq(x.PublicKey, y.PublicKey) && Eq(x.ObservedAddr, y.ObservedAddr) && Eq(x.SignedPeerRecord, y.SignedPeerRecord)
        && x.Protocols.SequenceEqual(y.Protocols)
        && x.ListenAddrs.Count == y.ListenAddrs.Count && x.ListenAddrs.Zip(y.ListenAddrs).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    private static bool Eq(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
