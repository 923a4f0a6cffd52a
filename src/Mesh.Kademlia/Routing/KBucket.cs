using System.Collections.Immutable;
using Mesh.Kademlia.Keys;

namespace Mesh.Kademlia.Routing;

/// <summary>
/// One k-bucket as published in a <see cref="RoutingTableSnapshot{TKey, TPeer}"/>: the subtree of ids sharing the
/// first <see cref="Depth"/> bits of <see cref="Prefix"/> (hivemind's <c>[lower, upper)</c> with
/// <c>lower = Prefix</c>, <c>upper = Prefix + 2^(width - Depth)</c>), its nodes ordered least-recently-seen first, and
/// its replacement cache ordered least-recently-added first. Immutable: the table's single writer replaces a bucket
/// instead of changing it, so a reader holding a snapshot always sees a consistent bucket.
/// </summary>
public sealed class KBucket<TKey, TPeer>
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull
{
    // Written by the table's writer only, read racily by refresh logic: a staleness timestamp, not table state.
    private long _lastUpdated;

    internal KBucket(
        TKey prefix,
        int depth,
        ImmutableArray<RoutingEntry<TKey, TPeer>> nodes,
        ImmutableArray<RoutingEntry<TKey, TPeer>> replacements,
        ImmutableArray<TKey> pingRequested,
        long lastUpdated)
    {
        Prefix = prefix;
        Depth = depth;
        Nodes = nodes;
        Replacements = replacements;
        PingRequested = pingRequested;
        _lastUpdated = lastUpdated;
    }

    /// <summary>The bucket's lower bound: its prefix followed by zeros.</summary>
    public TKey Prefix { get; }

    /// <summary>Number of leading bits all ids in the bucket share with <see cref="Prefix"/>.</summary>
    public int Depth { get; }

    /// <summary>Active nodes, least-recently-seen first.</summary>
    public ImmutableArray<RoutingEntry<TKey, TPeer>> Nodes { get; }

    /// <summary>Replacement cache, least-recently-added first (the last one is promoted first).</summary>
    public ImmutableArray<RoutingEntry<TKey, TPeer>> Replacements { get; }

    /// <summary>Nodes handed out by <c>request_ping_node</c> that have not answered or been removed yet.</summary>
    public ImmutableArray<TKey> PingRequested { get; }

    /// <summary>
    /// <see cref="TimeProvider.GetTimestamp"/> of the last add or update that reached this bucket (hivemind
    /// <c>KBucket.last_updated</c>), for refreshing stale buckets.
    /// </summary>
    public long LastUpdated => Volatile.Read(ref _lastUpdated);

    internal void Touch(long timestamp) => Volatile.Write(ref _lastUpdated, timestamp);

    /// <summary><c>has_in_range</c>: whether <paramref name="id"/> falls in this bucket's subtree.</summary>
    public bool Covers(in TKey id) => TKey.CommonPrefixLength(id, Prefix) >= Depth;

    internal int IndexOfNode(in TKey id)
    {
        ImmutableArray<RoutingEntry<TKey, TPeer>> nodes = Nodes;
        for (int i = 0; i < nodes.Length; i++)
        {
            if (nodes[i].NodeId.Equals(id))
            {
                return i;
            }
        }
        return -1;
    }

    internal int IndexOfReplacement(in TKey id)
    {
        ImmutableArray<RoutingEntry<TKey, TPeer>> replacements = Replacements;
        for (int i = 0; i < replacements.Length; i++)
        {
            if (replacements[i].NodeId.Equals(id))
            {
                return i;
            }
        }
        return -1;
    }

    internal KBucket<TKey, TPeer> With(
        ImmutableArray<RoutingEntry<TKey, TPeer>>? nodes = null,
        ImmutableArray<RoutingEntry<TKey, TPeer>>? replacements = null,
        ImmutableArray<TKey>? pingRequested = null,
        long? lastUpdated = null) =>
        new(Prefix, Depth, nodes ?? Nodes, replacements ?? Replacements, pingRequested ?? PingRequested, lastUpdated ?? LastUpdated);

    public override string ToString() =>
        $"KBucket({Nodes.Length} nodes with {Replacements.Length} replacements, depth={Depth}, prefix={KadKey.ToHex(Prefix)})";
}
