using System.Collections.Immutable;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;

namespace Mesh.Kademlia.Traversal;

/// <summary>How one query of a traversal ended.</summary>
public sealed class TraversalQueryResult<TKey, TPeer>
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull
{
    internal TraversalQueryResult(TKey query, int index, ImmutableArray<RoutingEntry<TKey, TPeer>> nearest, IReadOnlySet<TKey> visited, bool stopped, int hops)
    {
        Query = query;
        Index = index;
        Nearest = nearest;
        Visited = visited;
        Stopped = stopped;
        Hops = hops;
    }

    public TKey Query { get; }

    /// <summary>Position of the query in <see cref="TraversalRequest{TKey, TPeer}.Queries"/>.</summary>
    public int Index { get; }

    /// <summary>Up to <see cref="TraversalOptions.BeamSize"/> nearest nodes found (asked or not), nearest first.</summary>
    public ImmutableArray<RoutingEntry<TKey, TPeer>> Nearest { get; }

    /// <summary>Every node called for this query, plus the excluded and previously visited ones.</summary>
    public IReadOnlySet<TKey> Visited { get; }

    /// <summary>Whether a reply's <see cref="QueryNeighbors{TKey, TPeer}.ShouldStop"/> ended the search.</summary>
    public bool Stopped { get; }

    /// <summary>
    /// Length of the referral chain: for a stopped query, the call that stopped it (1 when an initial node answered);
    /// otherwise the longest chain among the replies it used. 0 when no call was made.
    /// </summary>
    public int Hops { get; }
}

/// <summary>Counters of one traversal.</summary>
public readonly record struct TraversalStatistics(int Calls, int FailedCalls, int BlacklistedSkips);

/// <summary>What <see cref="BeamSearch.TraverseAsync"/> returns.</summary>
public sealed class TraversalResult<TKey, TPeer>
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull
{
    internal TraversalResult(ImmutableArray<TraversalQueryResult<TKey, TPeer>> queries, TraversalStatistics statistics, Task completion)
    {
        Queries = queries;
        Statistics = statistics;
        Completion = completion;
    }

    /// <summary>One result per query, aligned with <see cref="TraversalRequest{TKey, TPeer}.Queries"/>.</summary>
    public ImmutableArray<TraversalQueryResult<TKey, TPeer>> Queries { get; }

    /// <summary>Counters as of the return (calls still in flight are not counted).</summary>
    public TraversalStatistics Statistics { get; }

    /// <summary>
    /// Calls still in flight and found callbacks still running at the return, when
    /// <see cref="TraversalOptions.AwaitAllTasks"/> is false (their replies are ignored; a found callback's exception
    /// faults this task); otherwise already complete. The owner of the traversal should await it before shutting down.
    /// </summary>
    public Task Completion { get; }
}
