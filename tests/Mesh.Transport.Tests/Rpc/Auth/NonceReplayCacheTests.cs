using Google.Protobuf;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Transport.Tests.Rpc.Auth;

public sealed class NonceReplayCacheTests
{
    private static ByteString Nonce(ulong n) => ByteString.CopyFrom(BitConverter.GetBytes(n));

    [Fact]
    public void A_nonce_is_a_replay_until_its_retention_has_passed()
    {
        var cache = new NonceReplayCache(capacity: 100, retentionSeconds: 180, maxClockSkewSeconds: 60);
        Assert.Equal(NonceCheck.Fresh, cache.TryRemember(Nonce(1), now: 1000, requestTime: 1000));
        Assert.True(cache.Contains(Nonce(1), 1179.9));
        Assert.Equal(NonceCheck.Replayed, cache.TryRemember(Nonce(1), now: 1179.9, requestTime: 1000));
        Assert.False(cache.Contains(Nonce(1), 1180));
        Assert.Equal(NonceCheck.Fresh, cache.TryRemember(Nonce(1), now: 1180, requestTime: 1180));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Expired_entries_are_purged_so_memory_follows_the_live_window()
    {
        var cache = new NonceReplayCache(capacity: 1000, retentionSeconds: 180, maxClockSkewSeconds: 60);
        for (ulong i = 0; i < 500; i++)
        {
            Assert.Equal(NonceCheck.Fresh, cache.TryRemember(Nonce(i), now: 1000 + i, requestTime: 1000 + i));
        }
        cache.TryRemember(Nonce(10_000), now: 1500, requestTime: 1500);
        // Only the nonces accepted in the last 180 s (321..499) and the new one are left.
        Assert.Equal(180, cache.Count);
    }

    [Fact]
    public void At_capacity_a_nonce_whose_request_is_outside_the_clock_window_makes_room()
    {
        var cache = new NonceReplayCache(capacity: 3, retentionSeconds: 180, maxClockSkewSeconds: 60);
        for (ulong i = 0; i < 3; i++)
        {
            cache.TryRemember(Nonce(i), now: 1000, requestTime: 1000);
        }
        // 61 s later the oldest request could not pass the clock check again: forgetting it is safe.
        Assert.Equal(NonceCheck.Fresh, cache.TryRemember(Nonce(3), now: 1061, requestTime: 1061));
        Assert.Equal(3, cache.Count);
        Assert.False(cache.Contains(Nonce(0), 1061));
        Assert.True(cache.Contains(Nonce(1), 1061));
    }

    [Fact]
    public void At_capacity_with_every_nonce_still_replayable_the_new_request_is_refused()
    {
        var cache = new NonceReplayCache(capacity: 3, retentionSeconds: 180, maxClockSkewSeconds: 60);
        for (ulong i = 0; i < 3; i++)
        {
            cache.TryRemember(Nonce(i), now: 1000, requestTime: 1000);
        }
        Assert.Equal(NonceCheck.Full, cache.TryRemember(Nonce(3), now: 1030, requestTime: 1030));
        Assert.True(cache.Contains(Nonce(0), 1030), "nothing may be forgotten while its request could still be replayed");
    }

    [Fact]
    public void Nonces_of_any_length_are_remembered_like_python_does()
    {
        var cache = new NonceReplayCache(capacity: 10, retentionSeconds: 180, maxClockSkewSeconds: 60);
        Assert.Equal(NonceCheck.Fresh, cache.TryRemember(ByteString.Empty, 1000, 1000));
        Assert.Equal(NonceCheck.Replayed, cache.TryRemember(ByteString.Empty, 1001, 1001));
        Assert.Equal(NonceCheck.Fresh, cache.TryRemember(ByteString.CopyFrom(1, 2, 3), 1000, 1000));
        Assert.Equal(NonceCheck.Replayed, cache.TryRemember(ByteString.CopyFrom(1, 2, 3), 1000, 1000));
        // An 8-byte nonce and a 9-byte one sharing its first 8 bytes are different nonces.
        Assert.Equal(NonceCheck.Fresh, cache.TryRemember(Nonce(7), 1000, 1000));
        Assert.Equal(NonceCheck.Fresh, cache.TryRemember(ByteString.CopyFrom([.. BitConverter.GetBytes(7UL), 0]), 1000, 1000));
    }

    [Fact]
    public void Concurrent_copies_of_one_request_are_accepted_exactly_once()
    {
        var cache = new NonceReplayCache(capacity: 100_000, retentionSeconds: 180, maxClockSkewSeconds: 60);
        int fresh = 0;
        Parallel.For(0, 10_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            if (cache.TryRemember(Nonce((ulong)(i % 1000)), 1000, 1000) == NonceCheck.Fresh)
            {
                Interlocked.Increment(ref fresh);
            }
        });
        Assert.Equal(1000, fresh);
    }
}
