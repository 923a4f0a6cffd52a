using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;

namespace Mesh.Kademlia.Traversal;

/// <summary>
/// Called exactly once per query, the moment its search finishes or is stopped (hivemind <c>found_callback</c>), so a
/// caller can act on one query (store to its nearest nodes, cache a found value) without waiting for the others. It
/// runs on the traversal's scheduling path up to its first <c>await</c>: keep the synchronous part short.
/// </summary>
/// <param name="result">The finished query.</param>
/// <param name="cancellationToken">Fires when the traversal is cancelled.</param>
public delegate ValueTask TraversalFoundCallback<TKey, TPeer>(TraversalQueryResult<TKey, TPeer> result, CancellationToken cancellationToken)
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull;

/// <summary>What one <see cref="BeamSearch"/> run looks for, where it starts and what it may not call.</summary>
public sealed class TraversalRequest<TKey, TPeer>
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull
{
    /// <summary>The ids to find nearest nodes for (distinct).</summary>
    public required IReadOnlyList<TKey> Queries { get; init; }

    /// <summary>Where the search starts, for every query (typically the local routing table's nearest; duplicates are ignored).</summary>
    public required IReadOnlyList<RoutingEntry<TKey, TPeer>> InitialNodes { get; init; }

    /// <summary>
    /// Node ids never called nor returned, for every query (hivemind passes <c>{query: {own node id}}</c>): typically the
    /// local node.
    /// </summary>
    public IReadOnlyCollection<TKey>? ExcludedNodes { get; init; }

    /// <summary>
    /// Per-query visited nodes from earlier traversals (hivemind's <c>visited_nodes</c> dict), aligned with
    /// <see cref="Queries"/>; those nodes are not called again for that query, nor returned.
    /// </summary>
    public IReadOnlyList<IReadOnlyCollection<TKey>?>? VisitedNodes { get; init; }

    /// <summary>Called once per query when it finishes.</summary>
    public TraversalFoundCallback<TKey, TPeer>? FoundCallback { get; init; }

    /// <summary>
    /// Optional blacklist (hivemind <c>_call_find_with_blacklist</c>): blacklisted peers are not called and not taken
    /// from replies; a peer that answers is cleared, one that does not is banned with backoff.
    /// </summary>
    public PeerBlacklist<TPeer>? Blacklist { get; init; }
}
