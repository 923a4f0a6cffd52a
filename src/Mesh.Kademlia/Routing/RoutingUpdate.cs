using Mesh.Kademlia.Keys;

namespace Mesh.Kademlia.Routing;

/// <summary>What <see cref="RoutingTable{TKey, TPeer}.AddOrUpdate"/> did with a node.</summary>
public enum RoutingUpdateOutcome
{
    /// <summary>A new node took a free slot in its bucket (possibly after splits).</summary>
    Added,

    /// <summary>A known node moved to the most-recently-seen end of its bucket (its peer may have changed).</summary>
    Updated,

    /// <summary>The bucket is full and cannot split: the node waits in the bucket's replacement cache.</summary>
    Replacement,

    /// <summary>The node id is the table's own id, which is never stored.</summary>
    RejectedLocalId,
}

/// <summary>
/// Result of <see cref="RoutingTable{TKey, TPeer}.AddOrUpdate"/>. When the node's bucket is full,
/// <see cref="PingCandidate"/> is the least-recently-seen node of that bucket not already being pinged
/// (<c>request_ping_node</c>, Kademlia §2.2): the owner should ping it, call <c>AddOrUpdate</c> for it if it answers
/// and <c>Remove</c> it if not, which promotes the newest replacement.
/// </summary>
public readonly record struct RoutingUpdate<TKey, TPeer>(RoutingUpdateOutcome Outcome, RoutingEntry<TKey, TPeer>? PingCandidate)
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull;
