using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Mesh.Kademlia.Keys;

namespace Mesh.Kademlia.Routing;

/// <summary>
/// A Kademlia routing table with hivemind/mesh semantics (mesh-reference §1.4, <c>mesh/dht/routing.py</c>):
/// k-buckets over the keyspace starting as one bucket, least-recently-seen order, a split when a full bucket covers
/// the local id or its depth is not a multiple of b, a replacement cache per bucket, "ping before evict", and
/// nearest-neighbour queries by XOR distance. Generic over the key width (<see cref="DhtId"/> for mesh,
/// <see cref="KadKey256"/> for libp2p kad) and over the peer handle (mesh: the libp2p peer id).
/// </summary>
/// <remarks>
/// <para><b>Concurrency: one writer, lock-free readers.</b> The mutating methods (<see cref="AddOrUpdate"/>,
/// <see cref="Remove"/>, <see cref="RemovePeer"/>) belong to a single owner: the DHT node serialises every routing
/// update through its one routing actor (the protocol handlers post "node seen" / "node failed" events to it; they
/// never call these methods themselves). Concurrent calls are detected and refused with
/// <see cref="InvalidOperationException"/> rather than silently corrupting the table. Each mutation builds new
/// immutable buckets (copy-on-write; a bucket holds at most k nodes) and publishes a new
/// <see cref="RoutingTableSnapshot{TKey, TPeer}"/> with <see cref="Volatile.Write{T}(ref T, T)"/>; readers on any
/// thread (<see cref="Snapshot"/>, <see cref="GetNearestNeighbors(in TKey, int, TKey?)"/>, <see cref="Contains"/>) take
/// the latest snapshot with <see cref="Volatile.Read{T}(ref readonly T)"/> and never block or see a torn state.</para>
/// <para><b>Deliberate differences from hivemind.</b> The replacement cache is bounded (see
/// <see cref="RoutingTableOptions.ReplacementCacheSize"/>). A split sends an id equal to the midpoint to the upper
/// half, where its range is (hivemind's <c>int(node_id) &lt;= midpoint</c> puts it in the lower half, outside that
/// bucket's range). Pending ping requests survive a split. The local id is refused.</para>
/// </remarks>
public sealed class RoutingTable<TKey, TPeer>
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull
{
    private readonly RoutingTableOptions _options;
    private readonly int _replacementCapacity;
    private RoutingTableSnapshot<TKey, TPeer> _snapshot;
    private int _writerActive;

    public RoutingTable(TKey localId, RoutingTableOptions? options = null)
    {
        _options = options ?? new RoutingTableOptions();
        _options.Validate();
        _replacementCapacity = _options.EffectiveReplacementCacheSize;
        var root = new KBucket<TKey, TPeer>(TKey.Zero, 0, [], [], [], _options.TimeProvider.GetTimestamp());
        _snapshot = new RoutingTableSnapshot<TKey, TPeer>(localId, [root], ImmutableDictionary<TPeer, TKey>.Empty, 0, 0);
    }

    public TKey LocalId => _snapshot.LocalId;

    public RoutingTableOptions Options => _options;

    /// <summary>The latest published state. Safe from any thread.</summary>
    public RoutingTableSnapshot<TKey, TPeer> Snapshot => Volatile.Read(ref _snapshot);

    // ---- readers (any thread) ------------------------------------------------------------------------------------

    public int Count => Snapshot.Count;

    public bool Contains(in TKey nodeId) => Snapshot.Contains(nodeId);

    public bool ContainsPeer(TPeer peer) => Snapshot.ContainsPeer(peer);

    public bool TryGetPeer(in TKey nodeId, out TPeer peer) => Snapshot.TryGetPeer(nodeId, out peer);

    public bool TryGetNodeId(TPeer peer, out TKey nodeId) => Snapshot.TryGetNodeId(peer, out nodeId);

    /// <inheritdoc cref="RoutingTableSnapshot{TKey, TPeer}.GetNearestNeighbors(in TKey, int, TKey?)"/>
    public RoutingEntry<TKey, TPeer>[] GetNearestNeighbors(in TKey query, int k, TKey? exclude = null) =>
        Snapshot.GetNearestNeighbors(query, k, exclude);

    /// <inheritdoc cref="RoutingTableSnapshot{TKey, TPeer}.GetNearestNeighbors(in TKey, Span{RoutingEntry{TKey, TPeer}}, TKey?)"/>
    public int GetNearestNeighbors(in TKey query, Span<RoutingEntry<TKey, TPeer>> destination, TKey? exclude = null) =>
        Snapshot.GetNearestNeighbors(query, destination, exclude);

    /// <summary>
    /// Buckets not updated for <paramref name="period"/>, each with a random id inside it to look up
    /// (hivemind <c>_refresh_routing_table</c>; mesh leaves refresh off by default).
    /// </summary>
    public IReadOnlyList<(KBucket<TKey, TPeer> Bucket, TKey RefreshTarget)> GetStaleBuckets(TimeSpan period, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        TimeProvider clock = _options.TimeProvider;
        long now = clock.GetTimestamp();
        var stale = new List<(KBucket<TKey, TPeer>, TKey)>();
        foreach (KBucket<TKey, TPeer> bucket in Snapshot.Buckets)
        {
            if (clock.GetElapsedTime(bucket.LastUpdated, now) >= period)
            {
                stale.Add((bucket, KadKey.RandomInSubtree(bucket.Prefix, bucket.Depth, random)));
            }
        }
        return stale;
    }

    // ---- writer (single owner) -----------------------------------------------------------------------------------

    /// <summary>
    /// <c>add_or_update_node</c>: records that <paramref name="nodeId"/> (reachable as <paramref name="peer"/>) was just
    /// seen, after an incoming request or an answered outgoing one. Writer only.
    /// </summary>
    public RoutingUpdate<TKey, TPeer> AddOrUpdate(TKey nodeId, TPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        EnterWriter();
        try
        {
            RoutingTableSnapshot<TKey, TPeer> s = _snapshot;
            if (nodeId.Equals(s.LocalId))
            {
                return new(RoutingUpdateOutcome.RejectedLocalId, null);
            }
            ImmutableArray<KBucket<TKey, TPeer>> buckets = s.Buckets;
            ImmutableDictionary<TPeer, TKey> peers = s.PeerToNode;
            long now = _options.TimeProvider.GetTimestamp();
            int count = s.Count, replacementCount = s.ReplacementCount;

            while (true)
            {
                int index = RoutingTableSnapshot<TKey, TPeer>.GetBucketIndex(buckets, nodeId);
                KBucket<TKey, TPeer> bucket = buckets[index];
                ImmutableArray<TKey> pending = Without(bucket.PingRequested, nodeId);
                var entry = new RoutingEntry<TKey, TPeer>(nodeId, peer);

                int existing = bucket.IndexOfNode(nodeId);
                if (existing >= 0)
                {
                    TPeer oldPeer = bucket.Nodes[existing].Peer;
                    if (existing == bucket.Nodes.Length - 1 && EqualityComparer<TPeer>.Default.Equals(oldPeer, peer) && pending.Length == bucket.PingRequested.Length)
                    {
                        // Already the most recently seen with the same peer: only the staleness clock moves.
                        bucket.Touch(now);
                        peers = Remap(peers, oldPeer, nodeId, peer);
                        Publish(s, buckets, peers, count, replacementCount);
                        return new(RoutingUpdateOutcome.Updated, null);
                    }
                    ImmutableArray<RoutingEntry<TKey, TPeer>> moved = MoveToEnd(bucket.Nodes, existing, entry);
                    buckets = buckets.SetItem(index, bucket.With(nodes: moved, pingRequested: pending, lastUpdated: now));
                    Publish(s, buckets, Remap(peers, oldPeer, nodeId, peer), count, replacementCount);
                    return new(RoutingUpdateOutcome.Updated, null);
                }

                if (bucket.Nodes.Length < _options.BucketSize)
                {
                    ImmutableArray<RoutingEntry<TKey, TPeer>> replacements = bucket.Replacements;
                    int r = bucket.IndexOfReplacement(nodeId);
                    if (r >= 0)
                    {
                        // Cannot normally happen (a bucket with room has no replacements), but keep the sets disjoint.
                        peers = Unmap(peers, replacements[r]);
                        replacements = replacements.RemoveAt(r);
                        replacementCount--;
                    }
                    buckets = buckets.SetItem(index, bucket.With(nodes: bucket.Nodes.Add(entry), replacements: replacements, pingRequested: pending, lastUpdated: now));
                    Publish(s, buckets, peers.SetItem(peer, nodeId), count + 1, replacementCount);
                    return new(RoutingUpdateOutcome.Added, null);
                }

                // Full. Split if the bucket covers our own id or its depth is not a multiple of b (paper §4.2).
                if (bucket.Depth < TKey.BitLength && (bucket.Covers(s.LocalId) || bucket.Depth % _options.DepthModulo != 0))
                {
                    (KBucket<TKey, TPeer> lower, KBucket<TKey, TPeer> upper, int promoted) = Split(bucket, now);
                    buckets = buckets.SetItem(index, lower).Insert(index + 1, upper);
                    count += promoted;
                    replacementCount -= promoted;
                    continue;
                }

                // Cannot split: the node waits as the most recent replacement, and the owner pings the bucket's
                // least-recently-seen node that is not already being pinged.
                ImmutableArray<RoutingEntry<TKey, TPeer>> cache = bucket.Replacements;
                int old = bucket.IndexOfReplacement(nodeId);
                if (old >= 0)
                {
                    // Seen again while waiting: it becomes the most recent replacement (one copy, not remove + add).
                    // (With a zero-size cache nothing ever waits, so old >= 0 means there is a cache.)
                    peers = Remap(peers, cache[old].Peer, nodeId, peer);
                    cache = MoveToEnd(cache, old, entry);
                    buckets = buckets.SetItem(index, bucket.With(replacements: cache, pingRequested: pending, lastUpdated: now));
                    (RoutingEntry<TKey, TPeer>? again, buckets) = RequestPing(buckets, index);
                    Publish(s, buckets, peers, count, replacementCount);
                    return new(RoutingUpdateOutcome.Replacement, again);
                }
                if (_replacementCapacity == 0)
                {
                    buckets = buckets.SetItem(index, bucket.With(replacements: cache, pingRequested: pending, lastUpdated: now));
                    (RoutingEntry<TKey, TPeer>? ping0, buckets) = RequestPing(buckets, index);
                    Publish(s, buckets, peers, count, replacementCount);
                    return new(RoutingUpdateOutcome.Replacement, ping0);
                }
                while (cache.Length >= _replacementCapacity)
                {
                    peers = Unmap(peers, cache[0]);
                    cache = cache.RemoveAt(0);
                    replacementCount--;
                }
                cache = cache.Add(entry);
                replacementCount++;
                peers = peers.SetItem(peer, nodeId);
                buckets = buckets.SetItem(index, bucket.With(replacements: cache, pingRequested: pending, lastUpdated: now));
                (RoutingEntry<TKey, TPeer>? ping, buckets) = RequestPing(buckets, index);
                Publish(s, buckets, peers, count, replacementCount);
                return new(RoutingUpdateOutcome.Replacement, ping);
            }
        }
        finally
        {
            ExitWriter();
        }
    }

    /// <summary>
    /// <c>del table[node_id]</c>: forgets a node (it failed to answer). An active node's slot goes to the most recently
    /// added replacement. Returns false if the node was not in the table. Writer only.
    /// </summary>
    public bool Remove(TKey nodeId)
    {
        EnterWriter();
        try
        {
            RoutingTableSnapshot<TKey, TPeer> s = _snapshot;
            ImmutableArray<KBucket<TKey, TPeer>> buckets = s.Buckets;
            int index = s.GetBucketIndex(nodeId);
            KBucket<TKey, TPeer> bucket = buckets[index];
            ImmutableArray<TKey> pending = Without(bucket.PingRequested, nodeId);

            int r = bucket.IndexOfReplacement(nodeId);
            if (r >= 0)
            {
                ImmutableDictionary<TPeer, TKey> peers = Unmap(s.PeerToNode, bucket.Replacements[r]);
                buckets = buckets.SetItem(index, bucket.With(replacements: bucket.Replacements.RemoveAt(r), pingRequested: pending));
                Publish(s, buckets, peers, s.Count, s.ReplacementCount - 1);
                return true;
            }
            int i = bucket.IndexOfNode(nodeId);
            if (i < 0)
            {
                return false;
            }
            ImmutableDictionary<TPeer, TKey> map = Unmap(s.PeerToNode, bucket.Nodes[i]);
            ImmutableArray<RoutingEntry<TKey, TPeer>> nodes = bucket.Nodes.RemoveAt(i);
            ImmutableArray<RoutingEntry<TKey, TPeer>> cache = bucket.Replacements;
            int count = s.Count - 1, replacementCount = s.ReplacementCount;
            if (!cache.IsEmpty)
            {
                // hivemind: replacement_nodes.popitem(), the most recently added one.
                nodes = nodes.Add(cache[^1]);
                cache = cache.RemoveAt(cache.Length - 1);
                count++;
                replacementCount--;
            }
            buckets = buckets.SetItem(index, bucket.With(nodes: nodes, replacements: cache, pingRequested: pending));
            Publish(s, buckets, map, count, replacementCount);
            return true;
        }
        finally
        {
            ExitWriter();
        }
    }

    /// <summary>Removes the node a peer last announced, if any (an RPC to that peer got no answer). Writer only.</summary>
    public bool RemovePeer(TPeer peer) => TryGetNodeId(peer, out TKey nodeId) && Remove(nodeId);

    // ---- internals -----------------------------------------------------------------------------------------------

    private (KBucket<TKey, TPeer> Lower, KBucket<TKey, TPeer> Upper, int Promoted) Split(KBucket<TKey, TPeer> bucket, long now)
    {
        int depth = bucket.Depth + 1;
        TKey upperPrefix = KadKey.WithBitSet(bucket.Prefix, bucket.Depth);
        var lowerNodes = ImmutableArray.CreateBuilder<RoutingEntry<TKey, TPeer>>();
        var upperNodes = ImmutableArray.CreateBuilder<RoutingEntry<TKey, TPeer>>();
        var lowerCache = ImmutableArray.CreateBuilder<RoutingEntry<TKey, TPeer>>();
        var upperCache = ImmutableArray.CreateBuilder<RoutingEntry<TKey, TPeer>>();
        foreach (RoutingEntry<TKey, TPeer> e in bucket.Nodes)
        {
            (e.NodeId.GetBit(bucket.Depth) ? upperNodes : lowerNodes).Add(e);
        }
        // As hivemind re-adds replacements after the nodes: they fill free slots of the halves first.
        int promoted = 0;
        foreach (RoutingEntry<TKey, TPeer> e in bucket.Replacements)
        {
            bool up = e.NodeId.GetBit(bucket.Depth);
            ImmutableArray<RoutingEntry<TKey, TPeer>>.Builder nodes = up ? upperNodes : lowerNodes;
            if (nodes.Count < _options.BucketSize)
            {
                nodes.Add(e);
                promoted++;
            }
            else
            {
                (up ? upperCache : lowerCache).Add(e);
            }
        }
        ImmutableArray<TKey> lowerPending = bucket.PingRequested.Where(id => !id.GetBit(bucket.Depth)).ToImmutableArray();
        ImmutableArray<TKey> upperPending = bucket.PingRequested.Where(id => id.GetBit(bucket.Depth)).ToImmutableArray();
        return (
            new KBucket<TKey, TPeer>(bucket.Prefix, depth, lowerNodes.ToImmutable(), lowerCache.ToImmutable(), lowerPending, now),
            new KBucket<TKey, TPeer>(upperPrefix, depth, upperNodes.ToImmutable(), upperCache.ToImmutable(), upperPending, now),
            promoted);
    }

    private static (RoutingEntry<TKey, TPeer>?, ImmutableArray<KBucket<TKey, TPeer>>) RequestPing(ImmutableArray<KBucket<TKey, TPeer>> buckets, int index)
    {
        KBucket<TKey, TPeer> bucket = buckets[index];
        foreach (RoutingEntry<TKey, TPeer> e in bucket.Nodes)
        {
            if (!bucket.PingRequested.Contains(e.NodeId))
            {
                return (e, buckets.SetItem(index, bucket.With(pingRequested: bucket.PingRequested.Add(e.NodeId))));
            }
        }
        return (null, buckets);
    }

    /// <summary>
    /// The entries with the one at <paramref name="index"/> taken out and <paramref name="entry"/> appended, in one
    /// array: the move-to-most-recent that every "seen" of a known node makes, so it is the routing writer's hot path.
    /// </summary>
    private static ImmutableArray<RoutingEntry<TKey, TPeer>> MoveToEnd(ImmutableArray<RoutingEntry<TKey, TPeer>> entries, int index, in RoutingEntry<TKey, TPeer> entry)
    {
        var moved = new RoutingEntry<TKey, TPeer>[entries.Length];
        ReadOnlySpan<RoutingEntry<TKey, TPeer>> source = entries.AsSpan();
        source[..index].CopyTo(moved);
        source[(index + 1)..].CopyTo(moved.AsSpan(index));
        moved[^1] = entry;
        return ImmutableCollectionsMarshal.AsImmutableArray(moved);
    }

    private static ImmutableArray<TKey> Without(ImmutableArray<TKey> pending, in TKey id)
    {
        int i = pending.IndexOf(id);
        return i < 0 ? pending : pending.RemoveAt(i);
    }

    private static ImmutableDictionary<TPeer, TKey> Remap(ImmutableDictionary<TPeer, TKey> peers, TPeer oldPeer, in TKey nodeId, TPeer newPeer)
    {
        if (!EqualityComparer<TPeer>.Default.Equals(oldPeer, newPeer) && peers.TryGetValue(oldPeer, out TKey mapped) && mapped.Equals(nodeId))
        {
            peers = peers.Remove(oldPeer);
        }
        return peers.TryGetValue(newPeer, out TKey current) && current.Equals(nodeId) ? peers : peers.SetItem(newPeer, nodeId);
    }

    private static ImmutableDictionary<TPeer, TKey> Unmap(ImmutableDictionary<TPeer, TKey> peers, in RoutingEntry<TKey, TPeer> entry) =>
        peers.TryGetValue(entry.Peer, out TKey mapped) && mapped.Equals(entry.NodeId) ? peers.Remove(entry.Peer) : peers;

    private void Publish(
        RoutingTableSnapshot<TKey, TPeer> previous,
        ImmutableArray<KBucket<TKey, TPeer>> buckets,
        ImmutableDictionary<TPeer, TKey> peers,
        int count,
        int replacementCount)
    {
        if (buckets == previous.Buckets && peers == previous.PeerToNode && count == previous.Count && replacementCount == previous.ReplacementCount)
        {
            return;
        }
        Volatile.Write(ref _snapshot, new RoutingTableSnapshot<TKey, TPeer>(previous.LocalId, buckets, peers, count, replacementCount));
    }

    private void EnterWriter()
    {
        if (Interlocked.Exchange(ref _writerActive, 1) != 0)
        {
            throw new InvalidOperationException(
                "RoutingTable has a single writer: AddOrUpdate/Remove were called concurrently. Route every routing update through the table's owner.");
        }
    }

    private void ExitWriter() => Volatile.Write(ref _writerActive, 0);
}
