using BenchmarkDotNet.Attributes;
using Mesh.Transport.Host;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// Sequential new connections on loopback: TCP connect, multistream-select, Noise XX (Ed25519 identities), yamux,
/// then a graceful close. Identify is off so the number is the upgrade alone. Connections/s = 1 / Mean.
/// </summary>
public class ConnectionSetupBenchmarks
{
    private HostBenchmarkPeers _peers = null!;

    [GlobalSetup]
    public async Task SetupAsync() => _peers = await HostBenchmarkPeers.StartAsync(identify: false);

    [GlobalCleanup]
    public async Task CleanupAsync() => await _peers.DisposeAsync();

    [Benchmark]
    public async Task ConnectAndClose()
    {
        MeshConnection connection = await _peers.Client.ConnectAsync(_peers.ServerAddress);
        await connection.CloseAsync();
        await connection.Closed;
    }
}
