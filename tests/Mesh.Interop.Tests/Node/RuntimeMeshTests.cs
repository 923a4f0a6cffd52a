using System.Diagnostics;
using Mesh.Interop.Tests.Chain;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Mesh.Transport.Identity;

namespace Mesh.Interop.Tests.Node;

/// <summary>
/// Three <c>mesh server</c> processes on the real Hypertensor runtime under chopsticks: registered and staked nodes of a
/// fresh subnet, each signing with its own hotkey (<c>--private_key</c>), joined through the bootnode's printed
/// address; the test activates the subnet and moves the chain to two successive election slots with
/// <c>dev_newBlock</c>; each epoch's elected validator (random on this runtime) proposes the three live nodes and the
/// two others attest, as <c>SubnetConsensusSubmission</c> records.
/// </summary>
[Collection("chopsticks")]
public sealed class RuntimeMeshTests(ChopsticksFixture chain, ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mesh-runtime-" + Guid.NewGuid().ToString("N")[..10]);

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
    public async Task Three_server_processes_propose_and_attest_two_epochs_on_the_runtime()
    {
        chain.Require();
        Directory.CreateDirectory(_dir);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(8));
        CancellationToken ct = cts.Token;
        SubstrateClient client = chain.Client;
        var owner = new HypertensorClient(client);
        UInt128 maxStake = (await client.GetStorageAsync("Network", "NetworkMaxStakeBalance", [], null, ct))!.AsU128();
        EthereumKeyPair[] coldkeys = [RuntimeAccounts.Alith, RuntimeAccounts.Baltathar, RuntimeAccounts.Charleth];
        EthereumKeyPair[] hotkeys = [RuntimeAccounts.FreshKey(), RuntimeAccounts.FreshKey(), RuntimeAccounts.FreshKey()];
        var identities = new PrivateKey[3];
        for (int i = 0; i < 3; i++)
        {
            identities[i] = PrivateKey.Generate(KeyType.Ed25519);
            IdentityFile.Write(Path.Combine(_dir, $"node{i + 1}.id"), identities[i]);
            await RuntimeAccounts.FundAsync(client, hotkeys[i].Address, RuntimeAccounts.Tokens(100), ct);
        }
        string name = "mesh-" + Guid.NewGuid().ToString("N")[..8];
        uint subnetId = await owner.RegisterSubnetAsync(RuntimeAccounts.Alith, new SubnetRegistration(name, "https://example.invalid/" + name, "runtime mesh test", "",
            RuntimeAccounts.Tokens(100), maxStake, Tensor.One / 10, coldkeys.ToDictionary(k => k.Address, _ => 1u), [SubnetKeyType.Ed25519],
            ["/ip4/127.0.0.1/tcp/1/p2p/" + identities[0].PeerId]), RuntimeAccounts.Tokens(1000), ct);
        var nodeIds = new uint[3];
        for (int i = 0; i < 3; i++)
        {
            nodeIds[i] = await owner.RegisterSubnetNodeAsync(coldkeys[i], new SubnetNodeRegistration(subnetId, hotkeys[i].Address, identities[i].PeerId.ToString(),
                PrivateKey.Generate(KeyType.Ed25519).PeerId.ToString(), PrivateKey.Generate(KeyType.Ed25519).PeerId.ToString(),
                RuntimeAccounts.Tokens(100), RuntimeAccounts.Tokens(1000)), ct);
        }

        string[] Args(int i) => ["server", "--rpc_url", chain.WebSocketUri.ToString(), "--subnet_id", subnetId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--subnet_node_id", nodeIds[i].ToString(System.Globalization.CultureInfo.InvariantCulture), "--identity_path", $"node{i + 1}.id",
            "--private_key", "0x" + Convert.ToHexStringLower(hotkeys[i].ExportPrivateKey()), "--update_period", "5", "--chain_poll_interval", "0.5",
            "--host_maddrs", "/ip4/127.0.0.1/tcp/0",
            // The DHT's 3 s RPC timeout also bounds the joining nodes' bootstrap (dial, handshake, validating ping back),
            // which a loaded 2-core machine running other tests can exceed: the node then exits "none answered".
            "--wait_timeout", "15"];
        var nodes = new List<MeshProcess>();
        try
        {
            nodes.Add(MeshProcess.Start("node1", _dir, [.. Args(0), "--new_swarm"]));
            string bootnode = (await nodes[0].WaitForLineAsync(@"use --initial_peers (\S+)", TimeSpan.FromSeconds(120), ct)).Groups[1].Value;
            for (int i = 1; i < 3; i++)
            {
                nodes.Add(MeshProcess.Start($"node{i + 1}", _dir, [.. Args(i), "--initial_peers", bootnode]));
            }
            foreach (MeshProcess n in nodes)
            {
                await n.WaitForLineAsync("Running a DHT instance", TimeSpan.FromSeconds(120), ct);
                // Not active yet: the status line says what the node waits for.
                await n.WaitForLineAsync($"waiting for subnet {subnetId} to be activated", TimeSpan.FromSeconds(60), ct);
            }
            await owner.AddToDelegateStakeAsync(RuntimeAccounts.Alith, subnetId, RuntimeAccounts.Tokens(20_400), ct);
            await owner.ActivateSubnetAsync(RuntimeAccounts.Alith, subnetId, ct);

            for (int e = 0; e < 2; e++)
            {
                ChainClock now = await owner.GetClockAsync(subnetId, ct);
                ulong target = (now.Block / 20 + 1) * 20 + now.SubnetSlot!.Value;
                await chain.NewBlocksAsync((int)(target - now.Block), ct);
                uint epoch = ChainClock.SubnetEpochAt(target, 20, now.SubnetSlot);
                var sw = Stopwatch.StartNew();
                ConsensusSubmission? submission = null;
                while (sw.Elapsed < TimeSpan.FromMinutes(2))
                {
                    submission = await owner.GetConsensusSubmissionAsync(subnetId, epoch, ct);
                    if (submission is not null && nodeIds.All(submission.IsAttestedBy))
                    {
                        break;
                    }
                    Assert.All(nodes, n => Assert.False(n.HasExited, $"{n.Name} exited:\n{n.Log}"));
                    await Task.Delay(250, ct);
                }
                uint? elected = await owner.GetElectedValidatorAsync(subnetId, epoch, ct);
                output.WriteLine($"epoch {epoch}: elected {elected}; submission {(submission is null ? "none" : $"scores [{string.Join(",", submission.Data.Select(d => d.SubnetNodeId))}], attested by [{string.Join(",", submission.Attests.Select(a => a.SubnetNodeId))}]")} after {sw.Elapsed.TotalSeconds:0.0} s");
                Assert.NotNull(submission);
                Assert.Equal(elected, submission.ValidatorId);
                Assert.Equal(nodeIds.Order(), submission.Data.Select(d => d.SubnetNodeId));
                Assert.All(nodeIds, id => Assert.True(submission.IsAttestedBy(id), $"node {id} did not attest epoch {epoch}"));
            }
            for (int i = nodes.Count - 1; i >= 0; i--)
            {
                int exit = await nodes[i].StopAsync(TimeSpan.FromSeconds(30));
                Assert.True(exit == 0, $"{nodes[i].Name} exited {exit}:\n{nodes[i].Log}");
            }
        }
        finally
        {
            foreach (MeshProcess n in nodes)
            {
                output.WriteLine($"----- {n.Name}\n{(n.Log.Length > 5000 ? n.Log[^5000..] : n.Log)}");
                await n.DisposeAsync();
            }
        }
    }
}
