using System.Security.Cryptography;
using System.Text.Json;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Node;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Tests.Protocol;
using Mesh.Kademlia.Tests.Storage;
using Mesh.Kademlia.Validation;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Node;

/// <summary>
/// Ports of test_dht_crypto (test_dhtnode_signatures_rsa_and_ed25519), test_dht_validation (test_dht_add_validators)
/// and test_dht_client (test_dht_same_clients), and the node's signing path against the Python golden records.
/// </summary>
public sealed class DhtNodeValidationTests
{
    private static double Now => DhtClock.System.Now;

    private static CancellationToken Timeout() => DhtTestNetwork.Timeout(180);

    private static RsaPrivateKey RsaKey(string label = "A")
    {
        using JsonDocument doc = VectorJson.Load("keys.json");
        using var rsa = RSA.Create();
        rsa.ImportFromPem(doc.RootElement.GetProperty("rsa_pkcs8_pem").GetProperty(label).GetString());
        return RsaPrivateKey.FromPkcs1(rsa.ExportRSAPrivateKey());
    }

    [Theory]
    [InlineData(DhtNetworkKind.Tcp)]
    [InlineData(DhtNetworkKind.InMemory)]
    public async Task Dhtnode_signatures_rsa_and_ed25519(DhtNetworkKind kind)
    {
        CancellationToken ct = Timeout();
        await using var swarm = new DhtSwarm(kind);
        DhtNode alice = await swarm.AddAsync(new DhtNodeOptions { RecordValidators = [new SignatureValidator(Ed25519PrivateKey.Generate())] });
        var bobValidator = new SignatureValidator(RsaKey());
        DhtNode bob = await swarm.AddAsync(new DhtNodeOptions { RecordValidators = [bobValidator] }, [alice]);
        DhtNode mallory = await swarm.AddAsync(new DhtNodeOptions { RecordValidators = [new SignatureValidator(Ed25519PrivateKey.Generate())] }, [alice]);

        MsgValue key = MsgValue.FromBytes("key"u8.ToArray());
        MsgValue subkey = MsgValue.FromBytes([.. "protected_subkey"u8, .. bobValidator.LocalPublicKey.Span]);
        MsgValue Value(string s) => MsgValue.FromBytes(System.Text.Encoding.ASCII.GetBytes(s));

        Assert.True(await bob.StoreAsync(key, Value("true_value"), Now + 10, subkey, ct));
        Assert.Equal(Value("true_value"), (await alice.GetAsync(key, latest: true, cancellationToken: ct))!.Subkeys![subkey].Value);

        Assert.False(await mallory.StoreAsync(key, Value("fake_value"), Now + 10, subkey, ct));
        Assert.Equal(Value("true_value"), (await alice.GetAsync(key, latest: true, cancellationToken: ct))!.Subkeys![subkey].Value);

        Assert.True(await bob.StoreAsync(key, Value("updated_true_value"), Now + 10, subkey, ct));
        Assert.Equal(Value("updated_true_value"), (await alice.GetAsync(key, latest: true, cancellationToken: ct))!.Subkeys![subkey].Value);

        await swarm.StopAsync(bob); // Bob has shut down, now Mallory is the single peer of Alice

        Assert.False(await mallory.StoreAsync(key, Value("updated_fake_value"), Now + 10, subkey, ct));
        Assert.Equal(Value("updated_true_value"), (await alice.GetAsync(key, latest: true, cancellationToken: ct))!.Subkeys![subkey].Value);
    }

    [Fact]
    public async Task Dht_add_validators()
    {
        CancellationToken ct = Timeout();
        var signatureA = new SignatureValidator(RsaKey());
        IRecordValidator[] a = [signatureA, new SchemaValidator(new DhtSchema(DhtSchemaField.Value("field_a", SchemaType.Bytes)), allowExtraKeys: false)];
        IRecordValidator[] b =
        [
            new SchemaValidator(new DhtSchema(DhtSchemaField.Dictionary("field_b", SchemaType.BytesWithPublicKey, SchemaType.Int)), allowExtraKeys: false),
            new SignatureValidator(Ed25519PrivateKey.Generate()),
        ];
        await using var swarm = new DhtSwarm(DhtNetworkKind.Tcp);
        // One app creates a DHT with its validators; after it started, another adds its own.
        DhtNode dht = await swarm.AddAsync(new DhtNodeOptions { RecordValidators = a });
        dht.AddValidators(b);
        Assert.Equal(2, dht.Protocol.RecordValidator.Validators.Count); // schemas merged, signatures merged

        Assert.True(await dht.StoreAsync("field_a", MsgValue.FromBytes("bytes_value"u8.ToArray()), Now + 10, cancellationToken: ct));
        Assert.Equal(MsgValue.FromBytes("bytes_value"u8.ToArray()), (await dht.GetAsync("field_a", latest: true, cancellationToken: ct))!.Value);

        Assert.False(await dht.StoreAsync("field_a", 666, Now + 10, cancellationToken: ct));
        Assert.Equal(MsgValue.FromBytes("bytes_value"u8.ToArray()), (await dht.GetAsync("field_a", latest: true, cancellationToken: ct))!.Value);

        MsgValue localPublicKey = MsgValue.FromBytes(signatureA.LocalPublicKey.ToArray());
        Assert.True(await dht.StoreAsync("field_b", 777, Now + 10, localPublicKey, ct));
        DhtValue dictionary = (await dht.GetAsync("field_b", latest: true, cancellationToken: ct))!;
        Assert.Single(dictionary.Subkeys!);
        Assert.Equal((MsgValue)777, dictionary.Subkeys![localPublicKey].Value);

        Assert.False(await dht.StoreAsync("unknown_key", 666, Now + 10, cancellationToken: ct));
        Assert.Null(await dht.GetAsync("unknown_key", latest: true, cancellationToken: ct));
    }

    [Fact]
    public async Task Dht_same_clients()
    {
        // mesh launches one server and client-mode DHTs in pairs that share an identity file. Two hosts with the same
        // libp2p peer id cannot both stay connected to one MeshHost (it keeps one connection per peer and closes the
        // redundant one), so here each pair shares its record-signing key while the hosts have their own peer ids.
        // Every client publishes a signed subkey and reads everyone's back.
        CancellationToken ct = Timeout();
        await using var swarm = new DhtSwarm(DhtNetworkKind.Tcp);
        PrivateKey[] keys = [.. Enumerable.Range(0, 3).Select(_ => (PrivateKey)Ed25519PrivateKey.Generate())];
        DhtNode server = await swarm.AddAsync(new DhtNodeOptions { RecordValidators = [new SignatureValidator(keys[0])] }, identity: keys[0]);
        var clients = new List<(DhtNode Node, SignatureValidator Validator)>();
        foreach (PrivateKey key in new[] { keys[1], keys[1], keys[2], keys[2] })
        {
            var validator = new SignatureValidator(key);
            clients.Add((await swarm.AddAsync(new DhtNodeOptions { ClientMode = true, RecordValidators = [validator] }, [server]), validator));
        }
        for (int i = 0; i < clients.Count; i++)
        {
            MsgValue subkey = MsgValue.FromBytes([.. System.Text.Encoding.ASCII.GetBytes($"client{i}"), .. clients[i].Validator.LocalPublicKey.Span]);
            Assert.True(await clients[i].Node.StoreAsync("clients", i, Now + 60, subkey, ct));
        }
        foreach (DhtNode reader in clients.Select(c => c.Node).Append(server))
        {
            DhtValue all = (await reader.GetAsync("clients", latest: true, cancellationToken: ct))!;
            Assert.Equal(4, all.Subkeys!.Count);
        }
        Assert.Equal(0, server.Protocol.RoutingTable.Count); // clients never enter routing tables
    }

    [Theory]
    [InlineData(DhtNetworkKind.Tcp)]
    [InlineData(DhtNetworkKind.InMemory)]
    public async Task Every_server_publishes_a_heartbeat_and_any_node_reads_them_all(DhtNetworkKind kind)
    {
        // What the mesh server does every update period (mesh-reference §7, ModuleHeartbeatThread): key "heartbeat",
        // subkey = peer id (base58 text) + [owner:<its key>], value = ServerInfo.to_tuple(), expiration 2 update periods.
        CancellationToken ct = Timeout();
        await using var swarm = new DhtSwarm(kind);
        var servers = new List<(DhtNode Node, SignatureValidator Validator)>();
        for (int i = 0; i < 8; i++)
        {
            PrivateKey key = Ed25519PrivateKey.Generate();
            var validator = new SignatureValidator(key);
            DhtNode node = await swarm.AddAsync(new DhtNodeOptions { RecordValidators = [validator] }, servers.Count == 0 ? null : [servers[0].Node], key);
            servers.Add((node, validator));
        }
        double updatePeriod = 120;
        foreach ((DhtNode node, SignatureValidator validator) in servers)
        {
            MsgValue subkey = MsgValue.FromBytes([.. System.Text.Encoding.ASCII.GetBytes(node.PeerId.ToString()), .. validator.LocalPublicKey.Span]);
            MsgValue serverInfo = MsgValue.Tuple(2, "validator", 1.5, MsgValue.Map(new MsgMapEntry("public_name", "n"), new MsgMapEntry("version", MsgValue.Nil)));
            Assert.True(await node.StoreAsync("heartbeat", serverInfo, node.Clock.Now + 2 * updatePeriod, subkey, ct));
        }

        DhtNode reader = await swarm.AddAsync(new DhtNodeOptions { ClientMode = true, RecordValidators = [new SignatureValidator(Ed25519PrivateKey.Generate())] }, [servers[3].Node]);
        DhtValue heartbeats = (await reader.GetAsync("heartbeat", latest: true, cancellationToken: ct))!;
        Assert.Equal(8, heartbeats.Subkeys!.Count);
        // Readers recover each server's peer id from the subkey, in front of its [owner:…] marker.
        HashSet<string> peers = [.. heartbeats.Subkeys.Keys.Select(k => System.Text.Encoding.ASCII.GetString(k.AsSpan()).Split("[owner:")[0])];
        Assert.Equal(servers.Select(s => s.Node.PeerId.ToString()).Order(), peers.Order());
        Assert.All(heartbeats.Subkeys.Values, v => Assert.Equal((MsgValue)"validator", v.Value.AsItems()[1]));
    }

    [Theory]
    [InlineData("records_ed25519.json")]
    [InlineData("records_rsa.json")]
    public async Task Records_signed_by_a_node_have_the_python_bytes_and_validate_at_its_peers(string file)
    {
        using JsonDocument doc = VectorJson.Load(file);
        JsonElement root = doc.RootElement;
        JsonElement keyInfo = root.GetProperty("key");
        PrivateKey owner;
        if (keyInfo.GetProperty("type").GetString() == "Ed25519")
        {
            owner = Ed25519PrivateKey.FromSeed(Hex.Decode(keyInfo.Hexs("seed_hex")));
        }
        else
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(keyInfo.GetProperty("private_key_pkcs8_pem").GetString());
            owner = RsaPrivateKey.FromPkcs1(rsa.ExportRSAPrivateKey());
        }
        bool deterministic = owner is Ed25519PrivateKey;
        CancellationToken ct = Timeout();
        await using var swarm = new DhtSwarm(DhtNetworkKind.InMemory);
        var options = new DhtNodeOptions { Clock = new ManualDhtClock(VectorJson.Double(root.GetProperty("fixed_now"))), NumReplicas = 2 };
        DhtNode peer = await swarm.AddAsync(options with { RecordValidators = [new SignatureValidator(Ed25519PrivateKey.Generate())] });
        DhtNode publisher = await swarm.AddAsync(options with { RecordValidators = [new SignatureValidator(owner)] }, [peer]);

        int checkedCases = 0;
        foreach (JsonElement c in root.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("protected").GetBoolean()))
        {
            MsgValue key = VectorJson.ToMsgValue(c.GetProperty("key_source"));
            MsgValue subkey = VectorJson.ToMsgValue(c.GetProperty("subkey_logical"));
            MsgValue value = VectorJson.ToMsgValue(c.GetProperty("value_logical"));
            double expiration = VectorJson.Double(c.GetProperty("record").GetProperty("expiration_time"));
            Assert.Equal(c.GetProperty("record").Hexs("key_hex"), DhtId.Generate(key).ToString());

            Assert.True(await publisher.StoreAsync(key, value, expiration, subkey, ct), c.GetProperty("description").GetString());

            // The replica at the other node holds what the publisher signed.
            Assert.True(peer.Protocol.Stores.Storage.TryGet(DhtId.Generate(key), out StoredValue stored));
            Assert.True(stored.Dictionary!.TryGetItem(Hex.Decode(c.GetProperty("record").Hexs("subkey_hex")), out DictionaryDhtItem item));
            if (deterministic)
            {
                Assert.Equal(c.Hexs("signed_value_hex"), Hex.Encode(item.Value.Span));
            }
            Assert.StartsWith(c.Hexs("strip_value_hex"), Hex.Encode(item.Value.Span));
            DhtValue got = (await peer.GetAsync(key, latest: true, cancellationToken: ct))!;
            Assert.Equal(value, got.Subkeys![subkey].Value);
            checkedCases++;
        }
        Assert.Equal(5, checkedCases);
    }
}
