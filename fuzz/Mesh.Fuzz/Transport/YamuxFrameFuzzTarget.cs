using System.Buffers;
using System.IO.Pipelines;
using Mesh.Multistream;
using Mesh.Transport.Muxing;
using Mesh.Transport.Yamux;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// yamux frames, two ways. (1) The header codec over the input as a frame sequence, span path vs a multi-segment path
/// split at fuzzer-chosen points, with decode → encode → decode on every header: both paths must agree. (2) A live
/// <see cref="YamuxSession"/> reading the input as its connection, delivered in fuzzer-chosen chunks, while an
/// application accepts every stream, reads it, answers and closes; the session's output is discarded. The session must
/// end (at end of input) without hanging, and only with a typed end: clean, <see cref="YamuxProtocolException"/>, or
/// the peer's error GoAway / a control-frame flood. Anything else (an internal error, an unexpected exception in the
/// application) is a finding.
/// Input layout: byte 0 = flags (bit 0: session is the initiator; bit 1: the application writes back), byte 1 = chunk
/// seed, rest = the bytes the peer sends.
/// </summary>
public sealed class YamuxFrameFuzzTarget : IFuzzTarget
{
    private static readonly YamuxMuxer s_muxer = new(new YamuxOptions
    {
        KeepAliveInterval = Timeout.InfiniteTimeSpan,
        RttMeasurementInterval = Timeout.InfiniteTimeSpan,
        MaxInboundStreams = 64,
        AcceptBacklog = 16,
    });

    public string Name => "yamux-frame";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2)
        {
            return;
        }
        bool initiator = (input[0] & 1) != 0;
        bool writeBack = (input[0] & 2) != 0;
        int seed = input[1];
        byte[] wire = input[2..].ToArray();

        CheckCodec(wire, seed);
        DriveSession(wire, seed, initiator, writeBack);
    }

    private static void CheckCodec(byte[] wire, int seed)
    {
        int chunk = 1 + seed % 13;
        (List<YamuxHeader> a, string endA) = DecodeAll(new ReadOnlySequence<byte>(wire));
        (List<YamuxHeader> b, string endB) = DecodeAll(FuzzSegments.Chunked(wire, chunk));
        if (endA != endB || !a.SequenceEqual(b))
        {
            throw new InvalidOperationException($"segmentation changed the decoding: {a.Count}/{endA} vs {b.Count}/{endB}");
        }
    }

    private static (List<YamuxHeader> Headers, string End) DecodeAll(ReadOnlySequence<byte> buffer)
    {
        var headers = new List<YamuxHeader>();
        Span<byte> encoded = stackalloc byte[YamuxHeader.Size];
        while (true)
        {
            long before = buffer.Length;
            OperationStatus status = YamuxFrameCodec.TryReadHeader(ref buffer, out YamuxHeader header, out YamuxError error);
            if (status == OperationStatus.NeedMoreData)
            {
                if (buffer.Length != before || buffer.Length >= YamuxHeader.Size)
                {
                    throw new InvalidOperationException("NeedMoreData consumed input or ignored a complete header");
                }
                return (headers, "need-more");
            }
            if (status == OperationStatus.InvalidData)
            {
                if (buffer.Length != before || error is not (YamuxError.InvalidVersion or YamuxError.InvalidFrameType))
                {
                    throw new InvalidOperationException($"InvalidData consumed input or reported {error}");
                }
                return (headers, error.ToString());
            }
            if (before - buffer.Length != YamuxHeader.Size)
            {
                throw new InvalidOperationException("a header consumed other than 12 bytes");
            }
            if (!YamuxFrameCodec.TryWriteHeader(encoded, header, out _)
                || YamuxFrameCodec.TryReadHeader(encoded, out YamuxHeader again, out _) != OperationStatus.Done
                || again != header)
            {
                throw new InvalidOperationException("decode → encode → decode changed the header");
            }
            headers.Add(header);
            if (header.Type == YamuxFrameType.Data)
            {
                if (buffer.Length < header.Length)
                {
                    return (headers, "partial-payload");
                }
                buffer = buffer.Slice(header.Length);
            }
        }
    }

    private static void DriveSession(byte[] wire, int seed, bool initiator, bool writeBack)
    {
        var toSession = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        var fromSession = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false)); // never read: discarded
        YamuxSession session = s_muxer.CreateSession(new Duplex(toSession.Reader, fromSession.Writer), initiator);

        Task application = Task.Run(() => ServeAsync(session, writeBack));

        // Feed the input in chunks whose sizes the seed chooses.
        var random = new Random(seed);
        int offset = 0;
        while (offset < wire.Length)
        {
            int n = Math.Min(wire.Length - offset, 1 + random.Next(0, 1 + (seed % 4) * 64));
            toSession.Writer.Write(wire.AsSpan(offset, n));
            ValueTask<FlushResult> flush = toSession.Writer.FlushAsync();
            if (!flush.IsCompleted || flush.Result.IsCompleted)
            {
                break; // the session stopped reading (it ended)
            }
            offset += n;
        }
        toSession.Writer.Complete();

        if (!WaitQuietly(session.Completion) || !WaitQuietly(application))
        {
            throw new TimeoutException("the yamux session did not end after the end of its input");
        }
        if (application.IsFaulted)
        {
            throw new InvalidOperationException("the application saw an unexpected error", application.Exception);
        }
        if (session.Completion.IsFaulted)
        {
            Exception error = session.Completion.Exception!.InnerException!;
            switch (error)
            {
                case MeshProtocolException:
                    return; // the typed content error
                case YamuxSessionClosedException { Reason: YamuxSessionEndReason.RemoteGoAwayError or YamuxSessionEndReason.OutputQueueOverflow }:
                    return; // the input told us to end, or flooded us
                default:
                    throw new InvalidOperationException($"yamux session ended with {session.EndReason}", error);
            }
        }
        fromSession.Reader.Complete();
    }

    /// <summary>Waits (bounded) for a task to finish without throwing its exception; false on timeout.</summary>
    private static bool WaitQuietly(Task task) =>
        Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(20))).GetAwaiter().GetResult() == task;

    private static async Task ServeAsync(YamuxSession session, bool writeBack)
    {
        var streams = new List<Task>();
        try
        {
            while (true)
            {
                IMuxedStream stream = await session.AcceptStreamAsync().ConfigureAwait(false);
                streams.Add(ServeStreamAsync(stream, writeBack));
            }
        }
        catch (MuxedConnectionClosedException)
        {
            // The session ended: expected.
        }
        await Task.WhenAll(streams).ConfigureAwait(false);
    }

    private static async Task ServeStreamAsync(IMuxedStream stream, bool writeBack)
    {
        try
        {
            long total = 0;
            while (true)
            {
                ReadResult result = await stream.Input.ReadAsync().ConfigureAwait(false);
                total += result.Buffer.Length;
                stream.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
            if (writeBack)
            {
                await stream.Output.WriteAsync(new byte[Math.Min(total, 100_000)]).ConfigureAwait(false);
            }
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // StreamResetException / MuxedConnectionClosedException: the typed ends of a stream.
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
