using System.IO.Pipelines;
using System.Net;
using BenchmarkDotNet.Attributes;
using Mesh.Transport.Tcp;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// The TCP transport alone (socket ↔ pipes, no security, no muxer) on loopback: the ceiling the full stack is measured
/// against, and its allocation per 64 KiB write (target 0 B/op).
/// </summary>
public class TcpLoopbackBenchmarks
{
    private const int ChunkSize = 64 * 1024;
    private const int ChunksPerInvoke = 1024;

    private TcpConnectionListener _listener = null!;
    private TcpConnection _client = null!;
    private TcpConnection _server = null!;
    private Task _drain = Task.CompletedTask;
    private readonly byte[] _chunk = new byte[ChunkSize];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var transport = new TcpTransport();
        _listener = transport.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        ValueTask<TcpConnection?> accept = _listener.AcceptAsync();
        _client = await transport.ConnectAsync(_listener.LocalEndPoint);
        _server = (await accept)!;
        _drain = DrainAsync(_server.Input);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _client.DisposeAsync();
        await _drain;
        await _server.DisposeAsync();
        await _listener.DisposeAsync();
    }

    /// <summary>64 MiB per invocation; MB/s = 64 KiB / Mean.</summary>
    [Benchmark(OperationsPerInvoke = ChunksPerInvoke)]
    public async Task Write64KiB()
    {
        PipeWriter output = _client.Output;
        for (int i = 0; i < ChunksPerInvoke; i++)
        {
            _chunk.CopyTo(output.GetSpan(ChunkSize));
            output.Advance(ChunkSize);
            await output.FlushAsync();
        }
    }

    private static async Task DrainAsync(PipeReader input)
    {
        while (true)
        {
            ReadResult r = await input.ReadAsync();
            input.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted)
            {
                return;
            }
        }
    }
}
