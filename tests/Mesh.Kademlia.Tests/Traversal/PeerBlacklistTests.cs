using Mesh.Kademlia.Traversal;

namespace Mesh.Kademlia.Tests.Traversal;

/// <summary>hivemind <c>Blacklist</c>: 5 s bans growing by 2^n, not extended while running, cleared by an answer.</summary>
public sealed class PeerBlacklistTests
{
    [Fact]
    public void Bans_grow_exponentially_with_consecutive_failures()
    {
        var clock = new ManualTimeProvider();
        var blacklist = new PeerBlacklist<string>(TimeSpan.FromSeconds(5), 2.0, clock);
        Assert.False(blacklist.Contains("a"));

        blacklist.RegisterFailure("a"); // 5 s
        Assert.True(blacklist.Contains("a"));
        Assert.Equal(1, blacklist.GetFailureCount("a"));
        clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.True(blacklist.Contains("a"));
        clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.False(blacklist.Contains("a"));

        blacklist.RegisterFailure("a"); // 10 s
        Assert.Equal(2, blacklist.GetFailureCount("a"));
        clock.Advance(TimeSpan.FromSeconds(9.9));
        Assert.True(blacklist.Contains("a"));
        clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.False(blacklist.Contains("a"));

        blacklist.RegisterFailure("a"); // 20 s
        clock.Advance(TimeSpan.FromSeconds(19.9));
        Assert.True(blacklist.Contains("a"));
        clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.False(blacklist.Contains("a"));
    }

    [Fact]
    public void A_failure_during_a_ban_does_not_extend_it()
    {
        var clock = new ManualTimeProvider();
        var blacklist = new PeerBlacklist<string>(TimeSpan.FromSeconds(5), 2.0, clock);
        blacklist.RegisterFailure("a");
        clock.Advance(TimeSpan.FromSeconds(4));
        blacklist.RegisterFailure("a");
        Assert.Equal(1, blacklist.GetFailureCount("a"));
        clock.Advance(TimeSpan.FromSeconds(1.1));
        Assert.False(blacklist.Contains("a"));
    }

    [Fact]
    public void Success_clears_the_ban_and_the_count()
    {
        var clock = new ManualTimeProvider();
        var blacklist = new PeerBlacklist<string>(TimeSpan.FromSeconds(5), 2.0, clock);
        blacklist.RegisterFailure("a");
        blacklist.RegisterFailure("b");
        blacklist.RegisterSuccess("a");
        Assert.False(blacklist.Contains("a"));
        Assert.Equal(0, blacklist.GetFailureCount("a"));
        Assert.True(blacklist.Contains("b"));
        blacklist.RegisterFailure("a");
        clock.Advance(TimeSpan.FromSeconds(5.1));
        Assert.False(blacklist.Contains("a")); // back to the base time
        blacklist.Clear();
        Assert.Equal(0, blacklist.TrackedPeers);
    }

    [Fact]
    public void A_zero_base_time_disables_it()
    {
        var blacklist = new PeerBlacklist<string>(TimeSpan.Zero);
        blacklist.RegisterFailure("a");
        Assert.False(blacklist.Contains("a"));
        Assert.Equal(0, blacklist.TrackedPeers);
    }

    [Fact]
    public void Bans_are_capped_and_the_table_is_bounded()
    {
        var clock = new ManualTimeProvider();
        var blacklist = new PeerBlacklist<int>(TimeSpan.FromSeconds(5), 2.0, clock, maxTrackedPeers: 3);
        for (int i = 0; i < 40; i++)
        {
            blacklist.RegisterFailure(0);
            clock.Advance(blacklist.MaxBanTime + TimeSpan.FromSeconds(1));
        }
        blacklist.RegisterFailure(0);
        clock.Advance(blacklist.MaxBanTime - TimeSpan.FromSeconds(1));
        Assert.True(blacklist.Contains(0));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(blacklist.Contains(0)); // 5·2^40 s would be millennia

        blacklist.RegisterFailure(1);
        blacklist.RegisterFailure(2);
        blacklist.RegisterFailure(3); // full: the expired entry for 0 is forgotten to make room
        Assert.Equal(3, blacklist.TrackedPeers);
        Assert.Equal(0, blacklist.GetFailureCount(0));
        blacklist.RegisterFailure(4); // full of running bans: not recorded
        Assert.False(blacklist.Contains(4));
        Assert.True(blacklist.Contains(3));
    }

    [Fact]
    public void Rejects_nonsense_settings()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerBlacklist<int>(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerBlacklist<int>(TimeSpan.FromSeconds(1), 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerBlacklist<int>(TimeSpan.FromSeconds(1), double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerBlacklist<int>(TimeSpan.FromSeconds(1), 2, maxTrackedPeers: 0));
    }
}
