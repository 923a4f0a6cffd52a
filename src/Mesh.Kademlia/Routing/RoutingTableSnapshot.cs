using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Mesh.Kademlia.Keys;

namespace Mesh.Kademlia.Routing;

/// <summary>
/// An immutable view of a <see cref="RoutingTable{TKey, TPeer}"/> at one instant. Any number of threads may read it
/// without locks while the table's writer publishes newer snapshots; a reader that wants several answers to agree
/// (e.g. an rpc_find over many keys) takes one snapshot and asks it everything.
/// </summary>
public sealed class RoutingTableSnapshot<TKey, TPeer>
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull
{
    private readonly ImmutableDictionary<TPeer, TKey> _peerToNode;

    internal RoutingTableSnapshot(
        TKey localId,
        ImmutableArray<KBucket<TKey, TPeer>> buckets,
        ImmutableDictionary<TPeer, TKey> peerToNode,
        int count,
        int replacementCount)
    {
        LocalId = localId;
        Buckets = buckets;
        _peerToNode = peerToNode;
        Count = count;
        ReplacementCount = replacementCount;
    }

    /// <summary>The table owner's id (never stored in the table).</summary>
    public TKey LocalId { get; }

    /// <summary>The buckets in keyspace order; together they partition the keyspace.</summary>
    public ImmutableArray<KBucket<TKey, TPeer>> Buckets { get; }

    /// <summary>Number of active nodes (not counting replacements).</summary>
    public int Count { get; }

    /// <summary>Number of nodes waiting in replacement caches.</summary>
    public int ReplacementCount { get; }

    internal ImmutableDictionary<TPeer, TKey> PeerToNode => _peerToNode;

    /// <summary><c>get_bucket_index</c>: the bucket whose range holds <paramref name="id"/> (binary search).</summary>
    public int GetBucketIndex(in TKey id) => GetBucketIndex(Buckets, id);

    internal static int GetBucketIndex(ImmutableArray<KBucket<TKey, TPeer>> buckets, in TKey id)
    {
        int lo = 0, hi = buckets.Length;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >>> 1;
            if (id.CompareTo(buckets[mid].Prefix) >= 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>The peer of a node, active or waiting as a replacement (hivemind <c>table[node_id]</c>).</summary>
    public bool TryGetPeer(in TKey nodeId, out TPeer peer)
    {
        KBucket<TKey, TPeer> bucket = Buckets[GetBucketIndex(nodeId)];
        int i = bucket.IndexOfNode(nodeId);
        if (i >= 0)
        {
            peer = bucket.Nodes[i].Peer;
            return true;
        }
        i = bucket.IndexOfReplacement(nodeId);
        if (i >= 0)
        {
            peer = bucket.Replacements[i].Peer;
            return true;
        }
        peer = default!;
        return false;
    }

    /// <summary>The node id a peer last announced (hivemind <c>table[peer_id]</c>), active or replacement.</summary>
    public bool TryGetNodeId(TPeer peer, out TKey nodeId) => _peerToNode.TryGetValue(peer, out nodeId);

    /// <summary><c>node_id in table</c>: active or waiting as a replacement, as hivemind counts it.</summary>
    public bool Contains(in TKey nodeId) => TryGetPeer(nodeId, out _);

    /// <summary><c>peer_id in table</c>.</summary>
    public bool ContainsPeer(TPeer peer) => _peerToNode.ContainsKey(peer);

    /// <summary>Whether the node is active (in its bucket proper, not a replacement).</summary>
    public bool IsActive(in TKey nodeId) => Buckets[GetBucketIndex(nodeId)].IndexOfNode(nodeId) >= 0;

    /// <summary>All active nodes, bucket by bucket.</summary>
    public IEnumerable<RoutingEntry<TKey, TPeer>> ActiveNodes => Buckets.SelectMany(b => b.Nodes);

    /// <summary>
    /// <c>get_nearest_neighbors(query, k, exclude)</c>: up to <paramref name="k"/> active nodes nearest to
    /// <paramref name="query"/> by XOR distance, nearest first, never <paramref name="exclude"/>.
    /// </summary>
    public RoutingEntry<TKey, TPeer>[] GetNearestNeighbors(in TKey query, int k, TKey? exclude = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var result = new RoutingEntry<TKey, TPeer>[Math.Min(k, Count)];
        int n = GetNearestNeighbors(query, result, exclude);
        return n == result.Length ? result : result[..n];
    }

    /// <summary>
    /// Allocation-free form: fills <paramref name="destination"/> (k = its length) nearest first and returns how many
    /// nodes were written.
    /// </summary>
    /// <remarks>
    /// Like hivemind, it starts from the query's bucket and climbs the bucket tree one level at a time, adding the
    /// sibling subtree, until it holds k candidates (k + 1 with an exclusion). Every id inside a subtree that contains
    /// the query is closer to it than any id outside, so the k nearest are among those candidates; only they are
    /// sorted, not the whole table.
    /// </remarks>
    public int GetNearestNeighbors(in TKey query, Span<RoutingEntry<TKey, TPeer>> destination, TKey? exclude = null)
    {
        int k = destination.Length;
        if (k == 0 || Count == 0)
        {
            return 0;
        }
        ImmutableArray<KBucket<TKey, TPeer>> buckets = Buckets;
        int wanted = k + (exclude.HasValue ? 1 : 0);
        int start = GetBucketIndex(query);
        int left = start, right = start + 1;
        int candidates = buckets[start].Nodes.Length;
        int depth = buckets[start].Depth;
        TKey prefix = buckets[start].Prefix;
        while (depth > 0 && candidates < wanted)
        {
            depth--;
            while (left > 0 && TKey.CommonPrefixLength(buckets[left - 1].Prefix, prefix) >= depth)
            {
                left--;
                candidates += buckets[left].Nodes.Length;
            }
            while (right < buckets.Length && TKey.CommonPrefixLength(buckets[right].Prefix, prefix) >= depth)
            {
                candidates += buckets[right].Nodes.Length;
                right++;
            }
        }

        TKey[] distances = ArrayPool<TKey>.Shared.Rent(candidates);
        RoutingEntry<TKey, TPeer>[] entries = ArrayPool<RoutingEntry<TKey, TPeer>>.Shared.Rent(candidates);
        try
        {
            int n = 0;
            for (int b = left; b < right; b++)
            {
                foreach (RoutingEntry<TKey, TPeer> entry in buckets[b].Nodes)
                {
                    if (exclude.HasValue && entry.NodeId.Equals(exclude.GetValueOrDefault()))
                    {
                        continue;
                    }
                    distances[n] = TKey.Xor(entry.NodeId, query);
                    entries[n] = entry;
                    n++;
                }
            }
            distances.AsSpan(0, n).Sort(entries.AsSpan(0, n));
            int written = Math.Min(n, k);
            entries.AsSpan(0, written).CopyTo(destination);
            return written;
        }
        finally
        {
            ArrayPool<TKey>.Shared.Return(distances);
            ArrayPool<RoutingEntry<TKey, TPeer>>.Shared.Return(entries, RuntimeHelpers.IsReferenceOrContainsReferences<TPeer>());
        }
    }
}
