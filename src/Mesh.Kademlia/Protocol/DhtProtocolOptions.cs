using Mesh.Kademlia.Storage;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// Settings of a <see cref="DhtProtocol"/> (mesh-reference §1.2, §1.4-§1.6, <c>DHTProtocol.create</c>). Defaults are
/// mesh's; the limits mesh lacks have defaults that no mesh peer reaches in normal use.
/// </summary>
public sealed record DhtProtocolOptions
{
    /// <summary>Kademlia k: nodes per bucket and nodes returned per key by <c>rpc_find</c> (default 20).</summary>
    public int BucketSize { get; init; } = 20;

    /// <summary>Kademlia b (default 5).</summary>
    public int DepthModulo { get; init; } = 5;

    /// <summary>Replicas per key: decides which stored keys a newly met node is handed (default 5).</summary>
    public int NumReplicas { get; init; } = 5;

    /// <summary><c>wait_timeout</c>: an outgoing RPC without a reply by then counts as lost (default 3 s).</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary><c>parallel_rpc</c>: most outgoing RPCs in flight at once (default: unbounded).</summary>
    public int? ParallelRpc { get; init; }

    /// <summary>
    /// <c>client_mode</c>: serve nothing and send an empty <c>NodeInfo</c>, so peers never put this node in their routing
    /// tables.
    /// </summary>
    public bool ClientMode { get; init; }

    /// <summary><c>cache_size</c>: most records in the cache (default: unbounded count; bytes are bounded).</summary>
    public int? CacheSize { get; init; }

    /// <summary>Bytes the storage may hold (values, keys, overhead). Default 256 MiB; when full, new stores are refused, nothing is evicted.</summary>
    public long MaxStorageBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Bytes the cache may hold before it evicts the earliest-expiring entries. Default 64 MiB.</summary>
    public long MaxCacheBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Records (plain values and dictionary subkeys) one remote peer may hold in the storage (default 4,096). A peer over
    /// its quota gets <c>store_ok = false</c>; nothing is evicted to make room.
    /// </summary>
    public int MaxStoredRecordsPerPeer { get; init; } = 4096;

    /// <summary>Records one remote peer may hold in the cache (default 1,024).</summary>
    public int MaxCachedRecordsPerPeer { get; init; } = 1024;

    /// <summary>
    /// Keys one <c>rpc_store</c> or <c>rpc_find</c> may carry (default 4,096; mesh sends at most <c>chunk_size</c> = 16
    /// keys per find, and one store per key with its subkeys). A larger request gets an error reply.
    /// </summary>
    public int MaxKeysPerRequest { get; init; } = 4096;

    /// <summary>
    /// Furthest an accepted expiration may lie in the future (default 30 days; mesh has no bound, so a record with an
    /// expiration of 1e300 would be kept forever). A store beyond it is refused.
    /// </summary>
    public TimeSpan? MaxExpirationAhead { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Most nearest-peer entries taken from one <c>FindResult</c> (a peer may send any number; default 256).</summary>
    public int MaxNeighborsPerResult { get; init; } = 256;

    /// <summary>Most background RPCs (replication to new nodes, ping-before-evict) in flight; more are skipped (default 64).</summary>
    public int MaxBackgroundCalls { get; init; } = 64;

    /// <summary>Routing updates waiting for the routing table's owner; more are dropped (default 8,192).</summary>
    public int RoutingQueueCapacity { get; init; } = 8192;

    /// <summary>Time for <c>dht_time</c>, expirations, timeouts and bucket staleness (default: the system clock).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary><c>get_dht_time</c>; default: <see cref="TimeProvider"/>'s wall clock in unix seconds.</summary>
    public DhtClock? Clock { get; init; }

    internal DhtClock EffectiveClock => Clock ?? (ReferenceEquals(TimeProvider, TimeProvider.System) ? DhtClock.System : DhtClock.FromTimeProvider(TimeProvider));

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BucketSize, 1, nameof(BucketSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(DepthModulo, 1, nameof(DepthModulo));
        ArgumentOutOfRangeException.ThrowIfLessThan(NumReplicas, 1, nameof(NumReplicas));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(WaitTimeout, TimeSpan.Zero, nameof(WaitTimeout));
        if (ParallelRpc is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ParallelRpc), ParallelRpc, "must be at least 1");
        }
        if (CacheSize is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CacheSize), CacheSize, "must not be negative");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(MaxStorageBytes, nameof(MaxStorageBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxCacheBytes, nameof(MaxCacheBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxStoredRecordsPerPeer, nameof(MaxStoredRecordsPerPeer));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxCachedRecordsPerPeer, nameof(MaxCachedRecordsPerPeer));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKeysPerRequest, 1, nameof(MaxKeysPerRequest));
        if (MaxExpirationAhead is { } ahead && ahead <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxExpirationAhead), ahead, "must be positive");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNeighborsPerResult, 1, nameof(MaxNeighborsPerResult));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackgroundCalls, 1, nameof(MaxBackgroundCalls));
        ArgumentOutOfRangeException.ThrowIfLessThan(RoutingQueueCapacity, 1, nameof(RoutingQueueCapacity));
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
