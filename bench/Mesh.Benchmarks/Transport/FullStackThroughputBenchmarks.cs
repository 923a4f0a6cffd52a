using BenchmarkDotNet.Attributes;
using Mesh.Transport.Host;
using Mesh.Transport.Protocols.Perf;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// Single-stream throughput through the whole stack (TCP loopback, multistream-select, Noise, yamux, perf protocol),
/// both hosts in this process. One operation moves <see cref="Bytes"/> one way; MB/s = Bytes / Mean.
/// </summary>
public class FullStackThroughputBenchmarks
{
    private HostBenchmarkPeers _peers = null!;
    private MeshConnection _connection = null!;

    [Params(64 * 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _peers = await HostBenchmarkPeers.StartAsync();
        _connection = await _peers.Client.ConnectAsync(_peers.ServerAddress);
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _peers.DisposeAsync();

    [Benchmark]
    public async Task<ulong> Download()
    {
        MeshStream stream = await _connection.OpenStreamAsync([PerfProtocol.Id]);
        await using (stream)
        {
            PerfResult r = await PerfProtocol.RunClientAsync(stream, 0, (ulong)Bytes, null, CancellationToken.None);
            return r.DownloadBytes;
        }
    }

    [Benchmark]
    public async Task<ulong> Upload()
    {
        MeshStream stream = await _connection.OpenStreamAsync([PerfProtocol.Id]);
        await using (stream)
        {
            PerfResult r = await PerfProtocol.RunClientAsync(stream, (ulong)Bytes, 0, null, CancellationToken.None);
            return r.UploadBytes;
        }
    }
}
