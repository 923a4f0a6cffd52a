using System.Diagnostics;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;

namespace Mesh.Interop.Tests.Chain;

/// <summary>
/// The subnet lifecycle on the real runtime under chopsticks, as Alith (sudo, owner) and the other genesis accounts
/// (RUNTIME.md §7): register a subnet, register three staked nodes, delegate-stake and activate it, move to the next
/// election, propose an attestation as the elected validator's hotkey, attest as another node, and read the
/// submission back; plus stake, peer-id and bootnode updates, proof of stake (storage rule vs the runtime API), and a
/// node removal. One test, because every step needs the state the previous one left.
/// </summary>
[Collection("chopsticks")]
public sealed class HypertensorLifecycleTests(ChopsticksFixture chain, ITestOutputHelper output)
{
    private const string DevMnemonic = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
    private static readonly UInt128 s_tensor = UInt128.Parse("1000000000000000000");

    private static EthereumKeyPair Dev(int index) => EthereumKeyPair.FromMnemonic(DevMnemonic, "", $"m/44'/60'/0'/0/{index}");

    [Fact]
    public async Task Subnet_lifecycle_register_stake_activate_elect_propose_attest()
    {
        chain.Require();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(5)); // a hang guard; the run takes ≈ 1–2 min
        CancellationToken ct = cts.Token;
        var total = Stopwatch.StartNew();
        var step = Stopwatch.StartNew();
        void Mark(string what)
        {
            output.WriteLine($"{what}: {step.Elapsed.TotalSeconds:0.00} s");
            step.Restart();
        }

        // Coldkeys: Alith, Baltathar, Charleth; hotkeys: Dorothy, Ethan, Faith (all genesis-funded dev accounts).
        EthereumKeyPair alith = Dev(0), baltathar = Dev(1), charleth = Dev(2);
        EthereumKeyPair[] coldkeys = [alith, baltathar, charleth];
        EthereumKeyPair[] hotkeys = [Dev(3), Dev(4), Dev(5)];
        Assert.Equal("0xf24FF3a9CF04c71Dbc94D0b566f7A27B94566cac", alith.Address.ToString());
        SubstrateClient client = chain.Client;
        foreach (EthereumKeyPair k in hotkeys)
        {
            Assert.True(await client.FreeBalanceAsync(k.Address, ct) > 1000 * s_tensor, $"{k.Address} is not funded at genesis");
        }
        var owner = new HypertensorClient(client);
        Assert.Equal(20u, owner.EpochLength);

        // 1. register_subnet (RUNTIME.md §7 recipe).
        UInt128 maxStake = (await client.GetStorageAsync("Network", "NetworkMaxStakeBalance"))!.AsU128();
        string name = "meshcore-" + Guid.NewGuid().ToString("N")[..8];
        uint subnetId = await owner.RegisterSubnetAsync(alith, new SubnetRegistration(
            name, "https://example.invalid/" + name, "MeshCore integration test subnet", "",
            MinStake: 100 * s_tensor, MaxStake: maxStake, DelegateStakePercentage: s_tensor / 10,
            InitialColdkeys: coldkeys.ToDictionary(k => k.Address, _ => 1u),
            KeyTypes: [SubnetKeyType.Ed25519],
            Bootnodes: ["/ip4/127.0.0.1/tcp/38960/p2p/12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h"]),
            maxCost: 1000 * s_tensor, ct);
        Mark("register_subnet");
        SubnetInfo? subnet = await owner.GetSubnetAsync(subnetId, ct);
        Assert.NotNull(subnet);
        Assert.Equal(name, subnet.Name);
        Assert.Equal(SubnetState.Registered, subnet.State);
        Assert.Equal(alith.Address, subnet.Owner);
        Assert.NotNull(subnet.Slot);
        Assert.Equal(100 * s_tensor, subnet.MinStake);

        // 2. Three nodes, each staked with the subnet minimum.
        string[][] peers =
        [
            ["12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h", "12D3KooWEkevMFNjRRqyzbkSgujbrnSrExG9D2YERipcUaJMRsFk", "12D3KooWM9Qtjr4JiW6CcxGUT8a184N84NpG81pwqHcGzS9K6mRb"],
            ["12D3KooWBqeyNGc1uSqPcNgrmGY3Ej4WjpqKdxP2MyYzTzaEoyKG", "12D3KooWC3XrgU5AXrJg5m7Wbk2x9k4wVBxuemTyU8YxfB2dFYvB", "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"],
            ["12D3KooWHdiAxVd8uMQR1hGWXccidmfCwLqcMpGwR6QcTP6QRMuD", "12D3KooWJjCZGmX7rQeAcFqnPUUu8JEmcx9C4XRPjMxqTnsU2pyE", "12D3KooWLnZUpcaBwbz9uD1XsyyHnbXUrJRmxnsMiRnuCmvPix5d"],
        ];
        var nodeIds = new uint[3];
        for (int i = 0; i < 3; i++)
        {
            nodeIds[i] = await owner.RegisterSubnetNodeAsync(coldkeys[i], new SubnetNodeRegistration(
                subnetId, hotkeys[i].Address, peers[i][0], peers[i][1], peers[i][2],
                Stake: 100 * s_tensor, MaxBurnAmount: 1000 * s_tensor), ct);
        }
        Mark("register_subnet_node x3");
        IReadOnlyList<SubnetNode> nodes = await owner.GetSubnetNodesAsync(subnetId, ct);
        Assert.Equal(nodeIds.Order(), nodes.Select(n => n.Id));
        for (int i = 0; i < 3; i++)
        {
            SubnetNode n = nodes.Single(x => x.Id == nodeIds[i]);
            Assert.Equal(hotkeys[i].Address, n.Hotkey);
            Assert.Equal(peers[i], new[] { n.PeerId, n.BootnodePeerId, n.ClientPeerId });
            Assert.Equal(NodeClass.Validator, n.Class);
            Assert.Equal(100 * s_tensor, await owner.GetStakeAsync(subnetId, hotkeys[i].Address, ct));
            Assert.Equal(nodeIds[i], await owner.GetSubnetNodeIdAsync(subnetId, hotkeys[i].Address, ct));
        }

        // 3. Delegate stake to meet the activation threshold, then activate.
        await owner.AddToDelegateStakeAsync(alith, subnetId, 20_400 * s_tensor, ct);
        await owner.ActivateSubnetAsync(alith, subnetId, ct);
        Mark("delegate stake + activate_subnet");
        subnet = await owner.GetSubnetAsync(subnetId, ct);
        Assert.Equal(SubnetState.Active, subnet!.State);

        // 4. Stake, peer id and bootnode updates.
        await owner.AddStakeAsync(charleth, subnetId, nodeIds[2], hotkeys[2].Address, 10 * s_tensor, ct);
        Assert.Equal(110 * s_tensor, await owner.GetStakeAsync(subnetId, hotkeys[2].Address, ct));
        // An active node must stay staked for MinActiveNodeStakeEpochs (720) before removing any stake.
        ExtrinsicFailedException early = await Assert.ThrowsAsync<ExtrinsicFailedException>(
            () => owner.RemoveStakeAsync(charleth, subnetId, hotkeys[2].Address, 10 * s_tensor, ct));
        Assert.Equal("MinActiveNodeStakeEpochs", early.Error);
        Assert.Equal(110 * s_tensor, await owner.GetStakeAsync(subnetId, hotkeys[2].Address, ct));
        const string newPeer = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo";
        await owner.UpdatePeerIdAsync(charleth, subnetId, nodeIds[2], newPeer, ct);
        Assert.Equal(newPeer, (await owner.GetSubnetNodeAsync(subnetId, nodeIds[2], ct))!.PeerId);
        const string extraBootnode = "/ip4/127.0.0.1/tcp/38961/p2p/12D3KooWBqeyNGc1uSqPcNgrmGY3Ej4WjpqKdxP2MyYzTzaEoyKG";
        await owner.UpdateBootnodesAsync(alith, subnetId, [extraBootnode], [], ct);
        SubnetBootnodes bootnodes = await owner.GetBootnodesAsync(subnetId, ct);
        Assert.Contains(extraBootnode, bootnodes.Official);
        Assert.Equal(2, bootnodes.Official.Count);
        Mark("add_stake, remove_stake refused, update_peer_id, update_bootnodes");

        // 5. Proof of stake: the storage rule agrees with the runtime's own NetworkRuntimeApi_proof_of_stake.
        string[] candidates = [peers[0][0], peers[0][1], peers[0][2], newPeer, peers[2][0], "12D3KooWUnknownPeerUnknownPeerUnknownPeerUnknownPeer"];
        foreach (string peer in candidates)
        {
            foreach (NodeClass minClass in (NodeClass[])[NodeClass.Registered, NodeClass.Validator])
            {
                bool mine = await owner.ProofOfStakeAsync(subnetId, peer, minClass, ct);
                bool runtime = await owner.ProofOfStakeFromRuntimeApiAsync(subnetId, peer, minClass, ct);
                Assert.True(mine == runtime, $"proof_of_stake({peer}, {minClass}): storage rule {mine}, runtime API {runtime}");
            }
        }
        Assert.True(await owner.ProofOfStakeAsync(subnetId, peers[0][2], NodeClass.Validator, ct));
        Assert.False(await owner.ProofOfStakeAsync(subnetId, peers[2][0], NodeClass.Registered, ct)); // replaced by update_peer_id
        Assert.False(await owner.ProofOfStakeAsync(subnetId + 1000, peers[0][0], NodeClass.Registered, ct));
        var pos = new ProofOfStake(owner, subnetId, NodeClass.Validator, failureCooldown: TimeSpan.FromSeconds(20));
        Assert.True(await pos.IsStakedAsync(peers[1][0], ct));
        Assert.True(await pos.IsStakedAsync(peers[1][0], ct));
        Assert.False(await pos.IsStakedAsync("12D3KooWUnknownPeerUnknownPeerUnknownPeerUnknownPeer", ct));
        Assert.Equal(2, pos.ChainLookups);
        Mark("proof of stake (storage rule vs runtime API)");

        // 6. Move to the subnet's next slot block, where emission_step elects the next epoch's validator.
        ChainClock clock = await owner.GetClockAsync(subnetId, ct);
        uint slot = clock.SubnetSlot!.Value;
        ulong target = (clock.Block / 20 + 1) * 20 + slot;
        uint electedEpoch = ChainClock.SubnetEpochAt(target, 20, slot);
        await chain.NewBlocksAsync((int)(target - clock.Block), ct);
        Mark($"dev_newBlock {target - clock.Block} blocks (to block {target})");
        clock = await owner.GetClockAsync(subnetId, ct);
        Assert.Equal(target, clock.Block);
        Assert.Equal(electedEpoch, clock.SubnetEpoch);
        uint? elected = await owner.GetElectedValidatorAsync(subnetId, electedEpoch, ct);
        Assert.NotNull(elected);
        int v = Array.IndexOf(nodeIds, elected.Value);
        Assert.True(v >= 0, $"elected node {elected} is not one of ours");
        output.WriteLine($"subnet {subnetId}, slot {slot}, subnet epoch {electedEpoch}: elected node {elected}");

        // 7. Propose as the elected node's hotkey; attest as another node's hotkey; read the submission back.
        var validator = new HypertensorClient(client, hotkeys[v]);
        ConsensusScore[] scores = nodeIds.Select(id => new ConsensusScore(id, s_tensor)).ToArray();
        await validator.ProposeAttestationAsync(subnetId, scores, cancellationToken: ct);
        int a = (v + 1) % 3;
        var attestor = new HypertensorClient(client, hotkeys[a]);
        await attestor.AttestAsync(subnetId, null, ct);
        Mark("propose_attestation + attest");
        ConsensusSubmission? submission = await owner.GetConsensusSubmissionAsync(subnetId, electedEpoch, ct);
        Assert.NotNull(submission);
        Assert.Equal(elected.Value, submission.ValidatorId);
        Assert.Equal(scores, submission.Data);
        Assert.True(submission.IsAttestedBy(elected.Value));
        Assert.True(submission.IsAttestedBy(nodeIds[a]));
        Assert.Equal(3, submission.SubnetNodeIds.Count);

        // 8. A second proposal in the same epoch is refused by the pallet, with its error name.
        ExtrinsicFailedException again = await Assert.ThrowsAsync<ExtrinsicFailedException>(
            () => validator.ProposeAttestationAsync(subnetId, scores, cancellationToken: ct));
        Assert.Equal("Network", again.Pallet);
        Assert.Equal("SubnetRewardsAlreadySubmitted", again.Error);
        ExtrinsicFailedException twice = await Assert.ThrowsAsync<ExtrinsicFailedException>(() => attestor.AttestAsync(subnetId, null, ct));
        Assert.Equal("AlreadyAttested", twice.Error);

        // 9. Remove a node that is not the elected validator.
        int r = (v + 2) % 3;
        await owner.RemoveSubnetNodeAsync(coldkeys[r], subnetId, nodeIds[r], ct);
        Assert.Null(await owner.GetSubnetNodeAsync(subnetId, nodeIds[r], ct));
        Assert.DoesNotContain(nodeIds[r], (await owner.GetSubnetNodesAsync(subnetId, ct)).Select(n => n.Id));
        Assert.False(await owner.ProofOfStakeAsync(subnetId, peers[r][1], NodeClass.Registered, ct));
        // Once the node is gone its hotkey's whole stake can be removed (it moves to the unbonding ledger).
        UInt128 left = await owner.GetStakeAsync(subnetId, hotkeys[r].Address, ct);
        Assert.True(left >= 100 * s_tensor);
        await owner.RemoveStakeAsync(coldkeys[r], subnetId, hotkeys[r].Address, left, ct);
        Assert.Equal(UInt128.Zero, await owner.GetStakeAsync(subnetId, hotkeys[r].Address, ct));
        Mark("remove_subnet_node + remove_stake");
        output.WriteLine($"lifecycle total: {total.Elapsed.TotalSeconds:0.0} s (chopsticks started in {chain.StartupTime.TotalSeconds:0.0} s)");
    }
}
