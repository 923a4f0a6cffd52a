using System.Text;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Libp2p;

/// <summary>
/// MeshCore DHT nodes talking /ipfs/kad/1.0.0 to each other over real TCP on 127.0.0.1: routing-table filling through
/// identify, lookups, values, providers, client mode. (Interop with js-libp2p is in Mesh.Interop.Tests.)
/// </summary>
public sealed class KadDhtSwarmTests
{
    private static CancellationToken Timeout(int seconds = 120)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    [Fact]
    public async Task Bootstrapped_servers_fill_each_others_routing_tables()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(5, cancellationToken: ct);
        foreach ((MeshHost host, KadDht dht) in swarm.Nodes)
        {
            await dht.FlushRoutingAsync(ct);
            Assert.True(dht.RoutingTable.Count >= 3, $"{host.PeerId} knows only {dht.RoutingTable.Count} peers");
            Assert.False(dht.RoutingTable.ContainsPeer(host.PeerId));
            Assert.Contains(dht.Options.ProtocolId, host.Protocols);
        }
    }

    [Fact]
    public async Task Find_peer_and_closest_peers_across_the_swarm()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(5, cancellationToken: ct);
        (MeshHost lastHost, _) = swarm.Nodes[^1];
        KadPeerInfo? found = await swarm.Nodes[1].Dht.FindPeerAsync(lastHost.PeerId, ct);
        Assert.NotNull(found);
        Assert.Contains(lastHost.ListenAddresses[0], found.Addresses);

        byte[] key = "/v/closest"u8.ToArray();
        IReadOnlyList<PeerId> closest = await swarm.Nodes[2].Dht.GetClosestPeersAsync(key, ct);
        Assert.Equal(4, closest.Count); // everyone but the asker
        var expected = swarm.Nodes.Select(n => n.Host.PeerId).Where(p => p != swarm.Nodes[2].Host.PeerId)
            .OrderBy(p => Mesh.Kademlia.Keys.KadKey256.Hash(key) ^ Mesh.Kademlia.Keys.KadKey256.Hash(p.Bytes)).ToArray();
        Assert.Equal(expected, closest);
    }

    [Fact]
    public async Task Put_on_one_node_get_on_another_with_quorum_and_correction()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(5, cancellationToken: ct);
        byte[] key = "/v/greeting"u8.ToArray();
        KadPublishResult put = await swarm.Nodes[0].Dht.PutValueAsync(key, "hello"u8.ToArray(), ct);
        Assert.Equal(4, put.Succeeded);

        KadValueResult? got = await swarm.Nodes[3].Dht.GetValueAsync(key, quorum: 0, ct);
        Assert.NotNull(got);
        Assert.Equal("hello", Encoding.UTF8.GetString(got.Value.Span));
        Assert.Equal(5, got.Responses); // local copy + the four others

        // A node that lost its copy gets the value back from the GET's correction.
        Assert.True(swarm.Nodes[4].Dht.Records.Remove(key));
        KadValueResult? again = await swarm.Nodes[1].Dht.GetValueAsync(key, quorum: 0, ct);
        Assert.NotNull(again);
        Assert.True(again.Corrected >= 1);
        Assert.True(swarm.Nodes[4].Dht.Records.TryGet(key, out _));

        // Quorum 2 stops early: the local value and one remote.
        KadValueResult? quick = await swarm.Nodes[2].Dht.GetValueAsync(key, quorum: 2, ct);
        Assert.NotNull(quick);
        Assert.Equal(2, quick.Responses);
    }

    [Fact]
    public async Task Missing_value_is_null_and_invalid_namespaces_are_refused()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(3, cancellationToken: ct);
        Assert.Null(await swarm.Nodes[1].Dht.GetValueAsync("/v/nobody-put-this"u8.ToArray(), cancellationToken: ct));
        await Assert.ThrowsAsync<KadRecordRejectedException>(() => swarm.Nodes[1].Dht.PutValueAsync("/nope/x"u8.ToArray(), "1"u8.ToArray(), ct));
        await Assert.ThrowsAsync<KadRecordRejectedException>(() => swarm.Nodes[1].Dht.GetValueAsync("no-namespace"u8.ToArray(), cancellationToken: ct));
    }

    [Fact]
    public async Task Public_key_records_are_served_from_verified_keys()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(3, cancellationToken: ct);
        MeshHost target = swarm.Nodes[2].Host;
        byte[] key = KadRecordKey.Create("pk", target.PeerId.Bytes);
        KadValueResult? got = await swarm.Nodes[1].Dht.GetValueAsync(key, quorum: 0, ct);
        Assert.NotNull(got);
        Assert.Equal(target.PublicKey.ToProtobuf(), got.Value.ToArray());
    }

    [Fact]
    public async Task Provide_and_find_providers()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(5, cancellationToken: ct);
        byte[] key = Multihash.ComputeSha2_256("some content"u8);
        KadPublishResult provided = await swarm.Nodes[1].Dht.ProvideAsync(key, ct);
        Assert.Equal(4, provided.Succeeded);
        IReadOnlyList<KadPeerInfo> providers = await swarm.Nodes[3].Dht.FindProvidersAsync(key, cancellationToken: ct);
        KadPeerInfo provider = Assert.Single(providers);
        Assert.Equal(swarm.Nodes[1].Host.PeerId, provider.Peer);
        Assert.Contains(swarm.Nodes[1].Host.ListenAddresses[0], provider.Addresses);
    }

    [Fact]
    public async Task Client_mode_nodes_query_but_stay_out_of_routing_tables()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(3, cancellationToken: ct);
        (MeshHost clientHost, KadDht client) = await KadSwarm.StartNodeAsync(new KadDhtOptions { Mode = KadDhtMode.Client, RefreshInterval = TimeSpan.Zero });
        await using (client)
        await using (clientHost)
        {
            Assert.DoesNotContain(client.Options.ProtocolId, clientHost.Protocols);
            Assert.Equal(1, await client.BootstrapAsync([swarm.Nodes[0].Host.GetFullListenAddresses()[0]], ct));
            byte[] key = "/v/from-client"u8.ToArray();
            KadPublishResult put = await client.PutValueAsync(key, "x"u8.ToArray(), ct);
            Assert.Equal(3, put.Succeeded);
            foreach ((MeshHost host, KadDht dht) in swarm.Nodes)
            {
                await dht.FlushRoutingAsync(ct);
                Assert.False(dht.RoutingTable.ContainsPeer(clientHost.PeerId), "a client entered a server's routing table");
            }
        }
    }

    [Fact]
    public async Task Disjoint_paths_lookups_find_the_same_nearest_peers()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(6, i => new KadDhtOptions { DisjointPaths = 3, RefreshInterval = TimeSpan.Zero }, ct);
        byte[] key = "/v/disjoint"u8.ToArray();
        await swarm.Nodes[0].Dht.PutValueAsync(key, "d"u8.ToArray(), ct);
        KadValueResult? got = await swarm.Nodes[5].Dht.GetValueAsync(key, quorum: 0, ct);
        Assert.NotNull(got);
        Assert.Equal(6, got.Responses);
    }

    [Fact]
    public async Task Unreachable_peers_leave_the_routing_table()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(4, cancellationToken: ct);
        (MeshHost goneHost, KadDht goneDht) = swarm.Nodes[3];
        PeerId gone = goneHost.PeerId;
        await goneDht.DisposeAsync();
        await goneHost.DisposeAsync();
        swarm.Nodes.RemoveAt(3);
        KadDht asker = swarm.Nodes[1].Dht;
        Assert.True(asker.RoutingTable.ContainsPeer(gone));
        await asker.GetClosestPeersAsync(gone.ToByteArray(), ct);
        await asker.FlushRoutingAsync(ct);
        Assert.False(asker.RoutingTable.ContainsPeer(gone));
    }
}
