using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Libp2p.Routing;
using Mesh.Kademlia.Routing;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Kademlia.Tests.Libp2p.Routing;

/// <summary>
/// The routing table's single owner (<see cref="KadRoutingManager"/>) on a real host: ping-before-evict against real
/// peers that answer /ipfs/ping/1.0.0 or are gone, and the per-IP-group diversity limit applied at the owner.
/// </summary>
/// <remarks>
/// Peers are placed in buckets by their key's first bit: with <c>BucketSize</c> 2 the first split leaves a "far" bucket
/// (first bit unlike ours) that cannot split again, so a third far peer must wait as a replacement and triggers a
/// ping of the bucket's least-recently-seen peer. Near peers (first bit like ours) go to the bucket that covers our own
/// key, which splits instead of evicting.
/// </remarks>
public sealed class KadRoutingManagerTests
{
    private static CancellationToken Timeout(int seconds = 60)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    private static KadKey256 KeyOf(PeerId peer) => KadKey256.Hash(peer.Bytes);

    /// <summary>A fresh identity whose kad key's first bit is (<paramref name="near"/>) or is not like <paramref name="local"/>'s.</summary>
    private static PrivateKey IdentityOnSide(KadKey256 local, bool near)
    {
        for (int attempt = 0; attempt < 256; attempt++)
        {
            PrivateKey key = PrivateKey.Generate(KeyType.Ed25519);
            if (KeyOf(key.PeerId).GetBit(0) == local.GetBit(0) == near)
            {
                return key;
            }
        }
        throw new InvalidOperationException("256 random keys all fell on one side.");
    }

    private static PeerId PeerOnSide(KadKey256 local, bool near) => IdentityOnSide(local, near).PeerId;

    private static async Task<MeshHost> StartHostAsync(PrivateKey? identity = null)
    {
        var options = new HostOptions { Identity = identity };
        options.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        var host = new MeshHost(options);
        await host.StartAsync();
        return host;
    }

    /// <summary>A live peer (a real host answering ping) on the given side of <paramref name="owner"/>, known to its peer store.</summary>
    private static async Task<MeshHost> StartPeerAsync(MeshHost owner, bool near)
    {
        MeshHost peer = await StartHostAsync(IdentityOnSide(KeyOf(owner.PeerId), near));
        owner.PeerStore.AddAddresses(peer.PeerId, peer.ListenAddresses);
        return peer;
    }

    private static KBucket<KadKey256, PeerId> BucketOf(KadRoutingManager owner, PeerId peer)
    {
        RoutingTableSnapshot<KadKey256, PeerId> snapshot = owner.Table.Snapshot;
        return snapshot.Buckets[snapshot.GetBucketIndex(KeyOf(peer))];
    }

    private static PeerId[] Nodes(KBucket<KadKey256, PeerId> bucket) => [.. bucket.Nodes.Select(e => e.Peer)];

    private static PeerId[] Replacements(KBucket<KadKey256, PeerId> bucket) => [.. bucket.Replacements.Select(e => e.Peer)];

    private static bool IsActive(KadRoutingManager owner, PeerId peer) => owner.Table.Snapshot.IsActive(KeyOf(peer));

    private static KadRoutingManager NewOwner(MeshHost host, KadDhtOptions options) => new(host, options, NullLogger.Instance);

    // ------------------------------------------------------------------ ping before evict

    [Fact]
    public async Task A_full_bucket_pings_its_least_recently_seen_peer_and_keeps_it_when_it_answers()
    {
        CancellationToken ct = Timeout();
        await using MeshHost host = await StartHostAsync();
        await using MeshHost oldest = await StartPeerAsync(host, near: false);
        await using MeshHost second = await StartPeerAsync(host, near: false);
        await using MeshHost newcomer = await StartPeerAsync(host, near: false);
        await using KadRoutingManager owner = NewOwner(host, new KadDhtOptions { BucketSize = 2 });

        owner.PostSeen(oldest.PeerId);
        owner.PostSeen(second.PeerId);
        await owner.FlushAsync(ct);
        Assert.Equal([oldest.PeerId, second.PeerId], Nodes(BucketOf(owner, oldest.PeerId)));

        owner.PostSeen(newcomer.PeerId);
        await owner.FlushIncludingPingsAsync(ct);

        KBucket<KadKey256, PeerId> bucket = BucketOf(owner, newcomer.PeerId);
        // The least-recently-seen peer was pinged (we dialed it; nobody dialed the other one) and answered: it stays
        // and is now the most recently seen; the newcomer did not enter, it waits as the bucket's replacement.
        Assert.True(host.IsConnected(oldest.PeerId));
        Assert.False(host.IsConnected(second.PeerId));
        Assert.Equal([second.PeerId, oldest.PeerId], Nodes(bucket));
        Assert.Equal([newcomer.PeerId], Replacements(bucket));
        Assert.Empty(bucket.PingRequested);
        Assert.False(IsActive(owner, newcomer.PeerId));
        Assert.Equal(2, owner.Table.Count);
    }

    [Fact]
    public async Task A_full_bucket_evicts_its_least_recently_seen_peer_when_the_ping_fails_and_the_newcomer_takes_its_place()
    {
        CancellationToken ct = Timeout();
        await using MeshHost host = await StartHostAsync();
        await using MeshHost gone = await StartPeerAsync(host, near: false);
        await using MeshHost second = await StartPeerAsync(host, near: false);
        await using MeshHost newcomer = await StartPeerAsync(host, near: false);
        await using KadRoutingManager owner = NewOwner(host, new KadDhtOptions { BucketSize = 2 });

        owner.PostSeen(gone.PeerId);
        owner.PostSeen(second.PeerId);
        await owner.FlushAsync(ct);
        // The oldest peer goes away (its listener closes: the ping's dial is refused).
        PeerId goneId = gone.PeerId;
        await gone.DisposeAsync();

        owner.PostSeen(newcomer.PeerId);
        await owner.FlushIncludingPingsAsync(ct);

        KBucket<KadKey256, PeerId> bucket = BucketOf(owner, newcomer.PeerId);
        Assert.False(owner.Table.ContainsPeer(goneId));
        Assert.Equal([second.PeerId, newcomer.PeerId], Nodes(bucket));
        Assert.Empty(Replacements(bucket));
        Assert.Empty(bucket.PingRequested);
        Assert.Equal(2, owner.Table.Count);
        // Only the least-recently-seen peer was pinged.
        Assert.False(host.IsConnected(second.PeerId));
    }

    // ------------------------------------------------------------------ per-IP-group diversity

    private static void Know(MeshHost host, PeerId peer, params string[] addresses) =>
        host.PeerStore.AddAddresses(peer, addresses.Select(Multiaddr.Parse));

    [Fact]
    public async Task Without_a_diversity_limit_every_peer_of_one_ip_group_is_admitted()
    {
        CancellationToken ct = Timeout();
        await using MeshHost host = await StartHostAsync();
        await using KadRoutingManager owner = NewOwner(host, new KadDhtOptions());
        Assert.Null(new KadDhtOptions().MaxPeersPerIpGroup);
        PeerId[] peers = [.. Enumerable.Range(1, 6).Select(_ => PrivateKey.Generate(KeyType.Ed25519).PeerId)];
        for (int i = 0; i < peers.Length; i++)
        {
            Know(host, peers[i], $"/ip4/8.8.{i}.1/tcp/4001");
            owner.PostSeen(peers[i]);
        }
        await owner.FlushAsync(ct);
        Assert.All(peers, p => Assert.True(IsActive(owner, p)));
        Assert.Equal(peers.Length, owner.Table.Count);
    }

    [Fact]
    public async Task With_a_diversity_limit_peers_beyond_it_are_refused_and_others_admitted()
    {
        CancellationToken ct = Timeout();
        await using MeshHost host = await StartHostAsync();
        await using KadRoutingManager owner = NewOwner(host, new KadDhtOptions { MaxPeersPerIpGroup = 2 });
        PeerId New() => PrivateKey.Generate(KeyType.Ed25519).PeerId;
        PeerId g1 = New(), g2 = New(), g3 = New(), g4 = New(), h1 = New(), h2 = New(), lan = New(), loopback = New();
        Know(host, g1, "/ip4/8.8.1.1/tcp/4001");
        Know(host, g2, "/ip4/8.8.2.2/tcp/4001");
        Know(host, g3, "/ip4/8.8.3.3/tcp/4001");
        Know(host, g4, "/ip6/::ffff:8.8.4.4/tcp/4001"); // IPv4-mapped: same group
        Know(host, h1, "/ip4/9.9.1.1/tcp/4001");
        Know(host, h2, "/ip4/127.0.0.1/tcp/4001", "/ip4/9.9.2.2/tcp/4001"); // grouped by its public address
        Know(host, lan, "/ip4/10.0.0.7/tcp/4001");
        Know(host, loopback, "/ip4/127.0.0.1/tcp/4002");
        foreach (PeerId p in new[] { g1, g2, g3, g4, h1, h2, lan, loopback })
        {
            owner.PostSeen(p);
        }
        await owner.FlushAsync(ct);

        Assert.True(IsActive(owner, g1));
        Assert.True(IsActive(owner, g2));
        Assert.False(owner.Table.ContainsPeer(g3));
        Assert.False(owner.Table.ContainsPeer(g4));
        Assert.True(IsActive(owner, h1));
        Assert.True(IsActive(owner, h2));
        Assert.True(IsActive(owner, lan));
        Assert.True(IsActive(owner, loopback));
        Assert.Equal(6, owner.Table.Count);

        // Seeing a member again is not a new entry; a member that stops answering frees its group's slot.
        owner.PostSeen(g1);
        owner.PostFailed(g1);
        owner.PostSeen(g3);
        owner.PostSeen(g4);
        await owner.FlushAsync(ct);
        Assert.False(owner.Table.ContainsPeer(g1));
        Assert.True(IsActive(owner, g3));
        Assert.False(owner.Table.ContainsPeer(g4));
    }

    [Fact]
    public async Task A_replacement_promoted_by_an_eviction_counts_against_its_ip_group()
    {
        CancellationToken ct = Timeout();
        await using MeshHost host = await StartHostAsync();
        KadKey256 self = KeyOf(host.PeerId);
        await using MeshHost gone = await StartPeerAsync(host, near: false); // loopback: exempt from the limit
        await using MeshHost second = await StartPeerAsync(host, near: false);
        await using KadRoutingManager owner = NewOwner(host, new KadDhtOptions { BucketSize = 2, MaxPeersPerIpGroup = 2 });
        owner.PostSeen(gone.PeerId);
        owner.PostSeen(second.PeerId);
        await owner.FlushAsync(ct);
        await gone.DisposeAsync();

        // A public peer arrives at the full far bucket: it waits as a replacement, the ping fails, it is promoted.
        PeerId promoted = PeerOnSide(self, near: false);
        Know(host, promoted, "/ip4/8.8.1.1/tcp/4001");
        owner.PostSeen(promoted);
        await owner.FlushIncludingPingsAsync(ct);
        Assert.True(IsActive(owner, promoted));

        // Its group now has one member: one more fits, the next is refused.
        PeerId w1 = PeerOnSide(self, near: true), w2 = PeerOnSide(self, near: true), w3 = PeerOnSide(self, near: true);
        Know(host, w1, "/ip4/8.8.2.1/tcp/4001");
        Know(host, w2, "/ip4/8.8.2.2/tcp/4001");
        Know(host, w3, "/ip4/8.8.2.3/tcp/4001");
        owner.PostSeen(w1);
        owner.PostSeen(w2);
        owner.PostSeen(w3);
        await owner.FlushAsync(ct);
        Assert.True(IsActive(owner, w1));
        Assert.False(owner.Table.ContainsPeer(w2));
        Assert.False(owner.Table.ContainsPeer(w3));
    }

    [Fact]
    public async Task Replacements_count_against_their_ip_group_until_the_replacement_cache_drops_them()
    {
        CancellationToken ct = Timeout();
        await using MeshHost host = await StartHostAsync();
        KadKey256 self = KeyOf(host.PeerId);
        await using MeshHost first = await StartPeerAsync(host, near: false);
        await using MeshHost second = await StartPeerAsync(host, near: false);
        // k = 2, so each bucket keeps at most 2 replacements.
        await using KadRoutingManager owner = NewOwner(host, new KadDhtOptions { BucketSize = 2, MaxPeersPerIpGroup = 2 });
        owner.PostSeen(first.PeerId);
        owner.PostSeen(second.PeerId);
        await owner.FlushAsync(ct);

        PeerId r1 = PeerOnSide(self, near: false), r2 = PeerOnSide(self, near: false);
        Know(host, r1, "/ip4/8.8.1.1/tcp/4001");
        Know(host, r2, "/ip4/8.8.1.2/tcp/4001");
        owner.PostSeen(r1);
        owner.PostSeen(r2);
        await owner.FlushIncludingPingsAsync(ct); // both live peers answer their pings and stay
        Assert.Equal([r1, r2], Replacements(BucketOf(owner, r1)));

        // The group is full with the two waiting replacements (either may be promoted without asking the owner).
        PeerId w1 = PeerOnSide(self, near: true), w2 = PeerOnSide(self, near: true);
        Know(host, w1, "/ip4/8.8.2.1/tcp/4001");
        Know(host, w2, "/ip4/8.8.2.2/tcp/4001");
        owner.PostSeen(w1);
        await owner.FlushAsync(ct);
        Assert.False(owner.Table.ContainsPeer(w1));

        // Two newer replacements (no public address) push both out of the bounded cache: their slots free up.
        PeerId y1 = PeerOnSide(self, near: false), y2 = PeerOnSide(self, near: false);
        owner.PostSeen(y1);
        owner.PostSeen(y2);
        await owner.FlushIncludingPingsAsync(ct);
        Assert.Equal([y1, y2], Replacements(BucketOf(owner, y1)));
        Assert.False(owner.Table.ContainsPeer(r1));
        Assert.False(owner.Table.ContainsPeer(r2));

        owner.PostSeen(w1);
        owner.PostSeen(w2);
        await owner.FlushAsync(ct);
        Assert.True(IsActive(owner, w1));
        Assert.True(IsActive(owner, w2));
    }
}
