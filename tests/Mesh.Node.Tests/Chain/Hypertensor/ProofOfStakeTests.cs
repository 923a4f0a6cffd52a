using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;

namespace Mesh.Node.Tests.Chain.Hypertensor;

public sealed class ProofOfStakeTests
{
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>A chain that only answers proof-of-stake, from a mutable set, and counts the calls.</summary>
    private sealed class FakeChain : IHypertensorChain
    {
        public HashSet<string> Staked { get; } = [];

        public int Calls { get; private set; }

        public bool Fail { get; set; }

        public List<(uint Subnet, NodeClass MinClass)> Args { get; } = [];

        public Task<bool> ProofOfStakeAsync(uint subnetId, string peerId, NodeClass minClass, CancellationToken cancellationToken = default)
        {
            Calls++;
            Args.Add((subnetId, minClass));
            if (Fail)
            {
                throw new ChainTimeoutException("state_getStorage", TimeSpan.FromSeconds(1));
            }
            return Task.FromResult(Staked.Contains(peerId));
        }

        public Task<uint> GetEpochLengthAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ChainClock> GetClockAsync(uint subnetId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<SubnetInfo?> GetSubnetAsync(uint subnetId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<SubnetNode>> GetSubnetNodesAsync(uint subnetId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<SubnetNode?> GetSubnetNodeAsync(uint subnetId, uint subnetNodeId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<uint?> GetSubnetNodeIdAsync(uint subnetId, AccountId20 hotkey, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<UInt128> GetStakeAsync(uint subnetId, AccountId20 hotkey, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<uint?> GetElectedValidatorAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ConsensusSubmission?> GetConsensusSubmissionAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<SubnetBootnodes> GetBootnodesAsync(uint subnetId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ChainTransaction> ProposeAttestationAsync(uint subnetId, IReadOnlyList<ConsensusScore> scores, uint? prioritizeQueueNodeId = null,
            uint? removeQueueNodeId = null, byte[]? args = null, byte[]? attestData = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task<ChainTransaction> AttestAsync(uint subnetId, byte[]? attestData = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    [Fact]
    public async Task Successes_are_cached_for_300_s_and_failures_for_the_configured_cooldown()
    {
        var chain = new FakeChain();
        var time = new ManualTime();
        var pos = new ProofOfStake(chain, 7, NodeClass.Idle, failureCooldown: TimeSpan.FromSeconds(20), time: time);
        Assert.Equal(TimeSpan.FromSeconds(300), pos.SuccessCooldown);
        chain.Staked.Add("good");

        Assert.True(await pos.IsStakedAsync("good", TestContext.Current.CancellationToken));
        Assert.False(await pos.IsStakedAsync("bad", TestContext.Current.CancellationToken));
        Assert.Equal(2, chain.Calls);
        Assert.All(chain.Args, a => Assert.Equal((7u, NodeClass.Idle), a));

        time.Advance(TimeSpan.FromSeconds(19));
        Assert.True(await pos.IsStakedAsync("good", TestContext.Current.CancellationToken));
        Assert.False(await pos.IsStakedAsync("bad", TestContext.Current.CancellationToken));
        Assert.Equal(2, chain.Calls);

        // The failure cooldown ends first: the peer registered meanwhile and now passes.
        chain.Staked.Add("bad");
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await pos.IsStakedAsync("bad", TestContext.Current.CancellationToken));
        Assert.True(await pos.IsStakedAsync("good", TestContext.Current.CancellationToken));
        Assert.Equal(3, chain.Calls);

        // The success cooldown ends at 300 s: an unstaked peer is then refused.
        chain.Staked.Remove("good");
        time.Advance(TimeSpan.FromSeconds(280));
        Assert.False(await pos.IsStakedAsync("good", TestContext.Current.CancellationToken));
        Assert.Equal(4, chain.Calls);
    }

    [Fact]
    public async Task Chain_errors_refuse_the_peer_and_are_cached_as_failures()
    {
        var chain = new FakeChain { Fail = true };
        var time = new ManualTime();
        var pos = new ProofOfStake(chain, 1, NodeClass.Registered, failureCooldown: TimeSpan.FromSeconds(5), time: time);
        Assert.False(await pos.IsStakedAsync("p", TestContext.Current.CancellationToken));
        Assert.False(await pos.IsStakedAsync("p", TestContext.Current.CancellationToken));
        Assert.Equal(1, chain.Calls);
        chain.Fail = false;
        chain.Staked.Add("p");
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(await pos.IsStakedAsync("p", TestContext.Current.CancellationToken));
        pos.Invalidate("p");
        chain.Staked.Clear();
        Assert.False(await pos.IsStakedAsync("p", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_cache_is_bounded()
    {
        var chain = new FakeChain();
        var time = new ManualTime();
        var pos = new ProofOfStake(chain, 1, NodeClass.Registered, time: time) { MaxEntries = 16 };
        for (int i = 0; i < 100; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            await pos.IsStakedAsync("peer" + i, TestContext.Current.CancellationToken);
        }
        Assert.Equal(100, chain.Calls);
        // The most recent answers are still cached, the oldest were evicted.
        await pos.IsStakedAsync("peer99", TestContext.Current.CancellationToken);
        Assert.Equal(100, chain.Calls);
        await pos.IsStakedAsync("peer0", TestContext.Current.CancellationToken);
        Assert.Equal(101, chain.Calls);
    }
}

public sealed class ChainClockTests
{
    // RUNTIME.md §6: subnet epoch = (block − slot) / 20 when block ≥ slot, else 0; 0 without a slot.
    [Theory]
    [InlineData(0ul, 3u, 0u)]
    [InlineData(2ul, 3u, 0u)]
    [InlineData(3ul, 3u, 0u)]
    [InlineData(22ul, 3u, 0u)]
    [InlineData(23ul, 3u, 1u)]
    [InlineData(63ul, 3u, 3u)]
    [InlineData(283ul, 3u, 14u)]
    public void Subnet_epoch_follows_the_chain_rule(ulong block, uint slot, uint epoch)
    {
        Assert.Equal(epoch, ChainClock.SubnetEpochAt(block, 20, slot));
        Assert.Equal(0u, ChainClock.SubnetEpochAt(block, 20, null));
        ChainClock c = ChainClock.At(block, 20, slot);
        Assert.Equal(block / 20, c.Epoch);
        Assert.InRange(c.SubnetEpochProgress, 0, 0.95);
    }
}
