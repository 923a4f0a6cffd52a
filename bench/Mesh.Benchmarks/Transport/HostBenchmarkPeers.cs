using Mesh.Multistream;
using Mesh.Transport.Host;

namespace Mesh.Benchmarks.Transport;

/// <summary>A server and a client host on loopback, connected, for the full-stack benchmarks.</summary>
internal sealed class HostBenchmarkPeers : IAsyncDisposable
{
    private HostBenchmarkPeers(MeshHost server, MeshHost client, Multiaddr serverAddress)
    {
        Server = server;
        Client = client;
        ServerAddress = serverAddress;
    }

    public MeshHost Server { get; }

    public MeshHost Client { get; }

    public Multiaddr ServerAddress { get; }

    public static async Task<HostBenchmarkPeers> StartAsync(bool identify = true)
    {
        var serverOptions = new HostOptions { EnablePerf = true, EnableIdentify = identify };
        serverOptions.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        var server = new MeshHost(serverOptions);
        await server.StartAsync();
        var client = new MeshHost(new HostOptions { EnableIdentify = identify });
        return new HostBenchmarkPeers(server, client, server.GetFullListenAddresses()[0]);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
