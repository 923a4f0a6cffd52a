using Mesh.Kademlia.Validation;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Consensus;
using Mesh.Node.LocalChain;
using Mesh.Node.Subnet;
using Mesh.Node.Tests.Cli;
using Mesh.Node.Tests.Subnet;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Node.Tests.Consensus;

/// <summary>
/// Three nodes' consensus loops on one local chain and one in-memory DHT, driven epoch by epoch on a fake clock:
/// proposal by the elected validator, attestation by the others, rotation, a late validator, a mismatching proposal,
/// and a chain that fails for a while.
/// </summary>
public sealed class ConsensusLoopTests : IDisposable
{
    private static readonly UInt128 s_one = Tensor.One;
    private readonly CliRun.TempDirectory _dir = new();
    private static readonly TimeSpan s_poll = TimeSpan.FromSeconds(1);
    private readonly SleepTrackingClock _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly LocalHypertensor _chain;
    private readonly InMemorySubnetDht _dht;
    private readonly SubnetEpochClock _clock = new();
    private readonly PrivateKey[] _keys = [.. Enumerable.Range(0, 3).Select(_ => PrivateKey.Generate(KeyType.Ed25519))];
    private readonly EthereumKeyPair[] _hotkeys = [.. Enumerable.Range(0, 3).Select(i => EthereumKeyPair.FromMnemonic(
        "bottom drive obey lake curtain smoke basket hold race lonely fit walk", "", $"m/44'/60'/0'/0/{i + 3}"))];

    public ConsensusLoopTests()
    {
        _chain = LocalHypertensor.Open(new LocalChainOptions
        {
            DatabasePath = _dir.File("chain.db"), BlockTime = TimeSpan.FromSeconds(1), EpochLength = 20, TimeProvider = _time,
        });
        _chain.EnsureSubnet(1, _hotkeys[0].Address);
        for (int i = 0; i < 3; i++)
        {
            _chain.RegisterLocalNode(1, (uint)i + 1, _keys[i].PeerId, _hotkeys[i].Address);
        }
        _dht = new InMemorySubnetDht(new CompositeValidator([new SignatureValidator(PrivateKey.Generate(KeyType.Ed25519)),
            new PredicateValidator(new SubnetRecordPredicate(_clock, time: _time))]), _time);
        MoveToEpochStart(1);
    }

    public void Dispose() => _dir.Dispose();

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    private void MoveToEpochStart(uint epoch, uint blocksIn = 1)
    {
        ulong target = LocalHypertensor.FirstSlot + epoch * 20ul + blocksIn;
        ulong now = _chain.CurrentBlock;
        if (target > now)
        {
            _time.Advance(TimeSpan.FromSeconds(target - now));
        }
        _clock.Update(ChainClock.At(_chain.CurrentBlock, 20, LocalHypertensor.FirstSlot));
    }

    private ConsensusLoop Loop(int i, IHypertensorChain? chain = null) =>
        new(chain ?? _chain.WithSigner(_hotkeys[i]), _dht.For(_keys[i]), new ConsensusOptions { SubnetId = 1, SubnetNodeId = (uint)i + 1, PollInterval = s_poll },
            time: _time, clock: _clock);

    private async Task PublishHeartbeatsAsync(params int[] nodes)
    {
        foreach (int i in nodes)
        {
            var service = new HeartbeatService(_dht.For(_keys[i]), _keys[i].PublicKey, new HeartbeatOptions { UpdatePeriod = TimeSpan.FromSeconds(600) }, time: _time);
            Assert.True(await service.PublishAsync(ServerState.Online, Ct));
        }
    }

    private async Task<int> ElectedIndexAsync(uint epoch) => (int)(await _chain.GetElectedValidatorAsync(1, epoch, Ct))!.Value - 1;

    [Fact]
    public async Task Two_epochs_the_elected_validator_proposes_live_nodes_and_the_others_attest()
    {
        await PublishHeartbeatsAsync(0, 1, 2);
        ConsensusScore[] all = [new(1, s_one), new(2, s_one), new(3, s_one)];
        var validators = new List<int>();
        for (uint epoch = 1; epoch <= 2; epoch++)
        {
            MoveToEpochStart(epoch);
            int v = await ElectedIndexAsync(epoch);
            validators.Add(v);
            ConsensusRoundResult proposed = await Loop(v).RunRoundAsync(epoch, Ct);
            Assert.Equal(("validator", "proposed"), (proposed.Role, proposed.Outcome));
            Assert.Equal(all, proposed.Scores);
            foreach (int a in Enumerable.Range(0, 3).Where(i => i != v))
            {
                ConsensusRoundResult attested = await Loop(a).RunRoundAsync(epoch, Ct);
                Assert.Equal(("attestor", "attested", (uint?)(uint)(v + 1)), (attested.Role, attested.Outcome, attested.Validator));
            }
            ConsensusSubmission submission = (await _chain.GetConsensusSubmissionAsync(1, epoch, Ct))!;
            Assert.Equal((uint)v + 1, submission.ValidatorId);
            Assert.Equal(all, submission.Data);
            Assert.Equal([1u, 2u, 3u], submission.Attests.Select(x => x.SubnetNodeId).Order());
            // Running the round again changes nothing.
            Assert.Equal("already_done", (await Loop(v).RunRoundAsync(epoch, Ct)).Outcome);
            Assert.Equal("already_done", (await Loop((v + 1) % 3).RunRoundAsync(epoch, Ct)).Outcome);
        }
        Assert.NotEqual(validators[0], validators[1]); // the local chain rotates
    }

    [Fact]
    public async Task An_attestor_waits_for_the_proposal_and_attests_when_it_arrives()
    {
        await PublishHeartbeatsAsync(0, 1, 2);
        int v = await ElectedIndexAsync(1);
        int a = (v + 1) % 3;
        Task<ConsensusRoundResult> waiting = Loop(a).RunRoundAsync(1, Ct);
        // The attestor found no proposal and sleeps for a poll interval. (The clock used to be moved on blindly, 200 ms
        // per 10 ms of real time: an attestor that a loaded machine ran 200 ms late woke past the 25 % deadline and skipped.)
        Assert.Equal(s_poll, await _time.NextSleepAsync(Ct));
        Assert.False(waiting.IsCompleted);
        Assert.Equal("proposed", (await Loop(v).RunRoundAsync(1, Ct)).Outcome);
        _time.Advance(s_poll); // one poll later (block 2, 10 % of the epoch) it sees the proposal
        Assert.Equal("attested", (await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct)).Outcome);
    }

    [Fact]
    public async Task No_attestation_past_the_deadline_nor_for_scores_that_differ()
    {
        await PublishHeartbeatsAsync(0, 1, 2);
        int v = await ElectedIndexAsync(1);
        MoveToEpochStart(1, blocksIn: 6); // 30 % of the epoch, past the 25 % deadline
        Assert.Equal("skipped", (await Loop((v + 1) % 3).RunRoundAsync(1, Ct)).Outcome);

        // The validator proposes only itself: the others see three live nodes.
        await _chain.WithSigner(_hotkeys[v]).ProposeAttestationAsync(1, [new ConsensusScore((uint)v + 1, s_one)], cancellationToken: Ct);
        MoveToEpochStart(2);
        int v2 = await ElectedIndexAsync(2);
        await _chain.WithSigner(_hotkeys[v2]).ProposeAttestationAsync(1, [new ConsensusScore((uint)v2 + 1, s_one)], cancellationToken: Ct);
        ConsensusRoundResult result = await Loop((v2 + 1) % 3).RunRoundAsync(2, Ct);
        Assert.Equal("mismatch", result.Outcome);
        Assert.False((await _chain.GetConsensusSubmissionAsync(1, 2, Ct))!.IsAttestedBy((uint)((v2 + 1) % 3) + 1));
    }

    [Fact]
    public async Task Nobody_alive_means_an_empty_proposal_that_the_others_attest()
    {
        int v = await ElectedIndexAsync(1);
        Assert.Empty((await Loop(v).RunRoundAsync(1, Ct)).Scores);
        Assert.Equal("attested", (await Loop((v + 1) % 3).RunRoundAsync(1, Ct)).Outcome); // mesh-reference §10 item 4, fixed
    }

    [Fact]
    public async Task The_loop_survives_a_chain_that_fails_for_a_while_and_runs_its_rounds()
    {
        await PublishHeartbeatsAsync(0, 1, 2);
        int v = await ElectedIndexAsync(1);
        var flaky = new FlakyChain(_chain.WithSigner(_hotkeys[v]), failures: 3);
        ConsensusLoop loop = Loop(v, flaky);
        var rounds = new List<ConsensusRoundResult>();
        loop.RoundCompleted += r =>
        {
            lock (rounds)
            {
                rounds.Add(r);
            }
        };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = loop.RunAsync(cts.Token);
        // The clock moves only while the loop sleeps (poll, retry back-off), by exactly that sleep: however slowly a loaded
        // machine runs the loop, the clock cannot carry it past epoch 1, where it is the validator. (Moved on blindly, 500 ms
        // per 5 ms of real time, an epoch passed in about 200 ms of real time, and a slow first round could land in an
        // epoch where another node is elected.)
        for (int i = 0; i < 2000 && rounds.Count == 0; i++)
        {
            _time.Advance(await _time.NextSleepAsync(Ct));
        }
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(flaky.Failed >= 3);
        Assert.Equal("running", loop.Phase);
        ConsensusRoundResult first = Assert.Single(rounds.Take(1));
        Assert.Equal("validator", first.Role);
    }

    [Fact]
    public async Task A_round_that_fails_unexpectedly_costs_only_its_epoch()
    {
        await PublishHeartbeatsAsync(0, 1, 2);
        int v = await ElectedIndexAsync(1);
        // Epoch 1's election answer "does not decode": not a transient chain failure, so no retry within the round.
        var broken = new FlakyChain(_chain.WithSigner(_hotkeys[v]), failures: 0) { FailElection = epoch => epoch == 1 };
        ConsensusLoop loop = Loop(v, broken);
        var rounds = new List<ConsensusRoundResult>();
        loop.RoundCompleted += r =>
        {
            lock (rounds)
            {
                rounds.Add(r);
            }
        };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = loop.RunAsync(cts.Token);
        for (int i = 0; i < 4000 && rounds.Count == 0 && !run.IsCompleted; i++)
        {
            _time.Advance(await _time.NextSleepAsync(Ct));
        }
        Assert.False(run.IsCompleted, run.Exception?.ToString());
        await cts.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(broken.ElectionFailures >= 1);
        ConsensusRoundResult first = Assert.Single(rounds.Take(1));
        Assert.True(first.Epoch > 1, $"the first completed round is of epoch {first.Epoch}");
    }

    [Fact]
    public async Task Stopping_during_a_chain_call_that_then_fails_with_its_connections_error_is_a_clean_stop()
    {
        var closing = new FlakyChain(_chain.WithSigner(_hotkeys[0]), failures: 0) { ClosedOnCancel = true };
        ConsensusLoop loop = Loop(0, closing);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task run = loop.RunAsync(cts.Token);
        await closing.CallPending.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await cts.CancelAsync();
        // The cancelled call throws IOException, not OperationCanceledException: RunAsync still returns normally.
        await run.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(run.IsCompletedSuccessfully);
    }

    /// <summary>
    /// A chain whose first reads fail as an unreachable endpoint does; optionally one whose election answers fail as a
    /// decode bug would, or whose clock reads hang until cancelled and then fail as a closed connection does.
    /// </summary>
    private sealed class FlakyChain(IHypertensorChain inner, int failures) : IHypertensorChain
    {
        private readonly int _failures = failures;
        private int _left = failures;
        private int _electionFailures;

        public Func<uint, bool>? FailElection { get; init; }

        public bool ClosedOnCancel { get; init; }

        public int ElectionFailures => Volatile.Read(ref _electionFailures);

        public TaskCompletionSource CallPending { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Failed => _failures - Math.Max(0, Volatile.Read(ref _left));

        private void Maybe()
        {
            if (Interlocked.Decrement(ref _left) >= 0)
            {
                throw new ChainConnectionException("connection refused (test)");
            }
        }

        public Task<uint> GetEpochLengthAsync(CancellationToken cancellationToken = default) => inner.GetEpochLengthAsync(cancellationToken);

        public Task<ChainClock> GetClockAsync(uint subnetId, CancellationToken cancellationToken = default)
        {
            Maybe();
            return ClosedOnCancel ? HangThenCloseAsync(cancellationToken) : inner.GetClockAsync(subnetId, cancellationToken);
        }

        private async Task<ChainClock> HangThenCloseAsync(CancellationToken cancellationToken)
        {
            CallPending.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
            throw new IOException("the connection was closed (test)");
        }

        public Task<SubnetInfo?> GetSubnetAsync(uint subnetId, CancellationToken cancellationToken = default)
        {
            Maybe();
            return inner.GetSubnetAsync(subnetId, cancellationToken);
        }

        public Task<IReadOnlyList<SubnetNode>> GetSubnetNodesAsync(uint subnetId, CancellationToken cancellationToken = default) => inner.GetSubnetNodesAsync(subnetId, cancellationToken);

        public Task<SubnetNode?> GetSubnetNodeAsync(uint subnetId, uint subnetNodeId, CancellationToken cancellationToken = default) => inner.GetSubnetNodeAsync(subnetId, subnetNodeId, cancellationToken);

        public Task<uint?> GetSubnetNodeIdAsync(uint subnetId, AccountId20 hotkey, CancellationToken cancellationToken = default) => inner.GetSubnetNodeIdAsync(subnetId, hotkey, cancellationToken);

        public Task<UInt128> GetStakeAsync(uint subnetId, AccountId20 hotkey, CancellationToken cancellationToken = default) => inner.GetStakeAsync(subnetId, hotkey, cancellationToken);

        public Task<uint?> GetElectedValidatorAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default)
        {
            if (FailElection?.Invoke(subnetEpoch) == true)
            {
                Interlocked.Increment(ref _electionFailures);
                throw new InvalidOperationException("the election answer does not decode (test)");
            }
            return inner.GetElectedValidatorAsync(subnetId, subnetEpoch, cancellationToken);
        }

        public Task<ConsensusSubmission?> GetConsensusSubmissionAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default) => inner.GetConsensusSubmissionAsync(subnetId, subnetEpoch, cancellationToken);

        public Task<SubnetBootnodes> GetBootnodesAsync(uint subnetId, CancellationToken cancellationToken = default) => inner.GetBootnodesAsync(subnetId, cancellationToken);

        public Task<bool> ProofOfStakeAsync(uint subnetId, string peerId, NodeClass minClass, CancellationToken cancellationToken = default) => inner.ProofOfStakeAsync(subnetId, peerId, minClass, cancellationToken);

        public Task<ChainTransaction> ProposeAttestationAsync(uint subnetId, IReadOnlyList<ConsensusScore> scores, uint? prioritizeQueueNodeId = null, uint? removeQueueNodeId = null,
            byte[]? args = null, byte[]? attestData = null, CancellationToken cancellationToken = default) =>
            inner.ProposeAttestationAsync(subnetId, scores, prioritizeQueueNodeId, removeQueueNodeId, args, attestData, cancellationToken);

        public Task<ChainTransaction> AttestAsync(uint subnetId, byte[]? attestData = null, CancellationToken cancellationToken = default) => inner.AttestAsync(subnetId, attestData, cancellationToken);
    }
}
