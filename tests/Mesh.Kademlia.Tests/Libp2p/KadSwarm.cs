using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Host;

namespace Mesh.Kademlia.Tests.Libp2p;

/// <summary>A few MeshCore DHT nodes on 127.0.0.1, each its own host, all bootstrapped off the first.</summary>
internal sealed class KadSwarm : IAsyncDisposable
{
    private KadSwarm(List<(MeshHost Host, KadDht Dht)> nodes)
    {
        Nodes = nodes;
    }

    public List<(MeshHost Host, KadDht Dht)> Nodes { get; }

    public static async Task<(MeshHost Host, KadDht Dht)> StartNodeAsync(KadDhtOptions? options = null)
    {
        var hostOptions = new HostOptions();
        hostOptions.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        var host = new MeshHost(hostOptions);
        await host.StartAsync();
        var dht = new KadDht(host, options ?? new KadDhtOptions { RefreshInterval = TimeSpan.Zero });
        dht.Validators.Register("v", AcceptAnyValidator.Instance);
        await dht.StartAsync();
        return (host, dht);
    }

    public static async Task<KadSwarm> StartAsync(int count, Func<int, KadDhtOptions>? options = null, CancellationToken cancellationToken = default)
    {
        var nodes = new List<(MeshHost, KadDht)>();
        for (int i = 0; i < count; i++)
        {
            nodes.Add(await StartNodeAsync(options?.Invoke(i)));
        }
        var swarm = new KadSwarm(nodes);
        Multiaddr first = nodes[0].Item1.GetFullListenAddresses()[0];
        for (int i = 1; i < count; i++)
        {
            await nodes[i].Item2.BootstrapAsync([first], cancellationToken);
        }
        // A second round so early joiners learn about later ones.
        for (int i = 0; i < count; i++)
        {
            await nodes[i].Item2.RefreshAsync(cancellationToken);
        }
        // The routing updates those lookups caused (answers, requests from peers identify has vouched for) are posted,
        // not applied: a test that asserts on the tables sees them applied.
        foreach ((MeshHost _, KadDht dht) in nodes)
        {
            await dht.FlushRoutingAsync(cancellationToken);
        }
        return swarm;
    }

    public async ValueTask DisposeAsync()
    {
        foreach ((MeshHost host, KadDht dht) in Nodes)
        {
            await dht.DisposeAsync();
            await host.DisposeAsync();
        }
    }
}
