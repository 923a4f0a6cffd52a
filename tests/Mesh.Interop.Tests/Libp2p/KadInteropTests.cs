using System.Text;
using System.Text.Json.Nodes;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using static Mesh.Interop.Tests.Libp2p.KadJsSwarm;

namespace Mesh.Interop.Tests.Libp2p;

/// <summary>
/// MeshCore's /ipfs/kad/1.0.0 against js-libp2p 3.3 with @libp2p/kad-dht 16.4.5 (server mode, passthroughMapper, a
/// test namespace `v`, the ipns package's validator), every js node its own process: joining a js swarm, peer routing,
/// values and providers in both directions, IPNS and public-key records, and mixed swarms. Skipped with a message when
/// interop/js/node_modules is not installed.
/// </summary>
public sealed class KadInteropTests
{
    private static CancellationToken Timeout(int seconds = 180)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    private static async Task Eventually(Func<bool> condition, CancellationToken ct)
    {
        for (int i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25, ct);
        }
        Assert.True(condition());
    }

    private static string[] Strings(JsonNode? array) => [.. array!.AsArray().Select(n => (string)n!)];

    [Fact]
    public async Task We_join_a_js_swarm_find_its_peers_and_js_puts_us_in_its_routing_tables()
    {
        CancellationToken ct = Timeout();
        await using KadJsSwarm swarm = await KadJsSwarm.StartAsync(js: 3, ours: 1, ct);
        (var host, KadDht dht) = swarm.Ours[0];
        await dht.FlushRoutingAsync(ct);
        foreach (JsPeer js in swarm.Js)
        {
            Assert.True(dht.RoutingTable.ContainsPeer(PeerId.Parse(js.PeerId)), $"js {js.PeerId} not in our routing table");
        }
        // We find the last js node through the swarm, and the js nodes find us.
        KadPeerInfo? found = await dht.FindPeerAsync(PeerId.Parse(swarm.Js[2].PeerId), ct);
        Assert.NotNull(found);
        Assert.Contains(Multiaddr.Parse(swarm.Js[2].Addresses[0]).Decapsulate(MultiaddrProtocol.P2p), found.Addresses);
        JsonObject table = await swarm.Js[0].RunAsync(Command("kad-routing-table"), ct);
        Assert.Contains(host.PeerId.ToString(), Strings(table["peers"]));
        JsonObject jsFound = await swarm.Js[2].RunAsync(Command("kad-find-peer", ("peer", host.PeerId.ToString())), ct);
        Assert.Contains(host.ListenAddresses[0].ToString(), Strings(jsFound["addrs"]));
        // Both sides agree on the nearest peers of a key.
        byte[] key = "/v/closest"u8.ToArray();
        IReadOnlyList<PeerId> ours = await dht.GetClosestPeersAsync(key, ct);
        Assert.Equal(3, ours.Count);
        JsonObject theirs = await swarm.Js[1].RunAsync(Command("kad-closest", ("key", HexOf(key))), ct);
        Assert.Contains(host.PeerId.ToString(), Strings(theirs["peers"]));
    }

    [Fact]
    public async Task Js_gets_the_value_we_put()
    {
        CancellationToken ct = Timeout();
        await using KadJsSwarm swarm = await KadJsSwarm.StartAsync(js: 3, ours: 1, ct);
        byte[] key = "/v/from-meshcore"u8.ToArray();
        KadPublishResult put = await swarm.Ours[0].Dht.PutValueAsync(key, "value from C#"u8.ToArray(), ct);
        Assert.Equal(3, put.Succeeded);
        foreach (JsPeer js in swarm.Js)
        {
            JsonObject got = await js.RunAsync(Command("kad-get", ("key", HexOf(key))), ct);
            JsonArray values = got["values"]!.AsArray();
            Assert.NotEmpty(values);
            Assert.All(values, v => Assert.Equal(HexOf("value from C#"u8), (string)v!["value"]!));
        }
    }

    [Fact]
    public async Task We_get_the_value_js_put()
    {
        CancellationToken ct = Timeout();
        await using KadJsSwarm swarm = await KadJsSwarm.StartAsync(js: 3, ours: 1, ct);
        byte[] key = "/v/from-js"u8.ToArray();
        JsonObject put = await swarm.Js[1].RunAsync(Command("kad-put", ("key", HexOf(key)), ("value", HexOf("value from js"u8))), ct);
        Assert.True((int)put["responses"]! >= 3, put.ToJsonString()); // the other two js nodes and us
        Assert.True(swarm.Ours[0].Dht.Records.TryGet(key, out _), "js did not PUT to us");
        Assert.True(swarm.Ours[0].Dht.Records.Remove(key)); // make our GET go to the network
        KadValueResult? got = await swarm.Ours[0].Dht.GetValueAsync(key, quorum: 0, ct);
        Assert.NotNull(got);
        Assert.Equal("value from js", Encoding.UTF8.GetString(got.Value.Span));
        Assert.Equal(3, got.Responses);
        Assert.Contains(PeerId.Parse(swarm.Js[1].PeerId), got.From);
    }

    [Fact]
    public async Task We_provide_and_js_finds_us_js_provides_and_we_find_it()
    {
        CancellationToken ct = Timeout();
        await using KadJsSwarm swarm = await KadJsSwarm.StartAsync(js: 3, ours: 1, ct);
        (var host, KadDht dht) = swarm.Ours[0];
        byte[] ours = Multihash.ComputeSha2_256("content MeshCore provides"u8);
        KadPublishResult provided = await dht.ProvideAsync(ours, ct);
        Assert.Equal(3, provided.Succeeded);
        JsonObject jsFound = await swarm.Js[2].RunAsync(Command("kad-find-providers", ("key", HexOf(ours))), ct);
        JsonNode provider = Assert.Single(jsFound["providers"]!.AsArray())!;
        Assert.Equal(host.PeerId.ToString(), (string)provider["peer"]!);
        Assert.Contains(host.ListenAddresses[0].ToString(), Strings(provider["addrs"]));

        byte[] theirs = Multihash.ComputeSha2_256("content js provides"u8);
        await swarm.Js[1].RunAsync(Command("kad-provide", ("key", HexOf(theirs))), ct);
        // js announced to us too (its ADD_PROVIDER has no answer, so it may land just after js's provide returned).
        await Eventually(() => dht.Providers.Get(theirs).Count > 0, ct);
        IReadOnlyList<KadPeerInfo> providers = await dht.FindProvidersAsync(theirs, cancellationToken: ct);
        KadPeerInfo found = Assert.Single(providers);
        Assert.Equal(PeerId.Parse(swarm.Js[1].PeerId), found.Peer);
        Assert.Contains(Multiaddr.Parse(swarm.Js[1].Addresses[0]).Decapsulate(MultiaddrProtocol.P2p), found.Addresses);
    }

    [Fact]
    public async Task Ipns_records_signed_by_js_are_validated_here_and_travel_both_ways()
    {
        CancellationToken ct = Timeout();
        await using KadJsSwarm swarm = await KadJsSwarm.StartAsync(js: 3, ours: 1, ct);
        KadDht dht = swarm.Ours[0].Dht;
        // js (the ipns package) signs a record and publishes it; we fetch it and our ipns validator accepts it.
        JsonObject first = await swarm.Js[0].RunAsync(Command("ipns-record", ("value", "/ipfs/bafkqaaa"), ("sequence", 1)), ct);
        byte[] key = Convert.FromHexString((string)first["key"]!);
        byte[] record1 = Convert.FromHexString((string)first["record"]!);
        await swarm.Js[0].RunAsync(Command("kad-put", ("key", HexOf(key)), ("value", HexOf(record1))), ct);
        KadValueResult? got = await dht.GetValueAsync(key, quorum: 0, ct);
        Assert.NotNull(got);
        Assert.Equal(record1, got.Value.ToArray());

        // A newer record (sequence 2), published by us this time; js nodes (ipns validator and selector) take it over
        // the older one they hold.
        JsonObject second = await swarm.Js[0].RunAsync(Command("ipns-record", ("value", "/ipfs/bafkqaaa"), ("sequence", 2)), ct);
        byte[] record2 = Convert.FromHexString((string)second["record"]!);
        KadPublishResult put = await dht.PutValueAsync(key, record2, ct);
        Assert.Equal(3, put.Succeeded);
        foreach (JsPeer js in swarm.Js)
        {
            JsonObject values = await js.RunAsync(Command("kad-get", ("key", HexOf(key))), ct);
            Assert.Contains(HexOf(record2), values["values"]!.AsArray().Select(v => (string)v!["value"]!));
        }
        // The older one is refused now: here as "older", by js as an error.
        await Assert.ThrowsAsync<KadRecordRejectedException>(() => dht.PutValueAsync(key, record1, ct));
    }

    [Fact]
    public async Task Public_key_records_from_js_validate_here()
    {
        CancellationToken ct = Timeout();
        await using KadJsSwarm swarm = await KadJsSwarm.StartAsync(js: 2, ours: 1, ct);
        JsonObject pk = await swarm.Js[1].RunAsync(Command("pk-record"), ct);
        byte[] key = Convert.FromHexString((string)pk["key"]!);
        KadValueResult? got = await swarm.Ours[0].Dht.GetValueAsync(key, quorum: 0, ct);
        Assert.NotNull(got);
        Assert.Equal((string)pk["value"]!, HexOf(got.Value.Span));
        Assert.True(PublicKeyRecordValidator.Instance.Validate(key, got.Value.Span, out _));
    }

    [Fact]
    public async Task Mixed_swarm_lookups_and_values_work_from_either_side()
    {
        CancellationToken ct = Timeout(240);
        await using KadJsSwarm swarm = await KadJsSwarm.StartAsync(js: 3, ours: 3, ct);
        int total = swarm.Js.Count + swarm.Ours.Count;
        for (int i = 0; i < swarm.Ours.Count; i++)
        {
            // Ours put, every js node and every other of ours gets.
            byte[] key = Encoding.UTF8.GetBytes($"/v/mixed-ours-{i}");
            byte[] value = Encoding.UTF8.GetBytes($"ours {i}");
            KadPublishResult put = await swarm.Ours[i].Dht.PutValueAsync(key, value, ct);
            Assert.Equal(total - 1, put.Succeeded);
            foreach (JsPeer js in swarm.Js)
            {
                JsonObject got = await js.RunAsync(Command("kad-get", ("key", HexOf(key))), ct);
                Assert.Contains(HexOf(value), got["values"]!.AsArray().Select(v => (string)v!["value"]!));
            }
            KadValueResult? back = await swarm.Ours[(i + 1) % swarm.Ours.Count].Dht.GetValueAsync(key, quorum: 0, ct);
            Assert.Equal(value, back!.Value.ToArray());
        }
        for (int i = 0; i < swarm.Js.Count; i++)
        {
            // js puts, every one of ours gets; js finds each of ours and we find each js node.
            byte[] key = Encoding.UTF8.GetBytes($"/v/mixed-js-{i}");
            byte[] value = Encoding.UTF8.GetBytes($"js {i}");
            await swarm.Js[i].RunAsync(Command("kad-put", ("key", HexOf(key)), ("value", HexOf(value))), ct);
            foreach ((var host, KadDht dht) in swarm.Ours)
            {
                dht.Records.Remove(key);
                KadValueResult? got = await dht.GetValueAsync(key, quorum: 0, ct);
                Assert.Equal(value, got!.Value.ToArray());
                Assert.NotNull(await dht.FindPeerAsync(PeerId.Parse(swarm.Js[i].PeerId), ct));
                JsonObject jsFound = await swarm.Js[i].RunAsync(Command("kad-find-peer", ("peer", host.PeerId.ToString())), ct);
                Assert.Contains(host.ListenAddresses[0].ToString(), Strings(jsFound["addrs"]));
            }
        }
        // Providers across the mix.
        byte[] content = Multihash.ComputeSha2_256("mixed content"u8);
        await swarm.Ours[2].Dht.ProvideAsync(content, ct);
        await swarm.Js[2].RunAsync(Command("kad-provide", ("key", HexOf(content))), ct);
        IReadOnlyList<KadPeerInfo> providers = await swarm.Ours[0].Dht.FindProvidersAsync(content, cancellationToken: ct);
        Assert.Equal(
            new[] { swarm.Ours[2].Host.PeerId.ToString(), swarm.Js[2].PeerId }.Order(),
            providers.Select(p => p.Peer.ToString()).Order());
        JsonObject jsProviders = await swarm.Js[0].RunAsync(Command("kad-find-providers", ("key", HexOf(content))), ct);
        Assert.Equal(2, jsProviders["providers"]!.AsArray().Count);
    }

    [Fact]
    public async Task Js_encodes_kad_messages_as_we_decode_them()
    {
        CancellationToken ct = Timeout();
        await using JsPeer js = await JsPeer.StartAsync(ct, "kad");
        PeerId peer = PeerId.Parse(js.PeerId);
        var message = new JsonObject
        {
            ["type"] = "GET_VALUE",
            ["key"] = HexOf("/v/abc"u8),
            ["recordFields"] = new JsonObject { ["key"] = HexOf("/v/abc"u8), ["value"] = "00ff", ["timeReceived"] = "2024-05-06T07:08:09.010Z" },
            ["closer"] = new JsonArray(new JsonObject { ["id"] = HexOf(peer.Bytes), ["addrs"] = new JsonArray("/ip4/127.0.0.1/tcp/1", "/ip6/::1/tcp/2") }),
        };
        JsonObject encoded = await js.RunAsync(Command("kad-encode", ("message", message)), ct);
        byte[] body = Convert.FromHexString((string)encoded["hex"]!);
        Assert.Equal(Mesh.Kademlia.Libp2p.Messages.KadMessageError.None, Mesh.Kademlia.Libp2p.Messages.KadMessageCodec.TryParse(body, out var decoded));
        Assert.Equal(Mesh.Kademlia.Libp2p.Messages.KadMessageType.GetValue, decoded!.Type);
        Assert.Equal(new byte[] { 0x00, 0xff }, decoded.Record!.Value.ToArray());
        Assert.Equal("2024-05-06T07:08:09.010000000Z", decoded.Record.TimeReceived);
        Assert.Equal(peer, Assert.Single(decoded.CloserPeers).Id);
        Assert.Equal(2, decoded.CloserPeers[0].Addresses.Count);
        // And our encoding of the decoded message is js's byte for byte (same field order, no cluster level).
        Assert.Equal(body, Mesh.Kademlia.Libp2p.Messages.KadMessageCodec.ToFrame(decoded).AsSpan(Uvarint.GetByteCount((ulong)body.Length)).ToArray());
    }
}
