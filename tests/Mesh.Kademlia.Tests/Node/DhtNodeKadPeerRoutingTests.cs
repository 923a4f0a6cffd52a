using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Node;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Node;

/// <summary>
/// The mesh DHT with the kad front-end as its peer routing, in one process over loopback TCP, as <c>mesh dht</c> runs
/// them: each host runs a kad DHT (bootstrapped first) and a mesh <see cref="DhtNode"/> whose
/// <see cref="DhtNodeOptions.PeerAddressResolver"/> is a <see cref="KadPeerAddressResolver"/>. In a chain (B joined
/// through A, C through B), a client given A alone reaches every replica, and one given C alone finds the value.
/// </summary>
public sealed class DhtNodeKadPeerRoutingTests
{
    private sealed class Member(MeshHost host, KadDht? kad, DhtNode node) : IAsyncDisposable
    {
        public MeshHost Host => host;

        public DhtNode Node => node;

        public Multiaddr Address => host.GetFullListenAddresses()[0];

        public async ValueTask DisposeAsync()
        {
            await node.DisposeAsync();
            if (kad is not null)
            {
                await kad.DisposeAsync();
            }
            await host.DisposeAsync();
        }
    }

    private static async Task<Member> StartAsync(bool client, Multiaddr[] initialPeers, bool peerRouting, CancellationToken ct)
    {
        var identity = PrivateKey.Generate(KeyType.Ed25519);
        var options = new HostOptions { Identity = identity };
        if (!client)
        {
            options.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        }
        var host = new MeshHost(options);
        await host.StartAsync(ct);
        KadDht? kad = null;
        if (peerRouting)
        {
            // First, as p2pd's DHT is up before the mesh DHT bootstraps.
            kad = new KadDht(host, new KadDhtOptions { Mode = client ? KadDhtMode.Client : KadDhtMode.Server, RefreshInterval = TimeSpan.Zero });
            await kad.StartAsync(ct);
            if (initialPeers.Length > 0)
            {
                await kad.BootstrapAsync(initialPeers, ct);
            }
        }
        DhtNode node = await DhtNode.CreateAsync(host, new DhtNodeOptions
        {
            InitialPeers = initialPeers,
            ClientMode = client,
            PeerAddressResolver = kad is null ? null : new KadPeerAddressResolver(kad),
            CacheLocally = false,
            CacheNearest = 0,
        }, cancellationToken: ct);
        return new Member(host, kad, node);
    }

    [Fact]
    public async Task A_client_given_one_end_of_a_chain_reaches_every_replica_and_one_given_the_other_end_finds_the_value()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        CancellationToken ct = timeout.Token;
        await using Member a = await StartAsync(client: false, [], peerRouting: true, ct);
        await using Member b = await StartAsync(client: false, [a.Address], peerRouting: true, ct);
        await using Member c = await StartAsync(client: false, [b.Address], peerRouting: true, ct);

        await using (Member writer = await StartAsync(client: true, [a.Address], peerRouting: true, ct))
        {
            Assert.True(await writer.Node.StoreAsync("routed", "through A", writer.Node.Clock.Now + 120, cancellationToken: ct));
        }
        // num_replicas 5 > 3 nodes: a client that can dial every node the lookup names stores on all of them.
        foreach (Member m in new[] { a, b, c })
        {
            Assert.True(m.Node.Protocol.Stores.Storage.Contains(DhtId.Generate("routed")), $"{m.Host.PeerId} holds no replica");
        }
        await using (Member reader = await StartAsync(client: true, [c.Address], peerRouting: true, ct))
        {
            DhtValue? found = await reader.Node.GetAsync("routed", cancellationToken: ct);
            Assert.Equal("through A", found?.Value.AsString());
        }

        // Without peer routing (no kad DHT on the client) it reaches only the node it was given.
        await using (Member unrouted = await StartAsync(client: true, [a.Address], peerRouting: false, ct))
        {
            Assert.True(await unrouted.Node.StoreAsync("unrouted", "only A", unrouted.Node.Clock.Now + 120, cancellationToken: ct));
        }
        Assert.True(a.Node.Protocol.Stores.Storage.Contains(DhtId.Generate("unrouted")));
        Assert.False(b.Node.Protocol.Stores.Storage.Contains(DhtId.Generate("unrouted")));
        Assert.False(c.Node.Protocol.Stores.Storage.Contains(DhtId.Generate("unrouted")));
    }
}
