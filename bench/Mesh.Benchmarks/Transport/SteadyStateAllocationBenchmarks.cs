using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Mesh.Transport.Host;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// Allocation per data frame in steady state, end to end: one long-lived stream; each operation writes one 64 KiB
/// chunk (one yamux data frame, one Noise frame's worth) that the server's handler reads and discards. Both hosts
/// run in this process, so the memory diagnoser's process-wide count covers every layer on both sides (socket loops,
/// Noise, yamux, pipes, handler). The target is 0 B/op.
/// </summary>
public class SteadyStateAllocationBenchmarks
{
    private const string Sink = "/meshcore/bench/sink/1.0.0";
    private const int ChunkSize = 64 * 1024;
    private const int ChunksPerInvoke = 256;

    private HostBenchmarkPeers _peers = null!;
    private MeshStream _stream = null!;
    private readonly byte[] _chunk = new byte[ChunkSize];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _peers = await HostBenchmarkPeers.StartAsync();
        _peers.Server.SetHandler(Sink, DrainAsync);
        _stream = await _peers.Client.OpenStreamAsync(_peers.ServerAddress, [Sink]);
        // Warm the window auto-tuning and the pools before measuring.
        for (int i = 0; i < 1024; i++)
        {
            await _stream.Output.WriteAsync(_chunk);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _stream.DisposeAsync();
        await _peers.DisposeAsync();
    }

    // A pooled builder: the benchmark method's own state machine would otherwise be boxed once per invocation (when
    // backpressure makes a flush wait), which BenchmarkDotNet would count against the stack.
    [Benchmark(OperationsPerInvoke = ChunksPerInvoke)]
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteFrame64KiB()
    {
        PipeWriter output = _stream.Output;
        for (int i = 0; i < ChunksPerInvoke; i++)
        {
            _chunk.CopyTo(output.GetSpan(ChunkSize));
            output.Advance(ChunkSize);
            await output.FlushAsync();
        }
    }

    private static async Task DrainAsync(MeshStream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult r = await stream.Input.ReadAsync(cancellationToken);
            stream.Input.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted)
            {
                return;
            }
        }
    }
}
