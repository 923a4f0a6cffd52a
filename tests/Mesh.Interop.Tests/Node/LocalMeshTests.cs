using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Node;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Serialization;
using Mesh.Multistream;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.LocalChain;
using Mesh.Node.Subnet;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;

namespace Mesh.Interop.Tests.Node;

/// <summary>
/// The seed README's "Running Nodes Locally" with the built <c>mesh</c> binary, each node its own process: a bootnode
/// server on a new swarm, two servers joined through the <c>--initial_peers</c> address it printed, all on one
/// embedded local chain. Proves: every node holds every node's heartbeat (read from each node over the wire by a
/// staked client; the two joiners meet each other by peer id only and reach each other through kad peer routing), at
/// least two consensus epochs with the elected validator's proposal and every node's attestation
/// recorded, proof-of-stake gating (an unregistered peer's DHT requests are refused, a registered one's answered),
/// metrics, and a graceful stop on SIGTERM.
/// </summary>
public sealed class LocalMeshTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mesh-local-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly ITestOutputHelper _output;

    public LocalMeshTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_dir);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Three_node_local_mesh_heartbeats_two_consensus_epochs_and_proof_of_stake_gating()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(5));
        CancellationToken ct = cts.Token;
        var ids = new PrivateKey[3];
        for (int i = 0; i < 3; i++)
        {
            ids[i] = PrivateKey.Generate(i == 1 ? KeyType.Rsa : KeyType.Ed25519); // RSA and Ed25519 peers interoperate
            IdentityFile.Write(Path.Combine(_dir, $"node{i + 1}.id"), ids[i]);
        }
        // Half-second blocks (10 s epochs); attestors get half an epoch, generous for a loaded 2-core machine. Likewise the
        // DHT's RPC timeout (3 s by default), which also bounds a joining node's bootstrap (dial, handshake, validating
        // ping back): under load node2 once gave up on node1 after 3 s and exited "none of the --initial_peers answered".
        string[] common = ["server", "--no_blockchain_rpc", "--subnet_id", "1", "--update_period", "1", "--local_block_time", "0.5", "--attest_deadline", "0.5",
            "--chain_poll_interval", "0.25", "--host_maddrs", "/ip4/127.0.0.1/tcp/0", "--wait_timeout", "15"];
        var nodes = new List<MeshProcess>();
        try
        {
            nodes.Add(MeshProcess.Start("node1", _dir, [.. common, "--identity_path", "node1.id", "--subnet_node_id", "1", "--new_swarm", "--metrics_port", "0"]));
            string bootnode = (await nodes[0].WaitForLineAsync(@"use --initial_peers (\S+)", TimeSpan.FromSeconds(90), ct)).Groups[1].Value;
            string metricsUrl = (await nodes[0].WaitForLineAsync(@"Metrics at (\S+)", TimeSpan.FromSeconds(10), ct)).Groups[1].Value;
            Assert.EndsWith("/p2p/" + ids[0].PeerId, bootnode);
            for (int i = 1; i < 3; i++)
            {
                nodes.Add(MeshProcess.Start($"node{i + 1}", _dir, [.. common, "--identity_path", $"node{i + 1}.id", "--subnet_node_id", $"{i + 1}", "--initial_peers", bootnode]));
            }
            var addresses = new Multiaddr[3];
            for (int i = 0; i < 3; i++)
            {
                addresses[i] = Multiaddr.Parse((await nodes[i].WaitForLineAsync(@"use --initial_peers (\S+)", TimeSpan.FromSeconds(90), ct)).Groups[1].Value);
            }

            // Two epochs, after everyone joined, in which the elected validator proposed all three and all three attested.
            LocalHypertensor chain = LocalHypertensor.Open(new LocalChainOptions { DatabasePath = Path.Combine(_dir, LocalChainOptions.DefaultFileName) });
            uint joined = (await chain.GetClockAsync(1, ct)).SubnetEpoch;
            var complete = new List<uint>();
            for (uint epoch = joined + 1; complete.Count < 2 && !ct.IsCancellationRequested;)
            {
                uint now = (await chain.GetClockAsync(1, ct)).SubnetEpoch;
                if (now <= epoch)
                {
                    await Task.Delay(500, ct);
                    continue;
                }
                ConsensusSubmission? s = await chain.GetConsensusSubmissionAsync(1, epoch, ct);
                _output.WriteLine($"epoch {epoch}: {(s is null ? "no submission" : $"validator {s.ValidatorId}, scores [{string.Join(",", s.Data.Select(d => d.SubnetNodeId))}], attested by [{string.Join(",", s.Attests.Select(a => a.SubnetNodeId))}]")}");
                if (s is not null && s.Data.Select(d => d.SubnetNodeId).SequenceEqual([1u, 2u, 3u]) && new uint[] { 1, 2, 3 }.All(s.IsAttestedBy))
                {
                    Assert.Equal(await chain.GetElectedValidatorAsync(1, epoch, ct), s.ValidatorId);
                    complete.Add(epoch);
                }
                epoch++;
                Assert.True(epoch < joined + 12, "no two complete consensus epochs in 11 epochs:\n" + string.Join("\n", nodes.Select(n => n.Log[^Math.Min(n.Log.Length, 4000)..])));
            }
            Assert.Equal(2, complete.Count);

            // Proof-of-stake gating, and every node's heartbeat on every node, asked over the wire.
            PrivateKey staked = PrivateKey.Generate(KeyType.Ed25519), stranger = PrivateKey.Generate(KeyType.Ed25519);
            chain.RegisterLocalNode(1, null, staked.PeerId, Mesh.Node.Chain.Signing.EthereumKeyPair.FromPrivateKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).Address);
            await using (var strangerClient = await DhtClient.CreateAsync(stranger, null, ct))
            {
                for (int i = 0; i < 3; i++)
                {
                    Assert.Null(await strangerClient.FindHeartbeatsAsync(addresses[i], ct)); // refused: no stake
                }
            }
            // Replication between the two joiners: they joined through the bootnode at the same time, so each met the
            // other by peer id only (in the bootnode's rpc_find replies) and dialed it through kad peer routing. Every
            // heartbeat (num_replicas 5 > 3 nodes) must be held by all three nodes, not just by its owner and the
            // bootnode. Heartbeats repeat every second: poll, bounded, until the stores have been made.
            await using (var probe = await DhtClient.CreateAsync(staked, addresses[0], ct))
            {
                var holders = new IReadOnlyList<PeerId>?[3];
                for (int attempt = 0; ; attempt++)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        holders[i] = await probe.FindHeartbeatsAsync(addresses[i], ct);
                    }
                    if (holders.All(h => h is not null && ids.All(k => h.Contains(k.PeerId))))
                    {
                        break;
                    }
                    Assert.True(attempt < 60, "heartbeats not replicated to every node within 60 s: " +
                        string.Join("; ", holders.Select((h, i) => $"node {i + 1} holds [{(h is null ? "refused" : string.Join(", ", h))}]")) +
                        $" (nodes: {string.Join(", ", ids.Select(k => k.PeerId))})");
                    await Task.Delay(1000, ct);
                }
                for (int j = 0; j < 3; j++)
                {
                    Assert.True(holders.Count(h => h!.Contains(ids[j].PeerId)) > 1, $"node {j + 1}'s heartbeat is held by one node only");
                }
                Assert.Contains(ids[2].PeerId, holders[1]!); // joiner 2 holds joiner 3's heartbeat
                Assert.Contains(ids[1].PeerId, holders[2]!); // and the reverse
            }
            for (int i = 0; i < 3; i++)
            {
                // A staked client joining through node i: answered, and it sees every node's heartbeat.
                await using var stakedClient = await DhtClient.CreateAsync(staked, addresses[i], ct);
                IReadOnlyList<PeerId>? held = await stakedClient.FindHeartbeatsAsync(addresses[i], ct);
                Assert.NotNull(held);
                Assert.Contains(ids[i].PeerId, held);
                DhtValue? all = await stakedClient.Node.GetAsync(HeartbeatRecord.Key, latest: true, ct);
                _output.WriteLine($"via node {i + 1}: held [{string.Join(", ", held)}], get: {all}");
                Assert.NotNull(all?.Subkeys);
                IReadOnlyList<NodeHeartbeat> beats = HeartbeatRecord.Parse(all.Subkeys.Select(kv => new DhtSubkeyEntry(kv.Key, kv.Value.Value, kv.Value.ExpirationTime)), out int malformed);
                Assert.Equal(0, malformed);
                // hivemind's get(latest=True) returns the one copy with the newest expiration, not a union of the
                // replicas' dictionaries, so a lookup sees at least the node's own heartbeat; the nodes' own views are
                // checked in full below, through what each scored.
                Assert.Contains(ids[i].PeerId, beats.Select(b => b.PeerId));
                Assert.All(beats, b => Assert.Contains(b.PeerId, ids.Select(k => k.PeerId)));
                // Each node itself scored all three live nodes in the complete epochs.
                foreach (uint epoch in complete)
                {
                    Assert.Matches($@"Round of epoch {epoch}: \w+ \w+ \(validator \d+, 3 scores\)", nodes[i].Log);
                }
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            string metrics = await http.GetStringAsync(metricsUrl, ct);
            Assert.Contains("mesh_pos_checks_total{result=\"refused\"}", metrics);
            Assert.Contains("mesh_pos_checks_total{result=\"accepted\"}", metrics);
            Assert.Contains("mesh_consensus_rounds_total{", metrics);
            Assert.Contains("mesh_heartbeats_total{result=\"stored\"}", metrics);
            Assert.Contains("mesh_rpc_calls_total{direction=\"inbound\",protocol=\"DHTProtocol.rpc_store\"}", metrics);

            // SIGTERM: each node announces OFFLINE, stops, and exits 0.
            for (int i = nodes.Count - 1; i >= 0; i--)
            {
                int exit = await nodes[i].StopAsync(TimeSpan.FromSeconds(30));
                Assert.True(exit == 0, $"{nodes[i].Name} exited {exit}:\n{nodes[i].Log}");
                Assert.Contains("Server stopped", nodes[i].Log);
            }
        }
        finally
        {
            foreach (MeshProcess n in nodes)
            {
                _output.WriteLine($"----- {n.Name}\n{(n.Log.Length > 6000 ? n.Log[^6000..] : n.Log)}");
                await n.DisposeAsync();
            }
        }
    }

    /// <summary>A client-mode DHT peer that asks one node directly for what it holds under <c>heartbeat</c>.</summary>
    private sealed class DhtClient(MeshHost host, DhtNode node) : IAsyncDisposable
    {
        public DhtNode Node => node;

        public static async Task<DhtClient> CreateAsync(PrivateKey identity, Multiaddr? bootstrap, CancellationToken ct)
        {
            var host = new MeshHost(new HostOptions { Identity = identity });
            await host.StartAsync(ct);
            DhtNode node = await DhtNode.CreateAsync(host, new DhtNodeOptions
            {
                ClientMode = true,
                Identity = identity,
                // Heartbeat values carry their [signature:…]: a reader needs the signature validator to check and strip it.
                RecordValidators = [new Mesh.Kademlia.Validation.SignatureValidator(identity)],
                InitialPeers = bootstrap is null ? [] : [bootstrap],
            }, cancellationToken: ct);
            return new DhtClient(host, node);
        }

        /// <summary>The peers whose heartbeat the node at <paramref name="address"/> holds; null when it refused to answer.</summary>
        public async Task<IReadOnlyList<PeerId>?> FindHeartbeatsAsync(Multiaddr address, CancellationToken ct)
        {
            Assert.True(address.TryGetPeerId(out ReadOnlySpan<byte> multihash));
            PeerId peer = PeerId.FromBytes(multihash);
            host.PeerStore.AddAddresses(peer, [address.Decapsulate(MultiaddrProtocol.P2p)]);
            DhtFindResult[]? results = await node.Protocol.CallFindAsync(peer, [DhtId.Generate(HeartbeatRecord.Key)], ct);
            if (results is null)
            {
                return null;
            }
            DhtFindResult found = Assert.Single(results);
            Assert.Equal(DhtValueKind.Dictionary, found.Kind);
            var peers = new List<PeerId>();
            foreach (DictionaryDhtItem item in found.Dictionary!.Items)
            {
                Assert.True(HeartbeatRecord.TryGetPeerId(item.DecodeSubkey(), out PeerId owner));
                peers.Add(owner);
            }
            return peers;
        }

        public async ValueTask DisposeAsync()
        {
            await node.DisposeAsync();
            await host.DisposeAsync();
        }
    }
}
