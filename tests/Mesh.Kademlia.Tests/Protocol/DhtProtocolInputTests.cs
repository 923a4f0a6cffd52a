using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Tests.Storage;
using Mesh.Kademlia.Validation;
using Mesh.Multistream;
using Mesh.TestKit;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Kademlia.Tests.Protocol;

/// <summary>
/// What a DHT node does with bad, hostile or foreign input on its served side and in the replies it gets: Python-signed
/// records through the store path, forged signatures on POST and GET, whole-dictionary stores (validated, unlike CR),
/// expired, far-future and oversized records, floods from one peer, malformed requests and garbage protobufs.
/// </summary>
public sealed class DhtProtocolInputTests
{
    private static byte[] Dumps(MsgValue value) => MsgPackSerializer.Serialize(value);

    private static double Now => DhtClock.System.Now;

    private static StoreRequest StoreRequestOf(params (byte[] Key, byte[] Subkey, byte[] Value, double Expiration, bool InCache)[] entries)
    {
        var request = new StoreRequest { Peer = new NodeInfo() };
        foreach ((byte[] key, byte[] subkey, byte[] value, double expiration, bool inCache) in entries)
        {
            request.Keys.Add(ByteString.CopyFrom(key));
            request.Subkeys.Add(ByteString.CopyFrom(subkey));
            request.Values.Add(ByteString.CopyFrom(value));
            request.ExpirationTime.Add(expiration);
            request.InCache.Add(inCache);
        }
        return request;
    }

    // ---- golden vectors --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("records_ed25519.json")]
    [InlineData("records_rsa.json")]
    public async Task Records_signed_by_python_are_accepted_through_the_store_path_and_tampered_ones_refused(string file)
    {
        using JsonDocument doc = VectorJson.Load(file);
        JsonElement root = doc.RootElement;
        double fixedNow = VectorJson.Double(root.GetProperty("fixed_now"));
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        var options = new DhtProtocolOptions { Clock = new ManualDhtClock(fixedNow) };
        DhtTestPeer client = await net.AddAsync(options with { ClientMode = true });

        int accepted = 0, refused = 0;
        long invalid = 0;
        foreach (JsonElement c in root.GetProperty("cases").EnumerateArray())
        {
            // A fresh node per case (several cases share a key). Any node's validator checks any owner's signature;
            // this one holds an unrelated key.
            DhtTestPeer node = await net.AddAsync(options, [new SignatureValidator(Ed25519PrivateKey.Generate())]);
            // Tampered variants first: none may get in (they would be "newer" than nothing).
            foreach (JsonElement t in c.TryGetProperty("tampered", out JsonElement variants) ? variants.EnumerateArray() : default)
            {
                JsonElement r = t.GetProperty("record");
                if (Hex.Decode(r.Hexs("key_hex")).Length != DhtId.Size)
                {
                    continue; // a marker in the key is validator-level only: DHT keys are DHTIDs (SignatureValidatorTests covers it)
                }
                Assert.False(t.GetProperty("validate").GetBoolean());
                Assert.False(await StoreAsync(client, node, r, ct), t.GetProperty("kind").GetString());
                refused++;
            }
            JsonElement record = c.GetProperty("record");
            var signed = new RecordJson(record.Hexs("key_hex"), record.Hexs("subkey_hex"), c.Hexs("signed_value_hex"), VectorJson.Double(record.GetProperty("expiration_time")));
            Assert.True(c.GetProperty("validate_signed").GetBoolean());
            Assert.True(await StoreAsync(client, node, signed, ct), c.GetProperty("description").GetString());
            accepted++;

            // And the value comes back (validated as GET) with the same bytes.
            DhtId key = DhtId.ReadBigEndian(Hex.Decode(signed.KeyHex));
            DhtFindResult found = Assert.Single((await client.Protocol.CallFindAsync(node.PeerId, [key], ct))!);
            byte[] subkey = Hex.Decode(signed.SubkeyHex);
            if (ReservedSubkeys.IsRegular(subkey))
            {
                Assert.Equal(DhtValueKind.Regular, found.Kind);
                Assert.Equal(signed.ValueHex, Hex.Encode(found.Value.Span));
            }
            else
            {
                Assert.Equal(DhtValueKind.Dictionary, found.Kind);
                Assert.True(found.Dictionary!.TryGetItem(subkey, out DictionaryDhtItem item));
                Assert.Equal(signed.ValueHex, Hex.Encode(item.Value.Span));
            }
            invalid += node.Protocol.Statistics.GetStoreCount(DhtStoreOutcome.Invalid);
        }
        Assert.Equal(7, accepted);
        Assert.True(refused >= 25);
        Assert.Equal(refused, invalid);
    }

    [Fact]
    public async Task A_record_signed_with_an_int_expiration_fails_once_it_travels_as_a_double()
    {
        using JsonDocument doc = VectorJson.Load("records_ed25519.json");
        JsonElement root = doc.RootElement;
        JsonElement edge = root.GetProperty("edge_cases").EnumerateArray().Single(e => e.TryGetProperty("validate_with_float_expiration", out _));
        byte[] payload = Hex.Decode(edge.Hexs("signing_payload_hex"));
        // payload = ext 0x40 (c7 len 40) · array 94 · key bin (c4 14 ‹20›) · subkey bin (c4 5a ‹90›) · value · int expiration
        Assert.Equal("c7", Hex.Encode(payload[..1]));
        Assert.Equal("c414", Hex.Encode(payload[4..6]));
        Assert.Equal("c45a", Hex.Encode(payload[26..28]));
        byte[] key = payload[6..26];
        byte[] subkey = payload[28..118];
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        var options = new DhtProtocolOptions { Clock = new ManualDhtClock(VectorJson.Double(root.GetProperty("fixed_now"))) };
        DhtTestPeer node = await net.AddAsync(options, [new SignatureValidator(Ed25519PrivateKey.Generate())]);
        DhtTestPeer client = await net.AddAsync(options with { ClientMode = true });

        Assert.False(await StoreAsync(client, node, new RecordJson(Hex.Encode(key), Hex.Encode(subkey), edge.Hexs("signed_value_hex"), 1700000100.0), ct));
        Assert.Equal(1, node.Protocol.Statistics.GetStoreCount(DhtStoreOutcome.Invalid));
    }

    private readonly record struct RecordJson(string KeyHex, string SubkeyHex, string ValueHex, double Expiration);

    private static Task<bool> StoreAsync(DhtTestPeer client, DhtTestPeer node, JsonElement r, CancellationToken ct) =>
        StoreAsync(client, node, new RecordJson(r.Hexs("key_hex"), r.Hexs("subkey_hex"), r.Hexs("value_hex"), VectorJson.Double(r.GetProperty("expiration_time"))), ct);

    private static async Task<bool> StoreAsync(DhtTestPeer client, DhtTestPeer node, RecordJson r, CancellationToken ct)
    {
        var entry = new DhtStoreEntry(DhtId.ReadBigEndian(Hex.Decode(r.KeyHex)), Hex.Decode(r.SubkeyHex), Hex.Decode(r.ValueHex), r.Expiration);
        bool[]? ok = await client.Protocol.CallStoreAsync(node.PeerId, [entry], ct);
        return Assert.Single(ok!);
    }

    // ---- signatures on POST and GET ---------------------------------------------------------------------------------

    private static (SignatureValidator Owner, byte[] Subkey) Owner(string name)
    {
        var validator = new SignatureValidator(Ed25519PrivateKey.Generate());
        byte[] subkey = Dumps(MsgValue.FromBytes([.. System.Text.Encoding.ASCII.GetBytes(name), .. validator.LocalPublicKey.Span]));
        return (validator, subkey);
    }

    private static byte[] Sign(SignatureValidator signer, DhtId key, byte[] subkey, MsgValue value, double expiration) =>
        signer.SignValue(new DhtRecord(key.ToBytes(), subkey, Dumps(value), expiration)).ToArray();

    [Fact]
    public async Task Forged_signatures_are_refused_on_store_and_dropped_on_find()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        (SignatureValidator bob, byte[] subkey) = Owner("bob");
        var mallory = new SignatureValidator(Ed25519PrivateKey.Generate());
        DhtTestPeer node = await net.AddAsync(validators: [new SignatureValidator(Ed25519PrivateKey.Generate())]);
        DhtTestPeer client = await net.AddAsync(new DhtProtocolOptions { ClientMode = true }, [new SignatureValidator(Ed25519PrivateKey.Generate())]);
        DhtId key = DhtId.Generate("key");
        double expiration = Now + 60;

        byte[] good = Sign(bob, key, subkey, "true_value", expiration);
        // mallory cannot sign for bob's subkey: her validator leaves the value unsigned; a copy of bob's signature on
        // another value does not verify.
        byte[] unsigned = Sign(mallory, key, subkey, "fake_value", expiration + 1);
        byte[] stolen = [.. Dumps("fake_value"), .. good.AsSpan(Dumps("true_value").Length)];
        Assert.True((await client.Protocol.CallStoreAsync(node.PeerId, [DhtStoreEntry.WithSubkey(key, subkey, good, expiration)], ct))![0]);
        Assert.False((await client.Protocol.CallStoreAsync(node.PeerId, [DhtStoreEntry.WithSubkey(key, subkey, unsigned, expiration + 1)], ct))![0]);
        Assert.False((await client.Protocol.CallStoreAsync(node.PeerId, [DhtStoreEntry.WithSubkey(key, subkey, stolen, expiration + 1)], ct))![0]);
        Assert.Equal(2, node.Protocol.Statistics.GetStoreCount(DhtStoreOutcome.Invalid));

        DhtFindResult found = Assert.Single((await client.Protocol.CallFindAsync(node.PeerId, [key], ct))!);
        Assert.True(found.Dictionary!.TryGetItem(subkey, out DictionaryDhtItem item));
        Assert.Equal(good, item.Value.ToArray());

        // A lying peer (no validator of its own) hands out a forged value: the client's GET validation drops it.
        DhtTestPeer liar = await net.AddAsync();
        Assert.Equal(PutStatus.Stored, liar.Protocol.Stores.Storage.StoreSubkey(key, (ReadOnlyMemory<byte>)subkey, unsigned, expiration + 1));
        DhtId regularKey = DhtId.Generate("regular");
        Assert.Equal(PutStatus.Stored, liar.Protocol.Stores.Storage.StoreValue(regularKey, Dumps("ok: unprotected"), expiration));
        DhtFindResult[] lies = (await client.Protocol.CallFindAsync(liar.PeerId, [key, regularKey], ct))!;
        Assert.Equal(DhtValueKind.NotFound, lies[0].Kind);
        Assert.Equal(DhtValueKind.Regular, lies[1].Kind);
    }

    [Fact]
    public async Task Whole_dictionary_stores_are_validated_as_post_and_stored_when_valid()
    {
        // mesh CR calls _validate_dictionary without its type argument here and fails every such store with a
        // TypeError (reference §10, quirk 2); mesh-template passes POST, as this node does.
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        (SignatureValidator alice, byte[] aliceSubkey) = Owner("alice");
        (SignatureValidator bob, byte[] bobSubkey) = Owner("bob");
        DhtTestPeer node = await net.AddAsync(validators: [new SignatureValidator(Ed25519PrivateKey.Generate())]);
        DhtTestPeer client = await net.AddAsync(new DhtProtocolOptions { ClientMode = true });
        DhtId key = DhtId.Generate("heartbeat");
        double expiration = Now + 60;

        DictionaryDhtItem aliceItem = new(aliceSubkey, Sign(alice, key, aliceSubkey, 1, expiration), expiration);
        DictionaryDhtItem bobItem = new(bobSubkey, Sign(bob, key, bobSubkey, 2, expiration + 1), expiration + 1);
        DictionaryDhtItem forged = new(bobSubkey, Dumps(666), expiration + 2);

        byte[] bad = Dumps(MsgValue.FromDictionary(new DictionaryDhtValue(expiration + 2, [aliceItem, forged])));
        Assert.False((await client.Protocol.CallStoreAsync(node.PeerId, [DhtStoreEntry.Dictionary(key, bad, expiration + 2)], ct))![0]);
        Assert.False(node.Protocol.Stores.Storage.Contains(key)); // one invalid item refuses the lot

        byte[] good = Dumps(MsgValue.FromDictionary(new DictionaryDhtValue(expiration + 1, [aliceItem, bobItem])));
        Assert.True((await client.Protocol.CallStoreAsync(node.PeerId, [DhtStoreEntry.Dictionary(key, good, expiration + 1)], ct))![0]);
        Assert.True(node.Protocol.Stores.Storage.TryGet(key, out StoredValue stored));
        Assert.Equal(2, stored.Dictionary!.Count);
        Assert.Equal(expiration + 1, stored.ExpirationTime);
    }

    // ---- expirations, sizes, floods ---------------------------------------------------------------------------------

    [Fact]
    public async Task Expired_far_future_and_nan_expirations_are_refused_with_their_reason()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        DhtTestPeer node = await net.AddAsync(new DhtProtocolOptions { MaxExpirationAhead = TimeSpan.FromDays(1) });
        DhtTestPeer client = await net.AddAsync(new DhtProtocolOptions { ClientMode = true });
        DhtId key = DhtId.CreateRandom();

        bool[] ok = (await client.Protocol.CallStoreAsync(node.PeerId,
        [
            DhtStoreEntry.Regular(key, Dumps(1), Now - 1),
            DhtStoreEntry.Regular(key, Dumps(2), Now + 2 * 86400),
            DhtStoreEntry.Regular(key, Dumps(3), 1e300),
            DhtStoreEntry.Regular(key, Dumps(4), double.NaN),
            DhtStoreEntry.Regular(key, Dumps(5), double.PositiveInfinity),
            DhtStoreEntry.Dictionary(key, Dumps(MsgValue.FromDictionary(new DictionaryDhtValue(Now + 60, [DictionaryDhtItem.Create("sk", Dumps(6), Now + 1e9)]))), Now + 60),
            DhtStoreEntry.Regular(key, Dumps(7), Now + 3600),
        ], ct))!;

        Assert.Equal([false, false, false, false, false, false, true], ok);
        Assert.Equal(1, node.Protocol.Statistics.GetStoreCount(DhtStoreOutcome.Expired));
        Assert.Equal(5, node.Protocol.Statistics.GetStoreCount(DhtStoreOutcome.TooFarInFuture));
        Assert.True(node.Protocol.Stores.Storage.TryGet(key, out StoredValue value));
        Assert.Equal(Dumps(7), value.Value.ToArray());
    }

    [Fact]
    public async Task A_flood_of_stores_from_one_peer_is_refused_and_never_evicts_good_data()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        DhtTestPeer node = await net.AddAsync(new DhtProtocolOptions { MaxStoredRecordsPerPeer = 10, MaxCachedRecordsPerPeer = 10, CacheSize = 8 });
        DhtTestPeer honest = await net.AddAsync(new DhtProtocolOptions { ClientMode = true });
        DhtTestPeer flooder = await net.AddAsync(new DhtProtocolOptions { ClientMode = true });
        double expiration = Now + 600;
        DhtId[] goodKeys = [.. Enumerable.Range(0, 5).Select(i => DhtId.Generate($"good{i}"))];
        Assert.All((await honest.Protocol.CallStoreAsync(node.PeerId, [.. goodKeys.Select(k => DhtStoreEntry.Regular(k, Dumps("good"), expiration))], ct))!, Assert.True);
        Assert.All((await honest.Protocol.CallStoreAsync(node.PeerId, [.. goodKeys.Select(k => DhtStoreEntry.Regular(k, Dumps("cached"), expiration, inCache: true))], ct))!, Assert.True);

        // 50 stores to storage and 50 to the cache, each with a later expiration than anything held.
        DhtStoreEntry[] flood = [.. Enumerable.Range(0, 50).Select(i => DhtStoreEntry.Regular(DhtId.Generate($"spam{i}"), Dumps(new byte[1000]), expiration + 1000))];
        bool[] stored = (await flooder.Protocol.CallStoreAsync(node.PeerId, flood, ct))!;
        bool[] cached = (await flooder.Protocol.CallStoreAsync(node.PeerId, [.. flood.Select(e => e with { InCache = true })], ct))!;

        Assert.Equal(10, stored.Count(ok => ok)); // its quota
        Assert.Equal(40, node.Protocol.Statistics.GetStoreCount(DhtStoreOutcome.QuotaExceeded));
        Assert.Equal(3, cached.Count(ok => ok)); // the cache had room for 3 more, then it is full: no eviction for a remote peer
        Assert.True(node.Protocol.Statistics.GetStoreCount(DhtStoreOutcome.Full) >= 40);
        foreach (DhtId k in goodKeys)
        {
            Assert.True(node.Protocol.Stores.Storage.TryGet(k, out StoredValue v));
            Assert.Equal(Dumps("good"), v.Value.ToArray());
            Assert.True(node.Protocol.Stores.Cache.Contains(k));
        }
        // The honest peer still gets new records in.
        Assert.True((await honest.Protocol.CallStoreAsync(node.PeerId, [DhtStoreEntry.Regular(DhtId.Generate("later"), Dumps(1), expiration)], ct))![0]);
    }

    [Fact]
    public async Task An_oversized_value_is_not_sent_and_the_peer_is_not_blamed()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.InMemory);
        DhtTestPeer node = await net.AddAsync();
        DhtTestPeer client = await net.AddAsync();
        Assert.NotNull(await client.Protocol.CallPingAsync(node.PeerId, cancellationToken: ct));

        byte[] huge = new byte[4 * 1024 * 1024 + 1];
        Assert.Null(await client.Protocol.CallStoreAsync(node.PeerId, [DhtStoreEntry.Regular(DhtId.CreateRandom(), huge, Now + 60)], ct));
        Assert.Equal(0, node.Protocol.Statistics.StoreRequestsServed);
        Assert.True(client.Protocol.RoutingTable.Contains(node.NodeId));
    }

    // ---- malformed requests and garbage over the wire -----------------------------------------------------------------

    [Fact]
    public async Task Malformed_requests_get_an_error_reply_change_nothing_and_the_node_keeps_serving()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.Tcp);
        DhtTestPeer node = await net.AddAsync(new DhtProtocolOptions { MaxKeysPerRequest = 8 });
        await using MeshHost attacker = await StartHostAsync();
        var rpc = new RpcClient(new PeerRoutingRpcTransport(attacker, net.Directory));
        byte[] key = DhtId.CreateRandom().ToBytes();

        async Task<string> ErrorOf<TRequest, TResponse>(string protocol, TRequest request, MessageParser<TResponse> parser)
            where TRequest : class, IMessage<TRequest>
            where TResponse : class, IMessage<TResponse>
        {
            var error = await Assert.ThrowsAsync<RpcHandlerException>(async () => await rpc.CallUnaryAsync(node.PeerId, protocol, request, parser, ct));
            return error.RemoteMessage;
        }

        StoreRequest misaligned = StoreRequestOf((key, [0xc0], Dumps(1), Now + 60, false));
        misaligned.Values.Add(ByteString.CopyFrom(Dumps(2)));
        Assert.Contains("not aligned", await ErrorOf(DhtProtocolIds.Store, misaligned, StoreResponse.Parser));

        byte[] tooBig = [1, .. new byte[20]]; // 2^160: not a DHTID
        Assert.Contains("not a DHTID", await ErrorOf(DhtProtocolIds.Store, StoreRequestOf((key, [0xc0], Dumps(1), Now + 60, false), (tooBig, [0xc0], Dumps(1), Now + 60, false)), StoreResponse.Parser));
        var find = new FindRequest();
        find.Keys.Add(ByteString.CopyFrom(tooBig));
        Assert.Contains("not a DHTID", await ErrorOf(DhtProtocolIds.Find, find, FindResponse.Parser));
        var many = new FindRequest();
        many.Keys.AddRange(Enumerable.Range(0, 9).Select(_ => ByteString.CopyFrom(key)));
        Assert.Contains("exceed the limit", await ErrorOf(DhtProtocolIds.Find, many, FindResponse.Parser));
        var badSender = new PingRequest { Peer = new NodeInfo { NodeId = ByteString.CopyFrom(tooBig) } };
        Assert.Contains("not a DHTID", await ErrorOf(DhtProtocolIds.Ping, badSender, PingResponse.Parser));

        // Garbage protobufs: field 1 of every DHT request is the auth message; one whose first tag is 0 does not parse.
        foreach (string protocol in new[] { DhtProtocolIds.Ping, DhtProtocolIds.Store, DhtProtocolIds.Find })
        {
            Assert.StartsWith("DecodeError", await ErrorOf(protocol, new BytesValue { Value = ByteString.CopyFrom(0x00) }, StoreResponse.Parser));
        }

        Assert.Equal(0, node.Protocol.Stores.Storage.Count);
        Assert.Equal(5, node.Protocol.Statistics.MalformedRequests);
        // Still serving, on the same connection.
        PingResponse pong = await rpc.CallUnaryAsync(node.PeerId, DhtProtocolIds.Ping, new PingRequest(), PingResponse.Parser, ct);
        Assert.Equal(node.NodeId.ToBytes(), pong.Peer.NodeId.ToByteArray());
        bool[] ok = [.. (await rpc.CallUnaryAsync(node.PeerId, DhtProtocolIds.Store, StoreRequestOf((key, [0xc0], Dumps(1), Now + 60, false)), StoreResponse.Parser, ct)).StoreOk];
        Assert.Equal([true], ok);
    }

    [Fact]
    public async Task An_envelope_over_the_4_mib_limit_is_refused_from_its_length_and_the_node_keeps_serving()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        await using var net = new DhtTestNetwork(DhtNetworkKind.Tcp);
        DhtTestPeer node = await net.AddAsync();
        await using MeshHost attacker = await StartHostAsync();
        // A client configured with a larger limit than the node's sends a 5 MiB store.
        var rpc = new RpcClient(new PeerRoutingRpcTransport(attacker, net.Directory), new RpcOptions { MaxUnaryMessageSize = 8 * 1024 * 1024 });
        StoreRequest huge = StoreRequestOf((DhtId.CreateRandom().ToBytes(), [0xc0], new byte[5 * 1024 * 1024], Now + 60, false));

        await Assert.ThrowsAnyAsync<RpcException>(async () => await rpc.CallUnaryAsync(node.PeerId, DhtProtocolIds.Store, huge, StoreResponse.Parser, ct));

        Assert.Equal(0, node.Protocol.Statistics.StoreRequestsServed); // refused before the handler, from the prefix
        PingResponse pong = await rpc.CallUnaryAsync(node.PeerId, DhtProtocolIds.Ping, new PingRequest(), PingResponse.Parser, ct);
        Assert.Equal(node.NodeId.ToBytes(), pong.Peer.NodeId.ToByteArray());
    }

    [Fact]
    public async Task Replies_that_are_misaligned_or_carry_garbage_neighbours_are_handled_without_trusting_them()
    {
        CancellationToken ct = DhtTestNetwork.Timeout();
        var network = new InMemoryDhtNetwork();
        PrivateKey liarKey = Ed25519PrivateKey.Generate();
        InMemoryDhtTransport liar = network.CreateEndpoint(liarKey.PeerId);
        var handler = new ScriptedHandler();
        liar.Serve(handler);
        InMemoryDhtTransport mine = network.CreateEndpoint(Ed25519PrivateKey.Generate().PeerId);
        await using var me = new DhtProtocol(mine, DhtId.CreateRandom());
        DhtId key = DhtId.CreateRandom();
        PeerId honestPeer = Ed25519PrivateKey.Generate().PeerId;

        // Garbage neighbour entries are skipped one by one; a dictionary that does not decode is "not found".
        handler.Find = _ =>
        {
            var result = new FindResult { Type = ResultType.FoundDictionary, Value = ByteString.CopyFrom(0xc7, 0x01), ExpirationTime = Now + 60 };
            result.NearestNodeIds.Add(ByteString.CopyFrom(new byte[19]));
            result.NearestPeerIds.Add(ByteString.CopyFrom(honestPeer.Bytes));
            result.NearestNodeIds.Add(ByteString.CopyFrom(DhtId.CreateRandom().ToBytes()));
            result.NearestPeerIds.Add(ByteString.CopyFromUtf8("not a peer id"));
            result.NearestNodeIds.Add(ByteString.CopyFrom(DhtId.CreateRandom().ToBytes()));
            result.NearestPeerIds.Add(ByteString.CopyFrom(honestPeer.Bytes));
            var response = new FindResponse { Peer = new NodeInfo { NodeId = ByteString.CopyFrom(DhtId.CreateRandom().ToBytes()) } };
            response.Results.Add(result);
            return response;
        };
        DhtFindResult r = Assert.Single((await me.CallFindAsync(liarKey.PeerId, [key], ct))!);
        Assert.Equal(DhtValueKind.NotFound, r.Kind);
        Assert.Equal(honestPeer, Assert.Single(r.Nearest).Peer);
        await me.FlushRoutingAsync();
        Assert.True(me.RoutingTable.ContainsPeer(liarKey.PeerId));

        // A reply not aligned with the keys counts as no reply: the peer leaves the table.
        handler.Find = _ => new FindResponse { Peer = new NodeInfo() };
        Assert.Null(await me.CallFindAsync(liarKey.PeerId, [key], ct));
        Assert.False(me.RoutingTable.ContainsPeer(liarKey.PeerId));
    }

    private static async Task<MeshHost> StartHostAsync()
    {
        var options = new HostOptions();
        options.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        var host = new MeshHost(options);
        await host.StartAsync();
        return host;
    }

    private sealed class ScriptedHandler : IDhtRequestHandler
    {
        public Func<FindRequest, FindResponse> Find { get; set; } = _ => new FindResponse();

        public ValueTask<PingResponse> HandlePingAsync(PingRequest request, RpcContext context) => ValueTask.FromResult(new PingResponse());

        public ValueTask<StoreResponse> HandleStoreAsync(StoreRequest request, RpcContext context) => ValueTask.FromResult(new StoreResponse());

        public ValueTask<FindResponse> HandleFindAsync(FindRequest request, RpcContext context) => ValueTask.FromResult(Find(request));
    }
}
