using System.Diagnostics;
using Mesh.Interop.Tests.Chain;
using Mesh.Kademlia.Validation;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Consensus;
using Mesh.Node.Subnet;
using Mesh.Node.Tests.Subnet;
using Mesh.Transport.Identity;

namespace Mesh.Interop.Tests.Node;

/// <summary>
/// The consensus loop against the real Hypertensor runtime under chopsticks: three registered, staked nodes of a fresh
/// active subnet run <see cref="ConsensusLoop.RunAsync"/> with their own hotkeys (heartbeats in a shared in-memory DHT
/// with the real signature and predicate validators); the test moves the chain to two successive election slots with
/// <c>dev_newBlock</c> and checks that each epoch's elected validator (random on this runtime) proposed all three
/// nodes and both others attested, as recorded in <c>SubnetConsensusSubmission</c>.
/// </summary>
[Collection("chopsticks")]
public sealed class ConsensusOnRuntimeTests(ChopsticksFixture chain, ITestOutputHelper output)
{
    [Fact]
    public async Task Three_loops_propose_and_attest_two_epochs_on_the_runtime()
    {
        chain.Require();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(6));
        CancellationToken ct = cts.Token;
        SubstrateClient client = chain.Client;
        var owner = new HypertensorClient(client);
        UInt128 maxStake = (await client.GetStorageAsync("Network", "NetworkMaxStakeBalance", [], null, ct))!.AsU128();
        EthereumKeyPair[] coldkeys = [RuntimeAccounts.Alith, RuntimeAccounts.Baltathar, RuntimeAccounts.Charleth];
        EthereumKeyPair[] hotkeys = [RuntimeAccounts.FreshKey(), RuntimeAccounts.FreshKey(), RuntimeAccounts.FreshKey()];
        PrivateKey[] identities = [.. Enumerable.Range(0, 3).Select(_ => PrivateKey.Generate(KeyType.Ed25519))];
        foreach (EthereumKeyPair h in hotkeys)
        {
            await RuntimeAccounts.FundAsync(client, h.Address, RuntimeAccounts.Tokens(100), ct);
        }
        string name = "consensus-" + Guid.NewGuid().ToString("N")[..8];
        uint subnetId = await owner.RegisterSubnetAsync(RuntimeAccounts.Alith, new SubnetRegistration(name, "https://example.invalid/" + name, "consensus test", "",
            RuntimeAccounts.Tokens(100), maxStake, Tensor.One / 10, coldkeys.ToDictionary(k => k.Address, _ => 1u), [SubnetKeyType.Ed25519],
            ["/ip4/127.0.0.1/tcp/38962/p2p/" + identities[0].PeerId]), RuntimeAccounts.Tokens(1000), ct);
        var nodeIds = new uint[3];
        for (int i = 0; i < 3; i++)
        {
            nodeIds[i] = await owner.RegisterSubnetNodeAsync(coldkeys[i], new SubnetNodeRegistration(subnetId, hotkeys[i].Address, identities[i].PeerId.ToString(),
                PrivateKey.Generate(KeyType.Ed25519).PeerId.ToString(), PrivateKey.Generate(KeyType.Ed25519).PeerId.ToString(),
                RuntimeAccounts.Tokens(100), RuntimeAccounts.Tokens(1000)), ct);
        }
        await owner.AddToDelegateStakeAsync(RuntimeAccounts.Alith, subnetId, RuntimeAccounts.Tokens(20_400), ct);
        await owner.ActivateSubnetAsync(RuntimeAccounts.Alith, subnetId, ct);
        output.WriteLine($"subnet {subnetId}: nodes {string.Join(", ", nodeIds)}");

        // Heartbeats of all three nodes in one in-memory DHT with the real validators; the epoch clock is the loops'.
        var clock = new SubnetEpochClock();
        clock.Update(await owner.GetClockAsync(subnetId, ct));
        var dht = new InMemorySubnetDht(new CompositeValidator([new SignatureValidator(PrivateKey.Generate(KeyType.Ed25519)),
            new PredicateValidator(new SubnetRecordPredicate(clock))]), TimeProvider.System);
        var rounds = new List<ConsensusRoundResult>();
        var loops = new ConsensusLoop[3];
        for (int i = 0; i < 3; i++)
        {
            ISubnetDht view = dht.For(identities[i]);
            Assert.True(await new HeartbeatService(view, identities[i].PublicKey, new HeartbeatOptions { UpdatePeriod = TimeSpan.FromSeconds(600) })
                .PublishAsync(ServerState.Online, ct));
            loops[i] = new ConsensusLoop(new HypertensorClient(client, hotkeys[i]), view,
                new ConsensusOptions { SubnetId = subnetId, SubnetNodeId = nodeIds[i], PollInterval = TimeSpan.FromMilliseconds(500) }, clock: clock);
            loops[i].RoundCompleted += r =>
            {
                lock (rounds)
                {
                    rounds.Add(r);
                }
            };
        }
        int RoundsReported()
        {
            lock (rounds)
            {
                return rounds.Count(r => r.Outcome == "attested");
            }
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task[] running = [.. loops.Select(l => l.RunAsync(stop.Token))];
        try
        {
            uint? lastEpoch = null;
            for (int e = 0; e < 2; e++)
            {
                // To the subnet's next slot block, where emission_step elects the epoch's validator (RUNTIME.md §6).
                ChainClock now = await owner.GetClockAsync(subnetId, ct);
                ulong target = (now.Block / 20 + 1) * 20 + now.SubnetSlot!.Value;
                await chain.NewBlocksAsync((int)(target - now.Block), ct);
                uint epoch = ChainClock.SubnetEpochAt(target, 20, now.SubnetSlot);
                Assert.NotEqual(lastEpoch, epoch);
                lastEpoch = epoch;
                var sw = Stopwatch.StartNew();
                ConsensusSubmission? submission = null;
                while (sw.Elapsed < TimeSpan.FromMinutes(2))
                {
                    submission = await owner.GetConsensusSubmissionAsync(subnetId, epoch, ct);
                    if (submission is not null && nodeIds.All(submission.IsAttestedBy))
                    {
                        break;
                    }
                    await Task.Delay(250, ct);
                }
                uint? elected = await owner.GetElectedValidatorAsync(subnetId, epoch, ct);
                output.WriteLine($"epoch {epoch}: elected {elected}, submission {(submission is null ? "none" : string.Join(",", submission.Attests.Select(a => a.SubnetNodeId)))} after {sw.Elapsed.TotalSeconds:0.0} s");
                Assert.NotNull(submission);
                Assert.Equal(elected, submission.ValidatorId);
                Assert.Equal(nodeIds.Order(), submission.Data.Select(d => d.SubnetNodeId));
                Assert.All(submission.Data, d => Assert.Equal(Tensor.One, d.Score));
                Assert.All(nodeIds, id => Assert.True(submission.IsAttestedBy(id), $"node {id} did not attest epoch {epoch}"));
            }
            // The chain holds an attestation before the loop that sent it has seen the extrinsic's inclusion and
            // reported its round: give the last reports a bounded while to arrive before stopping the loops.
            var reported = Stopwatch.StartNew();
            while (reported.Elapsed < TimeSpan.FromSeconds(30) && RoundsReported() < 4)
            {
                await Task.Delay(100, ct);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        }
        lock (rounds)
        {
            Assert.Contains(rounds, r => r.Outcome == "proposed");
            Assert.True(rounds.Count(r => r.Outcome == "attested") >= 4, string.Join("; ", rounds));
        }
    }
}
