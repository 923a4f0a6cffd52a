namespace Mesh.Kademlia.Traversal;

/// <summary>
/// The knobs of one <see cref="BeamSearch"/> run (hivemind <c>traverse_dht</c>, mesh-reference §1.7). The defaults are
/// the mesh DHT's for a single lookup; the DHT node picks per-call values exactly as hivemind does
/// (<c>find_nearest_nodes</c>: beam = max(bucket_size, k), queries per call = √queries; <c>get_many</c>: beam =
/// bucket_size, queries per call = min(√queries, chunk_size)). For the libp2p Kademlia front-end, beam = k = 20 and
/// workers = alpha.
/// </summary>
public sealed record TraversalOptions
{
    /// <summary>
    /// <c>beam_size</c>: the search for a query ends only once this many nearest nodes found so far have all been
    /// asked (or it was stopped). It is also the most nodes returned per query. Default 20.
    /// </summary>
    public int BeamSize { get; init; } = 20;

    /// <summary>
    /// <c>num_workers</c>: calls in flight at once for the whole traversal. Default 4 (hivemind's
    /// <c>DEFAULT_NUM_WORKERS</c>; the mesh server uses 8, heartbeat stores 32).
    /// </summary>
    public int NumWorkers { get; init; } = 4;

    /// <summary>
    /// <c>queries_per_call</c>: a call carries its primary query plus up to this many minus one other unfinished
    /// queries whose keys are nearest to the peer called. Values below 1 mean 1. Default 1.
    /// </summary>
    public int QueriesPerCall { get; init; } = 1;

    /// <summary>
    /// <c>await_all_tasks</c>: when true (default), the traversal returns after every call still in flight and every
    /// found callback have finished; when false it returns as soon as every query is finished and
    /// <see cref="TraversalResult{TKey, TPeer}.Completion"/> tracks the rest.
    /// </summary>
    public bool AwaitAllTasks { get; init; } = true;

    /// <summary>
    /// Per-call timeout: a call that takes longer is cancelled and counts as failed. Null: none (the mesh protocol
    /// bounds its own RPCs with <c>wait_timeout</c>).
    /// </summary>
    public TimeSpan? CallTimeout { get; init; }

    /// <summary>
    /// Shared bound on calls in flight across traversals (<c>parallel_rpc</c>), taken around every call. Null: only
    /// <see cref="NumWorkers"/> bounds a traversal.
    /// </summary>
    public SemaphoreSlim? ConcurrencyLimit { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BeamSize, 1, nameof(BeamSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(NumWorkers, 1, nameof(NumWorkers));
        if (CallTimeout is { } timeout && timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(CallTimeout), timeout, "must be positive");
        }
    }
}
