using System.Collections.Concurrent;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Node;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Traversal;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// A DHT swarm for the lookup benchmarks: nodes on their own <see cref="MeshHost"/> on 127.0.0.1 (RPC over TCP, Noise,
/// yamux, signature authorization), with peer routing from an in-process directory (standing in for the libp2p
/// Kademlia front-end), or all on one <see cref="InMemoryDhtNetwork"/>. Each node bootstraps from a random earlier
/// one, as mesh's swarm launcher does. Counts the hops and calls of every lookup.
/// </summary>
internal sealed class DhtBenchSwarm : IAsyncDisposable
{
    private readonly List<MeshHost> _hosts = [];
    private readonly ConcurrentDictionary<PeerId, IReadOnlyList<Multiaddr>> _directory = new();
    private long _lookups;
    private long _hops;
    private long _calls;

    private DhtBenchSwarm(bool tcp)
    {
        Tcp = tcp;
        Memory = new InMemoryDhtNetwork();
    }

    public bool Tcp { get; }

    public InMemoryDhtNetwork Memory { get; }

    public List<DhtNode> Nodes { get; } = [];

    /// <summary>Mean referral-chain length of the lookups since the last <see cref="ResetCounters"/>.</summary>
    public double MeanHops => Interlocked.Read(ref _lookups) == 0 ? 0 : (double)Interlocked.Read(ref _hops) / Interlocked.Read(ref _lookups);

    /// <summary>Mean RPCs per lookup since the last <see cref="ResetCounters"/>.</summary>
    public double MeanCalls => Interlocked.Read(ref _lookups) == 0 ? 0 : (double)Interlocked.Read(ref _calls) / Interlocked.Read(ref _lookups);

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _lookups, 0);
        Interlocked.Exchange(ref _hops, 0);
        Interlocked.Exchange(ref _calls, 0);
    }

    public static async Task<DhtBenchSwarm> StartAsync(int nodes, bool tcp, int seed = 42, DhtNodeOptions? options = null)
    {
        var swarm = new DhtBenchSwarm(tcp);
        var random = new Random(seed);
        options ??= new DhtNodeOptions();
        for (int i = 0; i < nodes; i++)
        {
            IReadOnlyList<DhtNode> from = swarm.Nodes.Count == 0 ? [] : [swarm.Nodes[random.Next(swarm.Nodes.Count)]];
            swarm.Nodes.Add(await swarm.AddAsync(options, from));
        }
        return swarm;
    }

    private async Task<DhtNode> AddAsync(DhtNodeOptions options, IReadOnlyList<DhtNode> bootstrapFrom)
    {
        PrivateKey identity = Ed25519PrivateKey.Generate();
        DhtNode node;
        if (Tcp)
        {
            var hostOptions = new HostOptions { Identity = identity };
            hostOptions.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
            var host = new MeshHost(hostOptions);
            await host.StartAsync();
            _hosts.Add(host);
            _directory[host.PeerId] = [.. host.ListenAddresses];
            node = await DhtNode.CreateAsync(host, options with
            {
                InitialPeers = [.. bootstrapFrom.Select(n => _hosts.Single(h => h.PeerId == n.PeerId).GetFullListenAddresses()[0])],
                PeerAddressResolver = PeerAddressResolver.FromDelegate((peer, _) => ValueTask.FromResult(_directory.TryGetValue(peer, out IReadOnlyList<Multiaddr>? a) ? a : [])),
            });
        }
        else
        {
            node = await DhtNode.CreateAsync(Memory.CreateEndpoint(identity.PeerId), options with
            {
                InitialPeers = [.. bootstrapFrom.Select(n => Multiaddr.Parse($"/p2p/{n.PeerId}"))],
                Authorization = DhtAuthorization.None,
            });
        }
        node.TraversalObserver = Observe;
        return node;
    }

    private void Observe(TraversalResult<DhtId, PeerId> result)
    {
        foreach (TraversalQueryResult<DhtId, PeerId> q in result.Queries)
        {
            Interlocked.Increment(ref _lookups);
            Interlocked.Add(ref _hops, q.Hops);
        }
        Interlocked.Add(ref _calls, result.Statistics.Calls);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (DhtNode node in Nodes)
        {
            await node.DisposeAsync();
        }
        foreach (MeshHost host in _hosts)
        {
            await host.DisposeAsync();
        }
    }
}
