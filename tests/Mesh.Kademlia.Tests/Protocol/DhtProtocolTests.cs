using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Protocol;

/// <summary>
/// Port of mesh/hivemind tests/test_dht_protocol.py (test_dht_protocol, incl. client mode, and test_empty_table) over
/// real hosts on 127.0.0.1 and over the in-memory network, plus the §1.2/§1.4 rules those tests do not reach:
/// validating pings, implicit pings, unresponsive peers leaving the table, replication to new nodes.
/// </summary>
public sealed class DhtProtocolTests
{
    private static double Now => DhtClock.System.Now;

    private static byte[] Dumps(MsgValue value) => MsgPackSerializer.Serialize(value);

    private static MsgValue SampleValue(Random random) =>
        MsgValue.Array(MsgValue.FromDouble(random.NextDouble()), MsgValue.Map(new MsgMapEntry("ololo", "pyshpysh")));

    /// <summary>An Ed25519 peer id nobody runs (mesh's tests use <c>PeerID.from_base58("fakeid")</c>).</summary>
    private static PeerId FakePeer() => Ed25519PrivateKey.Generate().PeerId;

    [Theory]
    [InlineData(DhtNetworkKind.Tcp)]
    [InlineData(DhtNetworkKind.InMemory)]
    public async Task Dht_protocol(DhtNetworkKind kind)
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(kind);
        var options = new DhtProtocolOptions { BucketSize = 20, DepthModulo = 5, NumReplicas = 3, WaitTimeout = TimeSpan.FromSeconds(5) };
        DhtTestPeer peer1 = await net.AddAsync(options);
        DhtTestPeer peer2 = await net.AddAsync(options);
        Assert.Equal(peer1.NodeId, await peer2.Protocol.CallPingAsync(peer1.PeerId, cancellationToken: ct));
        await peer1.Protocol.FlushRoutingAsync();
        var random = new Random(1);

        // note: order matters, as in mesh's test: the first run uses client mode
        foreach (bool clientMode in new[] { true, false })
        {
            DhtTestPeer me = await net.AddAsync(options with { ClientMode = clientMode });
            Assert.Equal(clientMode, me.Protocol.IsClientMode);
            Assert.Equal(peer1.NodeId, await me.Protocol.CallPingAsync(peer1.PeerId, cancellationToken: ct));

            DhtId key = DhtId.CreateRandom();
            MsgValue value = SampleValue(random);
            double expiration = Now + 1e3;
            bool[]? storeOk = await me.Protocol.CallStoreAsync(peer1.PeerId, [DhtStoreEntry.Regular(key, Dumps(value), expiration)], ct);
            Assert.NotNull(storeOk);
            Assert.True(storeOk.All(ok => ok), "DHT rejected a trivial store");

            // peer 1 must know about peer 2
            DhtFindResult found = Assert.Single((await me.Protocol.CallFindAsync(peer1.PeerId, [key], ct))!);
            Assert.Equal(DhtValueKind.Regular, found.Kind);
            Assert.Equal(value, MsgPackSerializer.Deserialize(found.Value));
            Assert.Equal(expiration, found.ExpirationTime);
            Assert.Equal(peer2.NodeId, found.Nearest[0].NodeId);
            Assert.Equal(peer2.PeerId, found.Nearest[0].Peer);
            Assert.DoesNotContain(found.Nearest, n => n.NodeId == me.NodeId); // the requester is excluded

            // peer 2 must know about peer 1, but not have a *random* nonexistent value
            DhtId dummy = DhtId.CreateRandom();
            DhtFindResult empty = Assert.Single((await me.Protocol.CallFindAsync(peer2.PeerId, [dummy], ct))!);
            Assert.Equal(DhtValueKind.NotFound, empty.Kind);
            Assert.Equal(peer1.NodeId, empty.Nearest[0].NodeId);
            Assert.Equal(peer1.PeerId, empty.Nearest[0].Peer);

            // cause a non-response by querying a nonexistent peer
            Assert.Null(await me.Protocol.CallFindAsync(FakePeer(), [key], ct));

            // store/get a dictionary with sub-keys
            DhtId nested = DhtId.CreateRandom();
            MsgValue value1 = SampleValue(random), value2 = "abacaba";
            Assert.True((await me.Protocol.CallStoreAsync(peer1.PeerId, [DhtStoreEntry.WithSubkey(nested, Dumps("foo"), Dumps(value1), expiration)], ct))![0]);
            Assert.True((await me.Protocol.CallStoreAsync(peer1.PeerId, [DhtStoreEntry.WithSubkey(nested, Dumps("bar"), Dumps(value2), expiration + 5)], ct))![0]);
            DhtFindResult dict = Assert.Single((await me.Protocol.CallFindAsync(peer1.PeerId, [nested], ct))!);
            Assert.Equal(DhtValueKind.Dictionary, dict.Kind);
            Assert.Equal(expiration + 5, dict.ExpirationTime);
            Assert.Equal(2, dict.Dictionary!.Count);
            Assert.True(dict.Dictionary.TryGetItem(Dumps("foo"), out DictionaryDhtItem foo));
            Assert.Equal(Dumps(value1), foo.Value.ToArray());
            Assert.Equal(expiration, foo.ExpirationTime);
            Assert.True(dict.Dictionary.TryGetItem(Dumps("bar"), out DictionaryDhtItem bar));
            Assert.Equal(Dumps(value2), bar.Value.ToArray());
            Assert.Equal(expiration + 5, bar.ExpirationTime);

            // client mode: peers never add us; server mode: they do (the stores and finds were implicit pings)
            await peer1.Protocol.FlushRoutingAsync();
            Assert.Equal(!clientMode, peer1.Protocol.RoutingTable.Contains(me.NodeId));
            if (clientMode)
            {
                Assert.Null(await peer1.Protocol.CallPingAsync(me.PeerId, cancellationToken: ct)); // it serves nothing
            }
            await net.StopAsync(me);
        }
    }

    [Theory]
    [InlineData(DhtNetworkKind.Tcp)]
    [InlineData(DhtNetworkKind.InMemory)]
    public async Task Empty_table(DhtNetworkKind kind)
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(kind);
        var options = new DhtProtocolOptions { NumReplicas = 3, WaitTimeout = TimeSpan.FromSeconds(5) };
        DhtTestPeer peer = await net.AddAsync(options);
        DhtTestPeer me = await net.AddAsync(options with { ClientMode = true });

        DhtId key = DhtId.CreateRandom();
        MsgValue value = SampleValue(new Random(2));
        double expiration = Now + 1e3;

        DhtFindResult nothing = Assert.Single((await me.Protocol.CallFindAsync(peer.PeerId, [key], ct))!);
        Assert.Equal(DhtValueKind.NotFound, nothing.Kind);
        Assert.Empty(nothing.Nearest);
        Assert.True((await me.Protocol.CallStoreAsync(peer.PeerId, [DhtStoreEntry.Regular(key, Dumps(value), expiration)], ct))!.All(ok => ok));

        DhtFindResult found = Assert.Single((await me.Protocol.CallFindAsync(peer.PeerId, [key], ct))!);
        Assert.Empty(found.Nearest);
        Assert.Equal(value, MsgPackSerializer.Deserialize(found.Value));
        Assert.Equal(expiration, found.ExpirationTime);

        Assert.Equal(peer.NodeId, await me.Protocol.CallPingAsync(peer.PeerId, cancellationToken: ct));
        Assert.Null(await me.Protocol.CallPingAsync(FakePeer(), cancellationToken: ct));
    }

    [Theory]
    [InlineData(DhtNetworkKind.Tcp)]
    [InlineData(DhtNetworkKind.InMemory)]
    public async Task A_validating_ping_is_answered_with_a_ping_back(DhtNetworkKind kind)
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(kind);
        DhtTestPeer server = await net.AddAsync();
        DhtTestPeer joiner = await net.AddAsync();

        Assert.Equal(server.NodeId, await joiner.Protocol.CallPingAsync(server.PeerId, validate: true, cancellationToken: ct));
        await server.Protocol.FlushRoutingAsync();
        await joiner.Protocol.FlushRoutingAsync();
        Assert.True(server.Protocol.RoutingTable.Contains(joiner.NodeId)); // available = the ping-back reached the joiner
        Assert.True(joiner.Protocol.RoutingTable.Contains(server.NodeId));
        Assert.Equal(1, server.Protocol.Statistics.PingsServed);
        Assert.Equal(1, joiner.Protocol.Statistics.PingsServed); // the ping back
    }

    [Fact]
    public async Task A_validating_ping_fails_when_the_peer_cannot_reach_us_and_passes_in_client_mode()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        DhtTestPeer server = await net.AddAsync();
        DhtTestPeer joiner = await net.AddAsync();
        joiner.Endpoint!.Reachable = false; // it can call out, nobody can call it (a node behind a firewall)

        var error = await Assert.ThrowsAsync<DhtValidationException>(() => joiner.Protocol.CallPingAsync(server.PeerId, validate: true, cancellationToken: ct));
        Assert.Contains("can't access this node", error.Message);
        Assert.Equal(server.NodeId, await joiner.Protocol.CallPingAsync(server.PeerId, validate: true, strict: false, cancellationToken: ct));
        await server.Protocol.FlushRoutingAsync();
        Assert.False(server.Protocol.RoutingTable.Contains(joiner.NodeId)); // responded = available or not validate = false

        DhtTestPeer client = await net.AddAsync(new DhtProtocolOptions { ClientMode = true });
        Assert.Equal(server.NodeId, await client.Protocol.CallPingAsync(server.PeerId, validate: true, cancellationToken: ct));
    }

    [Fact]
    public async Task A_validating_ping_fails_when_the_clocks_disagree_by_more_than_three_seconds()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        var skewed = new ManualDhtClockForProtocol(Now + 10);
        DhtTestPeer server = await net.AddAsync(new DhtProtocolOptions { Clock = skewed });
        DhtTestPeer joiner = await net.AddAsync();

        var error = await Assert.ThrowsAsync<DhtValidationException>(() => joiner.Protocol.CallPingAsync(server.PeerId, validate: true, cancellationToken: ct));
        Assert.Contains("local time must be within 3 seconds", error.Message);
        skewed.Value = Now + 2; // within the allowed discrepancy
        Assert.Equal(server.NodeId, await joiner.Protocol.CallPingAsync(server.PeerId, validate: true, cancellationToken: ct));
    }

    [Theory]
    [InlineData(DhtNetworkKind.Tcp)]
    [InlineData(DhtNetworkKind.InMemory)]
    public async Task Peers_that_stop_answering_leave_the_routing_table(DhtNetworkKind kind)
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(kind);
        var options = new DhtProtocolOptions { WaitTimeout = TimeSpan.FromSeconds(5) };
        DhtTestPeer a = await net.AddAsync(options);
        DhtTestPeer b = await net.AddAsync(options);
        Assert.NotNull(await a.Protocol.CallPingAsync(b.PeerId, cancellationToken: ct));
        Assert.True(a.Protocol.RoutingTable.Contains(b.NodeId));

        await net.StopAsync(b);
        Assert.Null(await a.Protocol.CallFindAsync(b.PeerId, [DhtId.CreateRandom()], ct));
        Assert.False(a.Protocol.RoutingTable.Contains(b.NodeId));
    }

    [Fact]
    public async Task A_node_met_for_the_first_time_is_handed_the_keys_it_should_replicate()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        DhtTestPeer holder = await net.AddAsync(new DhtProtocolOptions { NumReplicas = 2 });
        double expiration = Now + 100;
        DhtId regular = DhtId.CreateRandom(), dictionary = DhtId.CreateRandom();
        Assert.Equal(PutStatus.Stored, holder.Protocol.Stores.Storage.StoreValue(regular, Dumps(1), expiration));
        Assert.Equal(PutStatus.Stored, holder.Protocol.Stores.Storage.StoreSubkey(dictionary, "sk", Dumps(2), expiration));

        // The holder knows nobody: the first node it meets gets everything (mesh: "if not neighbors").
        DhtTestPeer newcomer = await net.AddAsync();
        Assert.NotNull(await newcomer.Protocol.CallPingAsync(holder.PeerId, cancellationToken: ct));
        await holder.Protocol.FlushRoutingAsync();
        await holder.Protocol.WhenBackgroundIdleAsync();

        Assert.True(newcomer.Protocol.Stores.Storage.TryGet(regular, out StoredValue copy));
        Assert.Equal(Dumps(1), copy.Value.ToArray());
        Assert.Equal(expiration, copy.ExpirationTime);
        Assert.True(newcomer.Protocol.Stores.Storage.TryGet(dictionary, out StoredValue dict));
        Assert.True(dict.IsDictionary);
        Assert.True(dict.Dictionary!.TryGetItem(Dumps("sk"), out _));
    }

    [Fact]
    public async Task Replication_only_hands_a_new_node_the_keys_it_is_now_nearer_to()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        // Ids chosen by hand: the holder is 0x00.., a known far node 0xff.., the newcomer 0x01..
        static DhtId Id(byte first) => DhtId.ReadBigEndian([first, .. new byte[19]]);
        DhtTestPeer holder = await net.AddAsync(new DhtProtocolOptions { NumReplicas = 1 }, nodeId: Id(0x00));
        DhtTestPeer far = await net.AddAsync(nodeId: Id(0xff));
        Assert.NotNull(await holder.Protocol.CallPingAsync(far.PeerId, cancellationToken: ct));
        await holder.Protocol.WhenBackgroundIdleAsync();
        double expiration = Now + 100;
        DhtId nearNewcomer = DhtId.ReadBigEndian([0x01, .. new byte[18], 0x05]); // newcomer nearer than far, holder nearest
        DhtId nearFar = DhtId.ReadBigEndian([0xfe, .. new byte[19]]);          // far is nearer than the newcomer
        holder.Protocol.Stores.Storage.StoreValue(nearNewcomer, Dumps("a"), expiration);
        holder.Protocol.Stores.Storage.StoreValue(nearFar, Dumps("b"), expiration);

        DhtTestPeer newcomer = await net.AddAsync(nodeId: Id(0x01));
        Assert.NotNull(await newcomer.Protocol.CallPingAsync(holder.PeerId, cancellationToken: ct));
        await holder.Protocol.FlushRoutingAsync();
        await holder.Protocol.WhenBackgroundIdleAsync();

        Assert.True(newcomer.Protocol.Stores.Storage.Contains(nearNewcomer));
        Assert.False(newcomer.Protocol.Stores.Storage.Contains(nearFar));
    }

    [Fact]
    public async Task A_full_bucket_pings_its_oldest_node_and_replaces_it_when_silent()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        // k = 2, one bucket that cannot split after depth 1 (b = 1): ids with the top bit set share the far bucket.
        static DhtId Id(byte first) => DhtId.ReadBigEndian([first, .. new byte[19]]);
        DhtTestPeer owner = await net.AddAsync(new DhtProtocolOptions { BucketSize = 2, DepthModulo = 1 }, nodeId: Id(0x00));
        DhtTestPeer oldest = await net.AddAsync(nodeId: Id(0x80));
        DhtTestPeer middle = await net.AddAsync(nodeId: Id(0x90));
        DhtTestPeer newcomer = await net.AddAsync(nodeId: Id(0xa0));
        Assert.NotNull(await owner.Protocol.CallPingAsync(oldest.PeerId, cancellationToken: ct));
        Assert.NotNull(await owner.Protocol.CallPingAsync(middle.PeerId, cancellationToken: ct));
        oldest.Endpoint!.Reachable = false;

        Assert.NotNull(await owner.Protocol.CallPingAsync(newcomer.PeerId, cancellationToken: ct));
        await owner.Protocol.WhenBackgroundIdleAsync(); // the ping of the oldest node times out or fails
        await owner.Protocol.FlushRoutingAsync();

        Assert.False(owner.Protocol.RoutingTable.Contains(oldest.NodeId));
        Assert.True(owner.Protocol.RoutingTable.Snapshot.IsActive(newcomer.NodeId)); // promoted from the replacement cache
        Assert.True(owner.Protocol.RoutingTable.Snapshot.IsActive(middle.NodeId));
    }

    private sealed class ManualDhtClockForProtocol(double now) : DhtClock
    {
        public double Value { get; set; } = now;

        public override double Now => Value;
    }
}
