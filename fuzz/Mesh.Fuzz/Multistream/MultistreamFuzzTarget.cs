using System.Buffers;
using System.IO.Pipelines;
using Mesh.Multistream;

namespace Mesh.Fuzz.Multistream;

/// <summary>
/// multistream-select. Input: byte 0 = mode (bit 0-1: decoder / responder / initiator / lazy initiator; bits 2-4:
/// number of segment-size bytes that follow), then the sizes, then the peer's bytes.
/// Decoder mode reads messages (and ls responses) over the fuzzer's segmentation against a single segment.
/// The other modes run the real negotiation state machines with the bytes as everything the peer ever sends:
/// they must end with a protocol or a MultistreamException, never another exception, and never consume past what
/// they report (the bytes left on the reader must be a suffix of the input).
/// </summary>
public sealed class MultistreamFuzzTarget : IFuzzTarget
{
    private static readonly string[] s_protocols = ["/noise", "/yamux/1.0.0", "/ipfs/kad/1.0.0"];

    public string Name => "multistream";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int mode = input[0] & 3;
        int sizeCount = Math.Min((input[0] >> 2) & 7, input.Length - 1);
        ReadOnlySpan<byte> sizes = input.Slice(1, sizeCount);
        byte[] data = input[(1 + sizeCount)..].ToArray();
        switch (mode)
        {
            case 0:
                Decode(data, sizes);
                break;
            default:
                Negotiate(mode, data, sizes.ToArray());
                break;
        }
    }

    private static void Decode(byte[] data, ReadOnlySpan<byte> sizes)
    {
        ReadOnlySequence<byte> whole = new(data);
        ReadOnlySequence<byte> split = FuzzInput.Segmented(data, sizes);
        int maxLength = sizes.IsEmpty ? MultistreamCodec.MaxProtocolLength + 1 : MultistreamCodec.MaxMessageLength;
        while (true)
        {
            OperationStatus a = MultistreamCodec.TryReadMessage(ref whole, maxLength, out ReadOnlySequence<byte> bodyA, out MultistreamError errorA);
            OperationStatus b = MultistreamCodec.TryReadMessage(ref split, maxLength, out ReadOnlySequence<byte> bodyB, out MultistreamError errorB);
            FuzzInput.Check(a == b && errorA == errorB, "segmentation changed the result");
            if (a != OperationStatus.Done)
            {
                FuzzInput.Check(whole.Length == split.Length, "consumed differs");
                return;
            }
            byte[] body = bodyA.ToArray();
            FuzzInput.Check(body.AsSpan().SequenceEqual(bodyB.ToArray()), "bodies differ");
            if (MultistreamCodec.TryDecodeProtocol(bodyA, out string protocol))
            {
                FuzzInput.Check(MultistreamCodec.BodyEquals(bodyB, protocol), "BodyEquals disagrees with the decoded text");
                var writer = new ArrayBufferWriter<byte>();
                MultistreamCodec.WriteMessage(writer, protocol);
                var again = new ReadOnlySequence<byte>(writer.WrittenMemory);
                FuzzInput.Check(MultistreamCodec.TryReadMessage(ref again, out ReadOnlySequence<byte> same, out _) == OperationStatus.Done
                    && same.ToArray().AsSpan().SequenceEqual(body), "re-encoded message differs");
            }
            var listA = new List<string>();
            var listB = new List<string>();
            FuzzInput.Check(MultistreamCodec.TryParseListResponse(bodyA, listA) == MultistreamCodec.TryParseListResponse(bodyB, listB)
                && listA.SequenceEqual(listB), "ls parse differs");
        }
    }

    private static void Negotiate(int mode, byte[] data, byte[] sizes)
    {
        // No back-pressure and inline schedulers: with all of the peer's bytes already written and the writer
        // completed, every await completes synchronously, so the state machine runs to its end right here.
        var options = new PipeOptions(pauseWriterThreshold: 0, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);
        var fromPeer = new Pipe(options);
        var toPeer = new Pipe(options);
        ReadOnlySequence<byte> chunks = FuzzInput.Segmented(data, sizes);
        foreach (ReadOnlyMemory<byte> chunk in chunks)
        {
            fromPeer.Writer.Write(chunk.Span);
            fromPeer.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
        }
        fromPeer.Writer.Complete();
        var local = new Duplex(fromPeer.Reader, toPeer.Writer);

        try
        {
            switch (mode)
            {
                case 1:
                    Finish(MultistreamSelect.HandleAsync(local, p => p == s_protocols[data.Length % 3], s_protocols, 8, CancellationToken.None));
                    break;
                case 2:
                    Finish(MultistreamSelect.SelectAsync(local, s_protocols, CancellationToken.None));
                    break;
                default:
                    IDuplexPipe lazy = MultistreamSelect.SelectLazy(local, s_protocols[0]);
                    ValueTask<ReadResult> read = lazy.Input.ReadAsync(CancellationToken.None);
                    FuzzInput.Check(read.IsCompleted, "lazy read did not complete synchronously");
                    ReadResult result = read.GetAwaiter().GetResult();
                    FuzzInput.Check(data.AsSpan().EndsWith(result.Buffer.ToArray()), "lazy read returned bytes that are not the input's tail");
                    lazy.Input.AdvanceTo(result.Buffer.End);
                    return;
            }
        }
        catch (MultistreamException)
        {
            return;
        }

        // After a successful negotiation the rest of the peer's bytes must still be on the reader, untouched.
        FuzzInput.Check(fromPeer.Reader.TryRead(out ReadResult rest), "reader has nothing left, not even completion");
        FuzzInput.Check(data.AsSpan().EndsWith(rest.Buffer.ToArray()), "negotiation consumed bytes beyond its last message");
        fromPeer.Reader.AdvanceTo(rest.Buffer.End);
    }

    private static void Finish(ValueTask<string> negotiation)
    {
        FuzzInput.Check(negotiation.IsCompleted, "negotiation did not complete on a closed input");
        string selected = negotiation.GetAwaiter().GetResult();
        FuzzInput.Check(Array.IndexOf(s_protocols, selected) >= 0, "selected a protocol that was never offered");
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
