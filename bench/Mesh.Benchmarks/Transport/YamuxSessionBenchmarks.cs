using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Mesh.Transport.Muxing;
using Mesh.Transport.Yamux;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// A yamux session pair over an in-memory duplex pipe (1 MiB pause threshold, like the test kit's) with one stream set
/// up once; each operation carries 16 MiB over it in 64 KiB application writes. Allocation counts both sessions: the
/// write path (app pipe → write loop → connection), the decode + deliver path (read loop → stream pipe → app) and the
/// window updates.
/// </summary>
public abstract class YamuxTransferBenchmarkBase
{
    protected const int TotalBytes = 16 << 20;
    private const int WriteBytes = 64 * 1024;

    private readonly byte[] _chunk = new byte[WriteBytes];
    private YamuxSession _dialer = null!;
    private YamuxSession _listener = null!;
    private IMuxedStream _sending = null!;
    private IMuxedStream _receiving = null!;

    protected abstract int FrameSize { get; }

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_chunk);
        var options = new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false);
        var leftToRight = new Pipe(options);
        var rightToLeft = new Pipe(options);
        var muxer = new YamuxMuxer(new YamuxOptions { MaxDataFrameSize = FrameSize });
        _dialer = muxer.CreateSession(new Duplex(rightToLeft.Reader, leftToRight.Writer), isInitiator: true);
        _listener = muxer.CreateSession(new Duplex(leftToRight.Reader, rightToLeft.Writer), isInitiator: false);
        _sending = _dialer.OpenStream();
        _sending.Output.WriteAsync(new byte[1]).AsTask().GetAwaiter().GetResult();
        _receiving = _listener.AcceptStreamAsync().AsTask().GetAwaiter().GetResult();
        ReadResult first = _receiving.Input.ReadAsync().AsTask().GetAwaiter().GetResult();
        _receiving.Input.AdvanceTo(first.Buffer.End);
        Transfer().GetAwaiter().GetResult(); // warm the pipes' segment pools and let the window auto-tune
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _dialer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    protected async Task Transfer()
    {
        Task write = WriteAllAsync();
        long remaining = TotalBytes;
        PipeReader input = _receiving.Input;
        while (remaining > 0)
        {
            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            remaining -= result.Buffer.Length;
            input.AdvanceTo(result.Buffer.End);
        }
        await write.ConfigureAwait(false);
    }

    private async Task WriteAllAsync()
    {
        PipeWriter output = _sending.Output;
        for (int written = 0; written < TotalBytes; written += WriteBytes)
        {
            await output.WriteAsync(_chunk).ConfigureAwait(false);
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}

/// <summary>Single-stream throughput (16 MiB / Mean) for each data-frame split size.</summary>
public class YamuxThroughputBenchmarks : YamuxTransferBenchmarkBase
{
    /// <summary>The payload size at which the sender splits data frames.</summary>
    [Params(16 * 1024, 64 * 1024, 256 * 1024)]
    public int MaxDataFrameSize { get; set; }

    protected override int FrameSize => MaxDataFrameSize;

    [Benchmark(Description = "yamux: 16 MiB over one stream, 64 KiB writes")]
    public Task Transfer16MiB() => Transfer();
}

/// <summary>The same transfer with 64 KiB frames, reported per data frame (OperationsPerInvoke = 256 frames).</summary>
public class YamuxPerFrameBenchmarks : YamuxTransferBenchmarkBase
{
    private const int Frames = TotalBytes / (64 * 1024);

    protected override int FrameSize => 64 * 1024;

    [Benchmark(OperationsPerInvoke = Frames, Description = "yamux: one 64 KiB data frame, end to end (steady state)")]
    public Task PerDataFrame() => Transfer();
}

/// <summary>
/// Stream open/close rate: per operation, 100 streams each do open → 1-byte request + FIN → accept → read → 1-byte
/// reply + FIN → read to the end, all 100 concurrently (OperationsPerInvoke = 100, so Mean is per stream).
/// </summary>
public class YamuxStreamRateBenchmarks
{
    private const int StreamsPerOperation = 100;
    private static readonly byte[] s_one = [1];

    private YamuxSession _dialer = null!;
    private YamuxSession _listener = null!;
    private readonly Task[] _openers = new Task[StreamsPerOperation];

    [GlobalSetup]
    public void Setup()
    {
        var options = new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false);
        var leftToRight = new Pipe(options);
        var rightToLeft = new Pipe(options);
        var muxer = new YamuxMuxer();
        _dialer = muxer.CreateSession(new Duplex(rightToLeft.Reader, leftToRight.Writer), isInitiator: true);
        _listener = muxer.CreateSession(new Duplex(leftToRight.Reader, rightToLeft.Writer), isInitiator: false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _dialer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = StreamsPerOperation, Description = "yamux: open, request, reply, close (per stream)")]
    public async Task OpenRequestReplyClose()
    {
        Task serving = ServeAsync();
        for (int i = 0; i < StreamsPerOperation; i++)
        {
            _openers[i] = RequestAsync();
        }
        await Task.WhenAll(_openers).ConfigureAwait(false);
        await serving.ConfigureAwait(false);
    }

    private async Task RequestAsync()
    {
        YamuxStream stream = _dialer.OpenStream();
        await stream.Output.WriteAsync(s_one).ConfigureAwait(false);
        await stream.Output.CompleteAsync().ConfigureAwait(false);
        await DrainAsync(stream).ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ServeAsync()
    {
        var replies = new Task[StreamsPerOperation];
        for (int i = 0; i < StreamsPerOperation; i++)
        {
            IMuxedStream stream = await _listener.AcceptStreamAsync().ConfigureAwait(false);
            replies[i] = ReplyAsync(stream);
        }
        await Task.WhenAll(replies).ConfigureAwait(false);
    }

    private static async Task ReplyAsync(IMuxedStream stream)
    {
        await DrainAsync(stream).ConfigureAwait(false);
        await stream.Output.WriteAsync(s_one).ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task DrainAsync(IMuxedStream stream)
    {
        while (true)
        {
            ReadResult result = await stream.Input.ReadAsync().ConfigureAwait(false);
            stream.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
