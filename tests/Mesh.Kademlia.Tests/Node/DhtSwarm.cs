using Mesh.Kademlia.Node;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Tests.Protocol;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Node;

/// <summary>
/// DHT nodes for the ports of mesh's test_dht_node / test_dht / test_dht_crypto: every node on its own
/// <see cref="MeshHost"/> on 127.0.0.1 (peer routing by <see cref="TestPeerDirectory"/>), or all on one
/// <see cref="InMemoryDhtNetwork"/>. Mirrors mesh's test_utils/dht_swarms.py.
/// </summary>
internal sealed class DhtSwarm(DhtNetworkKind kind) : IAsyncDisposable
{
    private readonly InMemoryDhtNetwork _memory = new();
    // SwarmAsync adds nodes in parallel: every access goes through _membersLock (a lost List.Add made a bootstrap
    // node "unknown" to AddressOf under load).
    private readonly Lock _membersLock = new();
    private readonly List<Member> _members = [];

    public DhtNetworkKind Kind { get; } = kind;

    public TestPeerDirectory Directory { get; } = new();

    public InMemoryDhtNetwork Memory => _memory;

    public IReadOnlyList<DhtNode> Nodes => [.. Members().Where(m => !m.Stopped).Select(m => m.Node)];

    private Member[] Members()
    {
        lock (_membersLock)
        {
            return [.. _members];
        }
    }

    private Member MemberOf(DhtNode node) => Members().Single(x => x.Node == node);

    private void AddMember(Member member)
    {
        lock (_membersLock)
        {
            _members.Add(member);
        }
    }

    private sealed class Member(DhtNode node, MeshHost? host, InMemoryDhtTransport? endpoint)
    {
        public DhtNode Node { get; } = node;

        public MeshHost? Host { get; } = host;

        public InMemoryDhtTransport? Endpoint { get; } = endpoint;

        public bool Stopped { get; set; }
    }

    /// <summary>The address other nodes bootstrap from (<c>get_visible_maddrs</c>).</summary>
    public Multiaddr AddressOf(DhtNode node)
    {
        Member m = MemberOf(node);
        return m.Host is null ? Multiaddr.Parse($"/p2p/{node.PeerId}") : m.Host.GetFullListenAddresses()[0];
    }

    public InMemoryDhtTransport EndpointOf(DhtNode node) => MemberOf(node).Endpoint!;

    public async Task<DhtNode> AddAsync(DhtNodeOptions? options = null, IReadOnlyList<DhtNode>? bootstrapFrom = null, PrivateKey? identity = null)
    {
        identity ??= Ed25519PrivateKey.Generate();
        options ??= new DhtNodeOptions();
        if (bootstrapFrom is { Count: > 0 })
        {
            options = options with { InitialPeers = [.. bootstrapFrom.Select(AddressOf)] };
        }
        if (Kind == DhtNetworkKind.InMemory)
        {
            InMemoryDhtTransport endpoint = _memory.CreateEndpoint(identity.PeerId);
            try
            {
                DhtNode node = await DhtNode.CreateAsync(endpoint, options with { Authorization = DhtAuthorization.None });
                AddMember(new Member(node, null, endpoint));
                return node;
            }
            catch
            {
                await endpoint.DisposeAsync();
                throw;
            }
        }
        var hostOptions = new HostOptions { Identity = identity };
        hostOptions.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        var host = new MeshHost(hostOptions);
        await host.StartAsync();
        Directory.Register(host);
        try
        {
            DhtNode node = await DhtNode.CreateAsync(host, options with { PeerAddressResolver = Directory });
            AddMember(new Member(node, host, null));
            return node;
        }
        catch
        {
            Directory.Unregister(host.PeerId);
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>mesh <c>launch_star_shaped_swarm</c>: one node, then the others bootstrapping from it at once.</summary>
    public async Task<DhtNode[]> StarAsync(int peers, DhtNodeOptions? options = null)
    {
        DhtNode first = await AddAsync(options);
        DhtNode[] rest = await Task.WhenAll(Enumerable.Range(0, peers - 1).Select(_ => AddAsync(options, [first])));
        await SettleAsync();
        return [first, .. rest];
    }

    /// <summary>mesh <c>launch_swarm_in_separate_processes</c> in one process: the first few sequentially, each from a random earlier one.</summary>
    public async Task<DhtNode[]> SwarmAsync(int peers, int sequential, Random random, DhtNodeOptions? options = null)
    {
        var nodes = new List<DhtNode> { await AddAsync(options) };
        for (int i = 1; i < sequential; i++)
        {
            nodes.Add(await AddAsync(options, [nodes[random.Next(nodes.Count)]]));
        }
        DhtNode[] earlier = [.. nodes];
        DhtNode[] parallel = await Task.WhenAll(Enumerable.Range(0, peers - sequential).Select(_ => AddAsync(options, [earlier[random.Next(earlier.Length)]])));
        nodes.AddRange(parallel);
        await SettleAsync();
        return [.. nodes];
    }

    /// <summary>
    /// Waits until the swarm is formed: a join returns once its bootstrap time is spent, and on a loaded machine its
    /// own-id lookup (which is what tells the others about it) may still be running, and the nodes it called may not yet
    /// have applied the "seen" routing updates. A test that asserts on what the swarm knows waits for both first.
    /// Every pass waits for every node to go quiet; the next pass flushes what the last one's work posted elsewhere.
    /// </summary>
    public async Task SettleAsync()
    {
        for (int pass = 0; pass < 3; pass++)
        {
            await Task.WhenAll(Nodes.Select(n => n.WhenIdleAsync()));
        }
    }

    /// <summary>Shuts a node down (it stops answering; its peers find out when they call it).</summary>
    public async Task StopAsync(DhtNode node)
    {
        Member m = MemberOf(node);
        m.Stopped = true;
        await m.Node.DisposeAsync();
        if (m.Endpoint is not null)
        {
            await m.Endpoint.DisposeAsync();
        }
        if (m.Host is not null)
        {
            Directory.Unregister(m.Host.PeerId);
            await m.Host.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Member m in Members().Where(m => !m.Stopped))
        {
            await StopAsync(m.Node);
        }
    }
}
