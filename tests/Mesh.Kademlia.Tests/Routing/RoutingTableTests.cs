using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;

namespace Mesh.Kademlia.Tests.Routing;

/// <summary>hivemind tests/test_routing.py ported (routing_table_basic, _parameters, _search), plus the mesh semantics.</summary>
public sealed class RoutingTableTests
{
    private static DhtId RandomId(Random rng) => DhtId.CreateRandom(rng);

    private static void AssertConsistent<TKey, TPeer>(RoutingTableSnapshot<TKey, TPeer> s)
        where TKey : struct, IKadKey<TKey>
        where TPeer : notnull
    {
        // The buckets partition the keyspace in order, every node sits in the bucket covering it, counts add up.
        Assert.Equal(TKey.Zero, s.Buckets[0].Prefix);
        for (int i = 0; i + 1 < s.Buckets.Length; i++)
        {
            KBucket<TKey, TPeer> a = s.Buckets[i], b = s.Buckets[i + 1];
            Assert.True(a.Prefix.CompareTo(b.Prefix) < 0);
            // a's range ends exactly where b's starts: a.Prefix + 2^(width - a.Depth) == b.Prefix.
            TKey lastOfA = a.Prefix | ~TKey.PrefixMask(a.Depth);
            Assert.Equal(b.Prefix, Increment(lastOfA));
        }
        Assert.Equal(TKey.AllOnes, s.Buckets[^1].Prefix | ~TKey.PrefixMask(s.Buckets[^1].Depth));
        int count = 0, replacements = 0;
        foreach (KBucket<TKey, TPeer> bucket in s.Buckets)
        {
            foreach (RoutingEntry<TKey, TPeer> e in bucket.Nodes.Concat(bucket.Replacements))
            {
                Assert.True(bucket.Covers(e.NodeId));
                Assert.False(e.NodeId.Equals(s.LocalId));
            }
            Assert.True(bucket.Replacements.IsEmpty || bucket.Nodes.Length > 0);
            count += bucket.Nodes.Length;
            replacements += bucket.Replacements.Length;
        }
        Assert.Equal(count, s.Count);
        Assert.Equal(replacements, s.ReplacementCount);
    }

    private static TKey Increment<TKey>(TKey key)
        where TKey : struct, IKadKey<TKey>
    {
        // Adds one to a big-endian key: flip the trailing ones and the lowest zero.
        int width = TKey.BitLength;
        int i = width - 1;
        while (i >= 0 && key.GetBit(i))
        {
            i--;
        }
        TKey flip = ~TKey.PrefixMask(i);
        return key ^ flip;
    }

    [Fact]
    public void Routing_table_basic()
    {
        var rng = new Random(1);
        DhtId nodeId = RandomId(rng);
        var table = new RoutingTable<DhtId, string>(nodeId, new RoutingTableOptions { BucketSize = 20, DepthModulo = 5 });
        var added = new List<DhtId>();
        foreach (int port in Enumerable.Range(0, 10000).OrderBy(_ => rng.Next()).Take(100))
        {
            DhtId phony = RandomId(rng);
            string peer = $"127.0.0.1:{port}";
            table.AddOrUpdate(phony, peer);
            Assert.True(table.Contains(phony));
            Assert.True(table.ContainsPeer(peer));
            Assert.True(table.TryGetPeer(phony, out string? p) && p == peer);
            Assert.True(table.TryGetNodeId(peer, out DhtId n) && n == phony);
            added.Add(phony);
        }
        RoutingTableSnapshot<DhtId, string> s = table.Snapshot;
        AssertConsistent(s);
        Assert.All(s.Buckets, b => Assert.Empty(b.Replacements));
        Assert.InRange(s.Buckets.Length, 3, 10);

        DhtId dummy = RandomId(rng);
        Assert.Equal(table.Contains(dummy), table.TryGetPeer(dummy, out _));
        foreach (DhtId node in added)
        {
            int naive = s.Buckets.ToList().FindIndex(b => b.Covers(node));
            Assert.Equal(naive, s.GetBucketIndex(node));
        }
    }

    [Theory]
    [InlineData(20, 5, 45, 65)]
    [InlineData(50, 5, 35, 45)]
    [InlineData(20, 10, 650, 800)]
    [InlineData(20, 1, 7, 15)]
    public void Routing_table_parameters(int bucketSize, int modulo, int minBuckets, int maxBuckets)
    {
        var rng = new Random(bucketSize * 100 + modulo);
        var table = new RoutingTable<DhtId, string>(RandomId(rng), new RoutingTableOptions { BucketSize = bucketSize, DepthModulo = modulo });
        for (int i = 0; i < 10_000; i++)
        {
            table.AddOrUpdate(RandomId(rng), $"127.0.0.1:{i}");
        }
        RoutingTableSnapshot<DhtId, string> s = table.Snapshot;
        Assert.All(s.Buckets, b => Assert.True(b.Replacements.IsEmpty || b.Nodes.Length <= bucketSize));
        Assert.InRange(s.Buckets.Length, minBuckets, maxBuckets);
        AssertConsistent(s);
    }

    [Theory]
    [InlineData(10, 10, 10)]
    [InlineData(10_000, 800, 1100)]
    public void Routing_table_search(int tableSize, int lowerActive, int upperActive)
    {
        var rng = new Random(tableSize);
        // Unbounded replacement cache here, as hivemind's, so "added + replacements == table size" holds.
        var table = new RoutingTable<DhtId, string>(RandomId(rng), new RoutingTableOptions { ReplacementCacheSize = int.MaxValue });
        int numAdded = 0, total = 0;
        for (int i = 0; i < tableSize; i++)
        {
            table.AddOrUpdate(RandomId(rng), $"127.0.0.1:{i}");
            int newTotal = table.Count;
            numAdded += newTotal > total ? 1 : 0;
            total = newTotal;
        }
        RoutingTableSnapshot<DhtId, string> s = table.Snapshot;
        List<DhtId> active = s.ActiveNodes.Select(e => e.NodeId).ToList();
        Assert.InRange(active.Count, lowerActive, upperActive);
        Assert.Equal(numAdded, active.Count);
        Assert.Equal(tableSize, numAdded + s.ReplacementCount);

        for (int i = 0; i < 1000; i++)
        {
            int k = rng.Next(1, 101);
            DhtId query = RandomId(rng);
            DhtId? exclude = rng.NextDouble() < 0.5 ? query : null;
            RoutingEntry<DhtId, string>[] ours = s.GetNearestNeighbors(query, k, exclude);
            DhtId[] reference = active.OrderBy(id => id ^ query).Take(k).ToArray();
            Assert.Equal(reference, ours.Select(e => e.NodeId));
            Assert.All(ours, e => Assert.True(s.TryGetPeer(e.NodeId, out string? p) && p == e.Peer));
        }
        for (int i = 0; i < 1000; i++)
        {
            int k = rng.Next(1, 101);
            DhtId query = active[rng.Next(active.Count)];
            RoutingEntry<DhtId, string>[] ours = s.GetNearestNeighbors(query, k, exclude: query);
            List<DhtId> reference = active.OrderBy(id => id ^ query).Take(k + 1).ToList();
            reference.Remove(query);
            reference = reference.Take(k).ToList();
            Assert.Equal(reference.Count, ours.Length);
            Assert.Equal(reference, ours.Select(e => e.NodeId));
            Assert.Equal(query, s.GetNearestNeighbors(query, k)[0].NodeId);
        }
    }

    [Fact]
    public void Nearest_neighbours_fill_a_caller_span_without_allocating_results()
    {
        var rng = new Random(5);
        var table = new RoutingTable<DhtId, int>(RandomId(rng));
        for (int i = 0; i < 300; i++)
        {
            table.AddOrUpdate(RandomId(rng), i);
        }
        DhtId query = RandomId(rng);
        var buffer = new RoutingEntry<DhtId, int>[8];
        Assert.Equal(8, table.GetNearestNeighbors(query, buffer));
        Assert.Equal(table.GetNearestNeighbors(query, 8), buffer);
        Assert.Equal(0, table.GetNearestNeighbors(query, Span<RoutingEntry<DhtId, int>>.Empty));
        Assert.Empty(new RoutingTable<DhtId, int>(query).GetNearestNeighbors(query, 5));
    }

    private static DhtId IdWithPrefixBits(string bits, Random rng)
    {
        // A random id whose leading bits are the given ones.
        DhtId prefix = DhtId.Zero;
        for (int i = 0; i < bits.Length; i++)
        {
            if (bits[i] == '1')
            {
                prefix = KadKey.WithBitSet(prefix, i);
            }
        }
        return KadKey.RandomInSubtree(prefix, bits.Length, rng);
    }

    [Fact]
    public void Full_unsplittable_bucket_keeps_replacements_and_asks_to_ping_least_recently_seen()
    {
        var rng = new Random(9);
        // Our id starts with 0; bucket "1..." (depth 1) cannot split with b = 1, so it fills at k = 3.
        var table = new RoutingTable<DhtId, string>(IdWithPrefixBits("0", rng), new RoutingTableOptions { BucketSize = 3, DepthModulo = 1, ReplacementCacheSize = 2 });
        DhtId[] far = Enumerable.Range(0, 7).Select(_ => IdWithPrefixBits("1", rng)).ToArray();
        // Add one id on our side to force the first split.
        table.AddOrUpdate(IdWithPrefixBits("0", rng), "near");
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(RoutingUpdateOutcome.Added, table.AddOrUpdate(far[i], $"f{i}").Outcome);
        }
        // far[0] is least recently seen; touching it makes far[1] the oldest.
        Assert.Equal(RoutingUpdateOutcome.Updated, table.AddOrUpdate(far[0], "f0").Outcome);

        RoutingUpdate<DhtId, string> u = table.AddOrUpdate(far[3], "f3");
        Assert.Equal(RoutingUpdateOutcome.Replacement, u.Outcome);
        Assert.Equal(far[1], u.PingCandidate!.Value.NodeId);
        // The next overflow must not hand out far[1] again while its ping is pending.
        u = table.AddOrUpdate(far[4], "f4");
        Assert.Equal(far[2], u.PingCandidate!.Value.NodeId);
        u = table.AddOrUpdate(far[5], "f5");
        Assert.Equal(far[0], u.PingCandidate!.Value.NodeId);
        u = table.AddOrUpdate(far[6], "f6");
        Assert.Null(u.PingCandidate);

        // The cache holds 2: far[3] was evicted as the least recently added, and forgotten by the peer map too.
        RoutingTableSnapshot<DhtId, string> s = table.Snapshot;
        KBucket<DhtId, string> bucket = s.Buckets[s.GetBucketIndex(far[0])];
        Assert.Equal([far[5], far[6]], bucket.Replacements.Select(e => e.NodeId));
        Assert.False(table.Contains(far[3]));
        Assert.False(table.ContainsPeer("f3"));
        Assert.True(table.Contains(far[5]));
        Assert.False(s.IsActive(far[5]));

        // far[1] answered its ping: it is seen again, its pending flag clears.
        Assert.Equal(RoutingUpdateOutcome.Updated, table.AddOrUpdate(far[1], "f1").Outcome);
        // far[2] failed: removing it promotes the most recently added replacement (far[6]).
        Assert.True(table.Remove(far[2]));
        s = table.Snapshot;
        bucket = s.Buckets[s.GetBucketIndex(far[0])];
        Assert.Contains(far[6], bucket.Nodes.Select(e => e.NodeId));
        Assert.Equal([far[5]], bucket.Replacements.Select(e => e.NodeId));
        Assert.False(table.Contains(far[2]));
        Assert.False(table.Remove(far[2]));
        // Removing a replacement just drops it.
        Assert.True(table.RemovePeer("f5"));
        Assert.Empty(table.Snapshot.Buckets[s.GetBucketIndex(far[0])].Replacements);
        AssertConsistent(table.Snapshot);
    }

    [Fact]
    public void A_replacement_seen_again_becomes_the_most_recent_one_under_its_new_peer()
    {
        var rng = new Random(11);
        var table = new RoutingTable<DhtId, string>(IdWithPrefixBits("0", rng), new RoutingTableOptions { BucketSize = 2, DepthModulo = 1, ReplacementCacheSize = 3 });
        DhtId[] far = Enumerable.Range(0, 5).Select(_ => IdWithPrefixBits("1", rng)).ToArray();
        table.AddOrUpdate(IdWithPrefixBits("0", rng), "near");
        table.AddOrUpdate(far[0], "f0");
        table.AddOrUpdate(far[1], "f1");
        for (int i = 2; i < 5; i++)
        {
            Assert.Equal(RoutingUpdateOutcome.Replacement, table.AddOrUpdate(far[i], $"f{i}").Outcome);
        }
        int count = table.Snapshot.Count, replacements = table.Snapshot.ReplacementCount;

        // far[2], the oldest replacement, is seen again from another peer handle: it moves to the end, not out.
        RoutingUpdate<DhtId, string> u = table.AddOrUpdate(far[2], "f2-again");
        Assert.Equal(RoutingUpdateOutcome.Replacement, u.Outcome);
        Assert.Null(u.PingCandidate); // both active nodes already have a ping pending
        RoutingTableSnapshot<DhtId, string> s = table.Snapshot;
        KBucket<DhtId, string> bucket = s.Buckets[s.GetBucketIndex(far[0])];
        Assert.Equal([far[3], far[4], far[2]], bucket.Replacements.Select(e => e.NodeId));
        Assert.Equal("f2-again", bucket.Replacements[^1].Peer);
        Assert.Equal((count, replacements), (s.Count, s.ReplacementCount));
        Assert.False(table.ContainsPeer("f2"));
        Assert.True(table.TryGetNodeId("f2-again", out DhtId mapped) && mapped.Equals(far[2]));

        // The most recent replacement is the one promoted when an active node fails.
        Assert.True(table.Remove(far[0]));
        Assert.True(table.Snapshot.IsActive(far[2]));
        AssertConsistent(table.Snapshot);
    }

    [Fact]
    public void Local_id_is_never_stored_and_peer_changes_keep_the_maps_exact()
    {
        var rng = new Random(3);
        DhtId local = RandomId(rng);
        var table = new RoutingTable<DhtId, string>(local);
        Assert.Equal(RoutingUpdateOutcome.RejectedLocalId, table.AddOrUpdate(local, "me").Outcome);
        Assert.Equal(0, table.Count);

        DhtId a = RandomId(rng);
        table.AddOrUpdate(a, "p1");
        table.AddOrUpdate(a, "p2");
        Assert.False(table.ContainsPeer("p1"));
        Assert.True(table.TryGetPeer(a, out string? peer) && peer == "p2");

        // A peer that now claims another id: the peer maps to its latest id, the old id stays until it fails.
        DhtId b = RandomId(rng);
        table.AddOrUpdate(b, "p2");
        Assert.True(table.TryGetNodeId("p2", out DhtId latest) && latest == b);
        Assert.True(table.Remove(a));
        Assert.True(table.ContainsPeer("p2"));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Split_puts_the_midpoint_in_the_upper_half()
    {
        var rng = new Random(11);
        var table = new RoutingTable<DhtId, int>(IdWithPrefixBits("0", rng), new RoutingTableOptions { BucketSize = 1 });
        DhtId midpoint = KadKey.WithBitSet(DhtId.Zero, 0);
        table.AddOrUpdate(midpoint, 1);
        table.AddOrUpdate(IdWithPrefixBits("00", rng), 2);
        RoutingTableSnapshot<DhtId, int> s = table.Snapshot;
        AssertConsistent(s);
        Assert.True(s.IsActive(midpoint));
        Assert.True(s.Buckets[s.GetBucketIndex(midpoint)].Covers(midpoint));
    }

    [Fact]
    public void Stale_buckets_are_reported_with_a_refresh_target_inside_them()
    {
        var clock = new ManualTimeProvider();
        var rng = new Random(21);
        var table = new RoutingTable<DhtId, int>(RandomId(rng), new RoutingTableOptions { TimeProvider = clock });
        for (int i = 0; i < 100; i++)
        {
            table.AddOrUpdate(RandomId(rng), i);
        }
        Assert.Empty(table.GetStaleBuckets(TimeSpan.FromMinutes(1), rng));
        clock.Advance(TimeSpan.FromMinutes(2));
        DhtId fresh = table.Snapshot.ActiveNodes.First().NodeId;
        table.AddOrUpdate(fresh, 0);
        var stale = table.GetStaleBuckets(TimeSpan.FromMinutes(1), rng);
        Assert.Equal(table.Snapshot.Buckets.Length - 1, stale.Count);
        Assert.All(stale, s => Assert.True(s.Bucket.Covers(s.RefreshTarget)));
        Assert.DoesNotContain(stale, s => s.Bucket.Covers(fresh));
    }

    [Fact]
    public void Works_over_the_256_bit_keyspace()
    {
        var rng = new Random(4);
        var table = new RoutingTable<KadKey256, int>(KadKey256.CreateRandom(rng));
        var ids = new List<KadKey256>();
        for (int i = 0; i < 2000; i++)
        {
            KadKey256 id = KadKey256.CreateRandom(rng);
            ids.Add(id);
            table.AddOrUpdate(id, i);
        }
        RoutingTableSnapshot<KadKey256, int> s = table.Snapshot;
        AssertConsistent(s);
        List<KadKey256> active = s.ActiveNodes.Select(e => e.NodeId).ToList();
        for (int i = 0; i < 100; i++)
        {
            KadKey256 q = KadKey256.CreateRandom(rng);
            Assert.Equal(active.OrderBy(id => id ^ q).Take(20), s.GetNearestNeighbors(q, 20).Select(e => e.NodeId));
        }
    }

    [Fact]
    public void Readers_see_consistent_snapshots_while_the_writer_mutates()
    {
        var rng = new Random(77);
        var table = new RoutingTable<DhtId, int>(RandomId(rng));
        DhtId[] ids = Enumerable.Range(0, 3000).Select(_ => RandomId(rng)).ToArray();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int readerFailures = 0;
        long reads = 0;
        var stop = new ManualResetEventSlim();
        Thread[] readers = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var local = new Random(t);
            var buffer = new RoutingEntry<DhtId, int>[20];
            while (!stop.IsSet && !cts.IsCancellationRequested)
            {
                try
                {
                    RoutingTableSnapshot<DhtId, int> s = table.Snapshot;
                    int n = s.GetNearestNeighbors(DhtId.CreateRandom(local), buffer);
                    Assert.Equal(Math.Min(20, s.Count), n);
                    if (Interlocked.Increment(ref reads) % 64 == 0)
                    {
                        AssertConsistent(s);
                    }
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref readerFailures);
                }
            }
        })).ToArray();
        foreach (Thread r in readers)
        {
            r.Start();
        }
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                table.AddOrUpdate(ids[i], i);
            }
            for (int i = 0; i < ids.Length; i += 3)
            {
                table.Remove(ids[i]);
            }
        }
        stop.Set();
        foreach (Thread r in readers)
        {
            r.Join();
        }
        Assert.Equal(0, readerFailures);
        Assert.True(Interlocked.Read(ref reads) > 0);
        AssertConsistent(table.Snapshot);
    }

    [Fact]
    public void Concurrent_writers_are_detected_not_silently_corrupting()
    {
        var table = new RoutingTable<DhtId, int>(DhtId.CreateRandom(new Random(1)));
        int refused = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var rng = new Random(worker);
            for (int i = 0; i < 5000; i++)
            {
                try
                {
                    table.AddOrUpdate(DhtId.CreateRandom(rng), i);
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        });
        // Whether or not a collision happened on this machine, every published snapshot is consistent.
        AssertConsistent(table.Snapshot);
    }
}
