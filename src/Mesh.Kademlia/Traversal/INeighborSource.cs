using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;

namespace Mesh.Kademlia.Traversal;

/// <summary>
/// The network as <see cref="BeamSearch"/> sees it (hivemind's <c>get_neighbors</c>): ask one peer for the nodes it
/// knows nearest to each of several queries. The mesh DHT answers with <c>rpc_find</c>, the libp2p Kademlia front-end
/// with <c>FIND_NODE</c>, tests and simulations with an in-memory table.
/// </summary>
/// <remarks>
/// A peer that did not answer (timeout, refused stream, broken reply) is <see cref="NeighborReply{TKey, TPeer}.Failed"/>.
/// Implementations may also throw: any exception other than the traversal's own cancellation counts as a failed call,
/// so one bad peer never ends a lookup. Called concurrently (up to <see cref="TraversalOptions.NumWorkers"/> calls per
/// traversal); implementations must be thread-safe.
/// </remarks>
public interface INeighborSource<TKey, TPeer>
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull
{
    /// <param name="peer">The node to ask.</param>
    /// <param name="queries">The queries packed into this call (the primary one first); not retained past the call.</param>
    /// <param name="cancellationToken">Fires on the per-call timeout or when the traversal is cancelled.</param>
    /// <returns>For each query, in order, the peer's nearest nodes and whether the search for it may stop.</returns>
    ValueTask<NeighborReply<TKey, TPeer>> GetNeighborsAsync(RoutingEntry<TKey, TPeer> peer, ReadOnlyMemory<TKey> queries, CancellationToken cancellationToken);
}

/// <summary>One query's part of a <see cref="NeighborReply{TKey, TPeer}"/>.</summary>
/// <param name="Neighbors">Nodes the peer knows near the query (any order; duplicates and already known ones are ignored).</param>
/// <param name="ShouldStop">
/// hivemind's <c>should_stop</c>: the search for this query is done (e.g. a good enough value was found); it finishes now
/// and no other peer is asked about it.
/// </param>
public readonly record struct QueryNeighbors<TKey, TPeer>(ReadOnlyMemory<RoutingEntry<TKey, TPeer>> Neighbors, bool ShouldStop = false)
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull;

/// <summary>A peer's answer to one <see cref="INeighborSource{TKey, TPeer}.GetNeighborsAsync"/> call.</summary>
public readonly struct NeighborReply<TKey, TPeer>
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull
{
    private NeighborReply(ReadOnlyMemory<QueryNeighbors<TKey, TPeer>> results, bool responded)
    {
        Results = results;
        Responded = responded;
    }

    /// <summary>The peer did not answer: nothing learned, and the peer counts as failed for the blacklist.</summary>
    public static NeighborReply<TKey, TPeer> Failed => default;

    /// <summary>An answer; <paramref name="results"/> is aligned with the queries of the call (missing ones: nothing found).</summary>
    public static NeighborReply<TKey, TPeer> Answered(ReadOnlyMemory<QueryNeighbors<TKey, TPeer>> results) => new(results, true);

    /// <summary>Whether the peer answered.</summary>
    public bool Responded { get; }

    /// <summary>Per query, in the order of the call's queries.</summary>
    public ReadOnlyMemory<QueryNeighbors<TKey, TPeer>> Results { get; }
}

/// <summary>Adapters for <see cref="INeighborSource{TKey, TPeer}"/>.</summary>
public static class NeighborSource
{
    /// <summary>A source backed by a delegate (tests, simulations, small front-ends).</summary>
    public static INeighborSource<TKey, TPeer> FromDelegate<TKey, TPeer>(
        Func<RoutingEntry<TKey, TPeer>, ReadOnlyMemory<TKey>, CancellationToken, ValueTask<NeighborReply<TKey, TPeer>>> getNeighbors)
        where TKey : struct, IKadKey<TKey>
        where TPeer : notnull
    {
        ArgumentNullException.ThrowIfNull(getNeighbors);
        return new DelegateSource<TKey, TPeer>(getNeighbors);
    }

    private sealed class DelegateSource<TKey, TPeer>(
        Func<RoutingEntry<TKey, TPeer>, ReadOnlyMemory<TKey>, CancellationToken, ValueTask<NeighborReply<TKey, TPeer>>> getNeighbors)
        : INeighborSource<TKey, TPeer>
        where TKey : struct, IKadKey<TKey>
        where TPeer : notnull
    {
        public ValueTask<NeighborReply<TKey, TPeer>> GetNeighborsAsync(RoutingEntry<TKey, TPeer> peer, ReadOnlyMemory<TKey> queries, CancellationToken cancellationToken) =>
            getNeighbors(peer, queries, cancellationToken);
    }
}
