using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Libp2p.Lookup;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Libp2p.Lookup;

/// <summary>
/// The lookup strategy over a simulated network (no sockets): every peer knows a few random others plus its nearest
/// neighbours, as a converged Kademlia network does.
/// </summary>
public sealed class KadLookupTests
{
    private sealed class SimNetwork
    {
        private readonly Dictionary<PeerId, PeerId[]> _contacts = [];
        private int _inFlight;

        public SimNetwork(int size, int seed, int fanout = 8)
        {
            var random = new Random(seed);
            Peers = [.. Enumerable.Range(0, size).Select(_ => PeerId.FromBytes(Mesh.Multistream.Multihash.Create(0x12, RandomBytes(random))))];
            foreach (PeerId p in Peers)
            {
                KadKey256 k = KadKey256.Hash(p.Bytes);
                PeerId[] nearest = [.. Peers.Where(q => q != p).OrderBy(q => KadKey256.Hash(q.Bytes) ^ k).Take(fanout)];
                PeerId[] randoms = [.. Enumerable.Range(0, fanout).Select(_ => Peers[random.Next(size)]).Where(q => q != p)];
                _contacts[p] = [.. nearest.Concat(randoms).Distinct()];
            }
        }

        public PeerId[] Peers { get; }

        public HashSet<PeerId> Dead { get; } = [];

        public int MaxInFlight { get; private set; }

        public List<PeerId> Asked { get; } = [];

        private static byte[] RandomBytes(Random random)
        {
            byte[] b = new byte[32];
            random.NextBytes(b);
            return b;
        }

        public async ValueTask<KadLookupReply> QueryAsync(PeerId target, PeerId peer, CancellationToken ct)
        {
            int now = Interlocked.Increment(ref _inFlight);
            lock (Asked)
            {
                Asked.Add(peer);
                MaxInFlight = Math.Max(MaxInFlight, now);
            }
            try
            {
                await Task.Yield();
                ct.ThrowIfCancellationRequested();
                if (Dead.Contains(peer))
                {
                    throw new IOException("unreachable");
                }
                KadKey256 key = KadKey256.Hash(target.Bytes);
                PeerId[] closer = [.. _contacts[peer].OrderBy(q => KadKey256.Hash(q.Bytes) ^ key).Take(20)];
                return new KadLookupReply(closer);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public PeerId[] TrueClosest(PeerId target, int k, PeerId self) =>
            [.. Peers.Where(p => p != self && !Dead.Contains(p)).OrderBy(p => KadKey256.Hash(p.Bytes) ^ KadKey256.Hash(target.Bytes)).Take(k)];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Converges_on_the_true_k_nearest_with_at_most_alpha_in_flight(int paths)
    {
        var net = new SimNetwork(300, seed: 42);
        PeerId self = net.Peers[0];
        for (int t = 1; t <= 20; t++)
        {
            PeerId target = net.Peers[t * 13];
            var lookup = new KadLookup(KadKey256.Hash(target.Bytes), self, k: 20, alpha: 10, paths, (p, ct) => net.QueryAsync(target, p, ct));
            KadLookupResult result = await lookup.RunAsync(net.Peers.Skip(1 + t).Take(20).ToArray(), TestContext.Current.CancellationToken);
            Assert.Equal(net.TrueClosest(target, 20, self), result.Closest);
            Assert.False(result.Stopped);
            Assert.True(net.MaxInFlight <= 10 + (paths - 1), $"{net.MaxInFlight} requests in flight");
            Assert.DoesNotContain(self, net.Asked);
        }
    }

    [Fact]
    public async Task Each_peer_is_asked_once_and_disjoint_paths_share_no_peer()
    {
        var net = new SimNetwork(200, seed: 7);
        PeerId target = net.Peers[100];
        var pathOf = new Dictionary<PeerId, int>();
        var lookup = new KadLookup(KadKey256.Hash(target.Bytes), net.Peers[0], k: 20, alpha: 9, paths: 3, (p, ct) => net.QueryAsync(target, p, ct));
        KadLookupResult result = await lookup.RunAsync(net.Peers.Skip(1).Take(20).ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal(net.Asked.Count, net.Asked.Distinct().Count());
        Assert.Equal(result.Queried, net.Asked.Count);
        Assert.Equal(20, result.Closest.Count);
    }

    [Fact]
    public async Task Unreachable_peers_are_reported_skipped_and_never_returned()
    {
        var net = new SimNetwork(200, seed: 9);
        PeerId self = net.Peers[0];
        PeerId target = net.Peers[50];
        foreach (PeerId p in net.TrueClosest(target, 10, self))
        {
            net.Dead.Add(p);
        }
        var failed = new List<PeerId>();
        var lookup = new KadLookup(KadKey256.Hash(target.Bytes), self, 20, 10, 1, (p, ct) => net.QueryAsync(target, p, ct), (p, ok) =>
        {
            if (!ok)
            {
                failed.Add(p);
            }
        });
        KadLookupResult result = await lookup.RunAsync(net.Peers.Skip(1).Take(20).ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal(net.TrueClosest(target, 20, self), result.Closest);
        Assert.Subset(net.Dead, failed.ToHashSet());
        Assert.Equal(failed.Count, result.Failed);
    }

    [Fact]
    public async Task A_stop_reply_ends_the_lookup_and_cancelled_requests_are_not_failures()
    {
        var net = new SimNetwork(200, seed: 11);
        PeerId target = net.Peers[70];
        int answered = 0;
        var failures = 0;
        var lookup = new KadLookup(KadKey256.Hash(target.Bytes), net.Peers[0], 20, 10, 1, async (p, ct) =>
        {
            KadLookupReply reply = await net.QueryAsync(target, p, ct);
            return reply with { Stop = Interlocked.Increment(ref answered) == 3 };
        }, (p, ok) => failures += ok ? 0 : 1);
        KadLookupResult result = await lookup.RunAsync(net.Peers.Skip(1).Take(20).ToArray(), TestContext.Current.CancellationToken);
        Assert.True(result.Stopped);
        Assert.True(result.Queried < 40);
        Assert.Equal(0, failures);
    }

    [Fact]
    public async Task Timeout_returns_a_partial_result_marked_cancelled()
    {
        var net = new SimNetwork(50, seed: 3);
        PeerId target = net.Peers[10];
        using var cts = new CancellationTokenSource();
        var lookup = new KadLookup(KadKey256.Hash(target.Bytes), net.Peers[0], 20, 3, 1, async (p, ct) =>
        {
            await cts.CancelAsync(); // the first request hits the query timeout
            await Task.Delay(Timeout.Infinite, ct);
            return default;
        });
        KadLookupResult result = await lookup.RunAsync(net.Peers.Skip(1).Take(5).ToArray(), cts.Token);
        Assert.True(result.Cancelled);
        Assert.Empty(result.Closest);
        Assert.Equal(0, result.Failed);
    }

    [Fact]
    public async Task No_seeds_no_requests()
    {
        var lookup = new KadLookup(default, PrivateKey.Generate(KeyType.Ed25519).PeerId, 20, 10, 1, (_, _) => throw new InvalidOperationException());
        KadLookupResult result = await lookup.RunAsync([], TestContext.Current.CancellationToken);
        Assert.Empty(result.Closest);
        Assert.Equal(0, result.Queried);
    }
}
