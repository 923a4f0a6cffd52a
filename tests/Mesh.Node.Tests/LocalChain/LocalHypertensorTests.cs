// The local chain answers synchronously (SQLite on this thread): a test cancellation token has nothing to interrupt.
#pragma warning disable xUnit1051

using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Mesh.Node.LocalChain;
using Mesh.Node.Tests.Cli;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Node.Tests.LocalChain;

/// <summary>
/// The embedded local chain: its clock, the registry with the pallet's checks and error names, classes, the rotating
/// election, consensus writes, proof of stake, persistence across reopen, reset, and several "processes" (separate
/// <see cref="LocalHypertensor"/> instances on one file) writing concurrently.
/// </summary>
public sealed class LocalHypertensorTests : IDisposable
{
    private static readonly UInt128 s_tensor = Tensor.One;
    private readonly CliRun.TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static EthereumKeyPair Key(int i) => EthereumKeyPair.FromMnemonic("bottom drive obey lake curtain smoke basket hold race lonely fit walk", "", $"m/44'/60'/0'/0/{i}");

    private LocalHypertensor Open(bool reset = false, EthereumKeyPair? signer = null, string name = "chain.db") =>
        LocalHypertensor.Open(new LocalChainOptions
        {
            DatabasePath = _dir.File(name),
            BlockTime = TimeSpan.FromSeconds(1),
            EpochLength = 20,
            Reset = reset,
            Signer = signer,
            TimeProvider = _time,
        });

    private static string Peer() => PrivateKey.Generate(KeyType.Ed25519).PeerId.ToString();

    private void AdvanceBlocks(int blocks) => _time.Advance(TimeSpan.FromSeconds(blocks));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Clock_counts_wall_clock_blocks_from_genesis_and_subnet_epochs_from_the_slot()
    {
        LocalHypertensor chain = Open();
        Assert.True(chain.Created);
        Assert.Equal(0ul, chain.CurrentBlock);
        AdvanceBlocks(45);
        SubnetInfo subnet = chain.EnsureSubnet(1, Key(0).Address);
        Assert.Equal(LocalHypertensor.FirstSlot, subnet.Slot);
        ChainClock clock = await chain.GetClockAsync(1);
        Assert.Equal(45ul, clock.Block);
        Assert.Equal(2ul, clock.Epoch);
        Assert.Equal(2u, clock.SubnetEpoch); // (45 - 3) / 20
        Assert.Equal(2.0 / 20, clock.SubnetEpochProgress, 9);
        Assert.Equal(TimeSpan.FromSeconds(5), chain.TimeUntilBlock(50));
        Assert.Equal(0u, (await chain.GetClockAsync(99)).SubnetEpoch); // no such subnet, no slot
    }

    [Fact]
    public async Task State_persists_across_reopen_and_reset_starts_a_new_chain()
    {
        LocalHypertensor first = Open();
        first.EnsureSubnet(1, Key(0).Address);
        string peer = Peer();
        first.RegisterLocalNode(1, 7, PeerId.Parse(peer), Key(3).Address);

        // The block time of the file wins over a reopening process's options.
        LocalHypertensor again = LocalHypertensor.Open(new LocalChainOptions
        {
            DatabasePath = _dir.File("chain.db"), BlockTime = TimeSpan.FromSeconds(9), TimeProvider = _time,
        });
        Assert.False(again.Created);
        Assert.Equal(TimeSpan.FromSeconds(1), again.BlockTime);
        Assert.Equal(first.GenesisUnixMilliseconds, again.GenesisUnixMilliseconds);
        SubnetNode? node = await again.GetSubnetNodeAsync(1, 7);
        Assert.NotNull(node);
        Assert.Equal(peer, node.PeerId);

        LocalHypertensor reset = Open(reset: true);
        Assert.True(reset.Created);
        Assert.Null(await reset.GetSubnetAsync(1));
        Assert.Empty(await reset.GetSubnetNodesAsync(1));
    }

    [Fact]
    public async Task Register_subnet_and_nodes_with_the_pallets_checks_then_activate()
    {
        LocalHypertensor chain = Open();
        EthereumKeyPair alith = Key(0), baltathar = Key(1), charleth = Key(2);
        var registration = new SubnetRegistration("subnet-1", "github.com/subnet-1", "ai", "cool", 100 * s_tensor, 1000 * s_tensor, s_tensor / 10,
            new Dictionary<AccountId20, uint> { [alith.Address] = 1, [baltathar.Address] = 1, [charleth.Address] = 1 }, [SubnetKeyType.Rsa], ["test_bootnode"]);
        uint subnetId = await chain.RegisterSubnetAsync(alith, registration, 100 * s_tensor);
        Assert.Equal(1u, subnetId);
        SubnetInfo subnet = (await chain.GetSubnetAsync(subnetId))!;
        Assert.Equal(SubnetState.Registered, subnet.State);
        Assert.Equal(uint.MaxValue, subnet.StartEpoch);
        Assert.Equal(alith.Address, subnet.Owner);

        Assert.Equal("SubnetNameExist", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.RegisterSubnetAsync(alith, registration, 0))).Error);
        Assert.Equal("BootnodesEmpty", (await Assert.ThrowsAsync<ExtrinsicFailedException>(
            () => chain.RegisterSubnetAsync(alith, registration with { Name = "x", Repo = "y", Bootnodes = [] }, 0))).Error);
        Assert.Equal("InvalidSubnetRegistrationInitialColdkeys", (await Assert.ThrowsAsync<ExtrinsicFailedException>(
            () => chain.RegisterSubnetAsync(alith, registration with { Name = "x", Repo = "y", InitialColdkeys = new Dictionary<AccountId20, uint> { [alith.Address] = 1 } }, 0))).Error);
        Assert.Equal("InvalidSubnetMinStake", (await Assert.ThrowsAsync<ExtrinsicFailedException>(
            () => chain.RegisterSubnetAsync(alith, registration with { Name = "x", Repo = "y", MinStake = s_tensor }, 0))).Error);

        // Only whitelisted coldkeys register while the subnet is Registered.
        string[] p = [Peer(), Peer(), Peer()];
        var node = new SubnetNodeRegistration(subnetId, Key(3).Address, p[0], p[1], p[2], 100 * s_tensor, 100 * s_tensor);
        Assert.Equal("ColdkeyRegistrationWhitelist", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.RegisterSubnetNodeAsync(Key(9), node))).Error);
        Assert.Equal("MinStakeNotReached", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.RegisterSubnetNodeAsync(alith, node with { Stake = s_tensor }))).Error);
        Assert.Equal("InvalidPeerId", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.RegisterSubnetNodeAsync(alith, node with { PeerId = "not-a-peer-id" }))).Error);
        Assert.Equal("PeerIdsMustBeUnique", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.RegisterSubnetNodeAsync(alith, node with { ClientPeerId = p[0] }))).Error);
        Assert.Equal("ColdkeyMatchesHotkey", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.RegisterSubnetNodeAsync(alith, node with { Hotkey = alith.Address }))).Error);
        uint n1 = await chain.RegisterSubnetNodeAsync(alith, node);
        Assert.Equal(1u, n1);
        Assert.Equal("PeerIdExist", (await Assert.ThrowsAsync<ExtrinsicFailedException>(
            () => chain.RegisterSubnetNodeAsync(baltathar, node with { Hotkey = Key(4).Address, BootnodePeerId = Peer(), ClientPeerId = Peer() }))).Error);
        Assert.Equal("HotkeyHasOwner", (await Assert.ThrowsAsync<ExtrinsicFailedException>(
            () => chain.RegisterSubnetNodeAsync(baltathar, node with { PeerId = Peer(), BootnodePeerId = Peer(), ClientPeerId = Peer() }))).Error);
        Assert.Equal("NotSubnetOwner", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.ActivateSubnetAsync(baltathar, subnetId))).Error);
        Assert.Equal("SubnetActivationConditionsNotMetYet", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.ActivateSubnetAsync(alith, subnetId))).Error);
        uint n2 = await chain.RegisterSubnetNodeAsync(baltathar, new SubnetNodeRegistration(subnetId, Key(4).Address, Peer(), Peer(), Peer(), 100 * s_tensor, 0));
        uint n3 = await chain.RegisterSubnetNodeAsync(charleth, new SubnetNodeRegistration(subnetId, Key(5).Address, Peer(), Peer(), Peer(), 150 * s_tensor, 0));
        Assert.Equal([1u, 2u, 3u], [n1, n2, n3]);
        Assert.Equal(150 * s_tensor, await chain.GetStakeAsync(subnetId, Key(5).Address));
        Assert.Equal(n3, await chain.GetSubnetNodeIdAsync(subnetId, Key(5).Address));

        AdvanceBlocks(30);
        await chain.ActivateSubnetAsync(alith, subnetId);
        subnet = (await chain.GetSubnetAsync(subnetId))!;
        Assert.Equal(SubnetState.Active, subnet.State);
        ChainClock clock = await chain.GetClockAsync(subnetId);
        Assert.Equal(clock.SubnetEpoch + 1, subnet.StartEpoch);
        Assert.Equal("SubnetActivatedAlready", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.ActivateSubnetAsync(alith, subnetId))).Error);

        // Nodes registered before activation are Validators at once; a node joining the active subnet queues.
        Assert.All(await chain.GetSubnetNodesAsync(subnetId), n => Assert.Equal(NodeClass.Validator, n.Class));
        uint late = await chain.RegisterSubnetNodeAsync(Key(10), new SubnetNodeRegistration(subnetId, Key(11).Address, Peer(), Peer(), Peer(), 100 * s_tensor, 0));
        uint e0 = (await chain.GetClockAsync(subnetId)).SubnetEpoch;
        Assert.Equal(NodeClass.Registered, (await chain.GetSubnetNodeAsync(subnetId, late))!.Class);
        AdvanceBlocks(20);
        SubnetNode idle = (await chain.GetSubnetNodeAsync(subnetId, late))!;
        Assert.Equal((NodeClass.Idle, e0 + 1), (idle.Class, idle.StartEpoch));
        AdvanceBlocks(20);
        Assert.Equal(NodeClass.Included, (await chain.GetSubnetNodeAsync(subnetId, late))!.Class);
        AdvanceBlocks(20);
        Assert.Equal(NodeClass.Validator, (await chain.GetSubnetNodeAsync(subnetId, late))!.Class);
    }

    [Fact]
    public async Task Stake_add_and_remove_with_ownership_and_minimum_checks()
    {
        LocalHypertensor chain = Open();
        (uint subnetId, EthereumKeyPair[] cold, EthereumKeyPair[] hot, uint[] ids, _) = await RegisterActiveSubnetAsync(chain);
        await chain.AddStakeAsync(cold[0], subnetId, ids[0], hot[0].Address, 50 * s_tensor);
        Assert.Equal(150 * s_tensor, await chain.GetStakeAsync(subnetId, hot[0].Address));
        Assert.Equal("NotKeyOwner", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.AddStakeAsync(cold[1], subnetId, ids[0], hot[0].Address, s_tensor))).Error);
        Assert.Equal("AmountZero", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.AddStakeAsync(cold[0], subnetId, ids[0], hot[0].Address, 0))).Error);
        Assert.Equal("MaxStakeReached", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.AddStakeAsync(cold[0], subnetId, ids[0], hot[0].Address, 10_000 * s_tensor))).Error);
        await chain.RemoveStakeAsync(cold[0], subnetId, hot[0].Address, 50 * s_tensor);
        Assert.Equal(100 * s_tensor, await chain.GetStakeAsync(subnetId, hot[0].Address));
        Assert.Equal("MinStakeNotReached", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.RemoveStakeAsync(cold[0], subnetId, hot[0].Address, s_tensor))).Error);
        Assert.Equal("NotEnoughStakeToWithdraw", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.RemoveStakeAsync(cold[0], subnetId, hot[0].Address, 1000 * s_tensor))).Error);
        Assert.Equal("NotKeyOwner", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.RemoveSubnetNodeAsync(cold[1], subnetId, ids[0]))).Error);
        await chain.RemoveSubnetNodeAsync(cold[0], subnetId, ids[0]);
        Assert.Null(await chain.GetSubnetNodeAsync(subnetId, ids[0]));
        await chain.RemoveStakeAsync(cold[0], subnetId, hot[0].Address, 100 * s_tensor);
        Assert.Equal(UInt128.Zero, await chain.GetStakeAsync(subnetId, hot[0].Address));
    }

    [Fact]
    public async Task Proof_of_stake_follows_the_runtime_rule()
    {
        LocalHypertensor chain = Open();
        (uint subnetId, EthereumKeyPair[] cold, EthereumKeyPair[] hot, uint[] ids, string[][] peers) = await RegisterActiveSubnetAsync(chain);
        foreach (string peer in peers[0])
        {
            Assert.True(await chain.ProofOfStakeAsync(subnetId, peer, NodeClass.Validator)); // main, bootnode and client ids
        }
        Assert.False(await chain.ProofOfStakeAsync(subnetId, Peer(), NodeClass.Registered));
        Assert.False(await chain.ProofOfStakeAsync(subnetId + 1, peers[0][0], NodeClass.Registered));
        Assert.False(await chain.ProofOfStakeAsync(subnetId, "", NodeClass.Registered));

        // A queued node passes for Registered at once and for Validator only once it is one.
        string[] late = [Peer(), Peer(), Peer()];
        await chain.RegisterSubnetNodeAsync(Key(10), new SubnetNodeRegistration(subnetId, Key(11).Address, late[0], late[1], late[2], 100 * s_tensor, 0));
        Assert.True(await chain.ProofOfStakeAsync(subnetId, late[0], NodeClass.Registered));
        Assert.False(await chain.ProofOfStakeAsync(subnetId, late[0], NodeClass.Idle));
        Assert.False(await chain.ProofOfStakeAsync(subnetId, late[0], NodeClass.Validator));

        // A removed node loses it.
        await chain.RemoveSubnetNodeAsync(cold[1], subnetId, ids[1]);
        Assert.False(await chain.ProofOfStakeAsync(subnetId, peers[1][0], NodeClass.Registered));
        _ = hot;
    }

    [Fact]
    public async Task Election_rotates_among_eligible_validators_and_is_stored_once()
    {
        LocalHypertensor chain = Open();
        (uint subnetId, _, _, uint[] ids, _) = await RegisterActiveSubnetAsync(chain);
        var seen = new List<uint>();
        for (int i = 0; i < 6; i++)
        {
            uint epoch = (await chain.GetClockAsync(subnetId)).SubnetEpoch;
            Assert.Null(await chain.GetElectedValidatorAsync(subnetId, epoch + 1)); // not yet
            uint? elected = await chain.GetElectedValidatorAsync(subnetId, epoch);
            Assert.NotNull(elected);
            Assert.Equal(ids[(int)(epoch % 3)], elected);
            // Another process on the same file reads the same stored election.
            Assert.Equal(elected, await Open().GetElectedValidatorAsync(subnetId, epoch));
            seen.Add(elected.Value);
            AdvanceBlocks(20);
        }
        Assert.Equal(ids.Order(), seen.Distinct().Order());
        // A past epoch that was never asked about stays without a validator (like an empty SubnetElectedValidator).
        uint now = (await chain.GetClockAsync(subnetId)).SubnetEpoch;
        AdvanceBlocks(40);
        Assert.Null(await chain.GetElectedValidatorAsync(subnetId, now));
    }

    [Fact]
    public async Task Propose_and_attest_with_the_pallets_rules()
    {
        LocalHypertensor chain = Open();
        (uint subnetId, _, EthereumKeyPair[] hot, uint[] ids, _) = await RegisterActiveSubnetAsync(chain);
        uint epoch = (await chain.GetClockAsync(subnetId)).SubnetEpoch;
        uint elected = (await chain.GetElectedValidatorAsync(subnetId, epoch))!.Value;
        int v = Array.IndexOf(ids, elected);
        LocalHypertensor validator = chain.WithSigner(hot[v]);
        LocalHypertensor other = chain.WithSigner(hot[(v + 1) % 3]);
        LocalHypertensor third = chain.WithSigner(hot[(v + 2) % 3]);
        ConsensusScore[] scores = [.. ids.Select(id => new ConsensusScore(id, s_tensor))];

        Assert.Equal("InvalidSubnetConsensusSubmission", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => other.AttestAsync(subnetId))).Error);
        Assert.Equal("InvalidValidator", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => other.ProposeAttestationAsync(subnetId, scores))).Error);
        Assert.Equal("InvalidHotkeySubnetNodeId", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => chain.WithSigner(Key(20)).ProposeAttestationAsync(subnetId, scores))).Error);
        AdvanceBlocks(2);
        ChainTransaction tx = await validator.ProposeAttestationAsync(subnetId, scores);
        Assert.StartsWith("0x", tx.TransactionHash);
        Assert.Equal("SubnetRewardsAlreadySubmitted", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => validator.ProposeAttestationAsync(subnetId, scores))).Error);
        AdvanceBlocks(1);
        await other.AttestAsync(subnetId, [1, 2]);
        Assert.Equal("AlreadyAttested", (await Assert.ThrowsAsync<ExtrinsicFailedException>(() => other.AttestAsync(subnetId))).Error);

        ConsensusSubmission submission = (await third.GetConsensusSubmissionAsync(subnetId, epoch))!;
        Assert.Equal(elected, submission.ValidatorId);
        Assert.Equal(scores, submission.Data);
        Assert.Equal(ids.Order(), submission.SubnetNodeIds);
        Assert.True(submission.IsAttestedBy(elected)); // the validator's own attestation
        Assert.True(submission.IsAttestedBy(ids[(v + 1) % 3]));
        Assert.False(submission.IsAttestedBy(ids[(v + 2) % 3]));
        Assert.Equal([1, 2], submission.Attests.Single(a => a.SubnetNodeId == ids[(v + 1) % 3]).Data);
        Assert.Null(submission.PrioritizeQueueNodeId);

        // The next epoch has no submission until its validator proposes; an empty proposal is allowed.
        AdvanceBlocks(20);
        uint next = (await chain.GetClockAsync(subnetId)).SubnetEpoch;
        Assert.Null(await chain.GetConsensusSubmissionAsync(subnetId, next));
        uint nextValidator = (await chain.GetElectedValidatorAsync(subnetId, next))!.Value;
        await chain.WithSigner(hot[Array.IndexOf(ids, nextValidator)]).ProposeAttestationAsync(subnetId, []);
        Assert.Empty((await chain.GetConsensusSubmissionAsync(subnetId, next))!.Data);
    }

    [Fact]
    public async Task Local_node_self_registration_reuses_takes_over_and_refuses_as_documented()
    {
        LocalHypertensor chain = Open();
        chain.EnsureSubnet(1, Key(0).Address);
        PeerId a = PrivateKey.Generate(KeyType.Ed25519).PeerId, b = PrivateKey.Generate(KeyType.Ed25519).PeerId;
        LocalNodeRegistration first = chain.RegisterLocalNode(1, null, a, Key(1).Address);
        Assert.Equal((1u, true, (string?)null), (first.SubnetNodeId, first.Created, first.PreviousPeerId));
        Assert.Equal(1u, chain.RegisterLocalNode(1, null, a, Key(1).Address).SubnetNodeId); // same peer: same node
        Assert.Equal("PeerIdExist", Assert.Throws<ExtrinsicFailedException>(() => chain.RegisterLocalNode(1, 5, a, Key(1).Address)).Error);
        LocalNodeRegistration taken = chain.RegisterLocalNode(1, 1, b, Key(2).Address);
        Assert.Equal(a.ToString(), taken.PreviousPeerId);
        Assert.Equal(b.ToString(), (await chain.GetSubnetNodeAsync(1, 1))!.PeerId);
        Assert.Equal(2u, chain.RegisterLocalNode(1, null, a, Key(1).Address).SubnetNodeId);
        Assert.Equal("HotkeyHasOwner", Assert.Throws<ExtrinsicFailedException>(
            () => chain.RegisterLocalNode(1, null, PrivateKey.Generate(KeyType.Ed25519).PeerId, Key(1).Address)).Error);
        Assert.True(await chain.ProofOfStakeAsync(1, a.ToString(), NodeClass.Validator));
        Assert.Equal(SubnetState.Active, (await chain.GetSubnetAsync(1))!.State);
    }

    [Fact]
    public async Task Separate_instances_on_one_file_register_concurrently_without_losing_writes()
    {
        Open().EnsureSubnet(1, Key(0).Address);
        const int processes = 4, perProcess = 5;
        Task[] writers = [.. Enumerable.Range(0, processes).Select(p => Task.Run(() =>
        {
            LocalHypertensor mine = Open();
            for (int i = 0; i < perProcess; i++)
            {
                mine.RegisterLocalNode(1, null, PrivateKey.Generate(KeyType.Ed25519).PeerId, Key(100 + p * perProcess + i).Address);
            }
        }, TestContext.Current.CancellationToken))];
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        IReadOnlyList<SubnetNode> nodes = await Open().GetSubnetNodesAsync(1);
        Assert.Equal(processes * perProcess, nodes.Count);
        Assert.Equal(Enumerable.Range(1, processes * perProcess).Select(i => (uint)i), nodes.Select(n => n.Id));
    }

    [Fact]
    public void A_database_of_another_schema_or_a_missing_directory_is_a_readable_error()
    {
        Assert.Throws<DirectoryNotFoundException>(() => LocalHypertensor.Open(new LocalChainOptions { DatabasePath = _dir.File("no/such/dir/chain.db") }));
        File.WriteAllText(_dir.File("garbage.db"), "this is not a database at all, just text that is long enough to have a header");
        LocalChainException ex = Assert.Throws<LocalChainException>(() => Open(name: "garbage.db"));
        Assert.Contains("garbage.db", ex.Message);
    }

    /// <summary>Subnet 1 with three staked Validator nodes, activated; the clock at the start of an active epoch.</summary>
    private async Task<(uint SubnetId, EthereumKeyPair[] Cold, EthereumKeyPair[] Hot, uint[] Ids, string[][] Peers)> RegisterActiveSubnetAsync(LocalHypertensor chain)
    {
        EthereumKeyPair[] cold = [Key(0), Key(1), Key(2)];
        EthereumKeyPair[] hot = [Key(3), Key(4), Key(5)];
        uint subnetId = await chain.RegisterSubnetAsync(cold[0], new SubnetRegistration("s", "r", "d", "", 100 * s_tensor, 1000 * s_tensor, s_tensor / 10,
            cold.ToDictionary(k => k.Address, _ => 1u), [SubnetKeyType.Ed25519], ["/ip4/127.0.0.1/tcp/1"]), 0);
        var peers = new string[3][];
        var ids = new uint[3];
        for (int i = 0; i < 3; i++)
        {
            peers[i] = [Peer(), Peer(), Peer()];
            ids[i] = await chain.RegisterSubnetNodeAsync(cold[i], new SubnetNodeRegistration(subnetId, hot[i].Address, peers[i][0], peers[i][1], peers[i][2], 100 * s_tensor, 0));
        }
        await chain.ActivateSubnetAsync(cold[0], subnetId);
        // Move to the first block of the subnet's first active epoch.
        ChainClock clock = await chain.GetClockAsync(subnetId);
        SubnetInfo subnet = (await chain.GetSubnetAsync(subnetId))!;
        ulong target = subnet.StartEpoch * 20ul + subnet.Slot!.Value;
        AdvanceBlocks((int)(target - clock.Block));
        return (subnetId, cold, hot, ids, peers);
    }
}
