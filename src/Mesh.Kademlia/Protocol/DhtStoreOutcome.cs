using Mesh.Kademlia.Storage;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// Why an <c>rpc_store</c> entry was or was not stored. On the wire the caller only sees <c>store_ok</c>; the reason
/// is logged and counted (<see cref="DhtProtocolStatistics"/>).
/// </summary>
public enum DhtStoreOutcome
{
    Stored,

    /// <summary>A value with the same or a later expiration is already held (newer wins, mesh-reference §1.6).</summary>
    Older,

    /// <summary>The expiration is already in the past.</summary>
    Expired,

    /// <summary>The expiration is further ahead than <see cref="DhtProtocolOptions.MaxExpirationAhead"/> (or not a number).</summary>
    TooFarInFuture,

    /// <summary>A record validator refused it (forged or missing signature, schema, predicate).</summary>
    Invalid,

    /// <summary>The value is larger than the store's value limit.</summary>
    TooLarge,

    /// <summary>The store is full; nothing was evicted for it.</summary>
    Full,

    /// <summary>The storing peer already holds its quota of records.</summary>
    QuotaExceeded,

    /// <summary>The subkey or dictionary payload does not decode.</summary>
    Malformed,
}

internal static class DhtStoreOutcomes
{
    public const int Count = (int)DhtStoreOutcome.Malformed + 1;

    public static DhtStoreOutcome FromPutStatus(PutStatus status) => status switch
    {
        PutStatus.Stored => DhtStoreOutcome.Stored,
        PutStatus.Older => DhtStoreOutcome.Older,
        PutStatus.Expired => DhtStoreOutcome.Expired,
        PutStatus.Invalid => DhtStoreOutcome.Invalid,
        PutStatus.TooLarge => DhtStoreOutcome.TooLarge,
        PutStatus.Full => DhtStoreOutcome.Full,
        PutStatus.QuotaExceeded => DhtStoreOutcome.QuotaExceeded,
        _ => DhtStoreOutcome.Malformed,
    };
}

/// <summary>Counters of what a <see cref="DhtProtocol"/> served (monotonic; read any time).</summary>
public sealed class DhtProtocolStatistics
{
    private readonly long[] _storeOutcomes = new long[DhtStoreOutcomes.Count];
    private long _pings;
    private long _stores;
    private long _finds;
    private long _malformed;

    public long PingsServed => Interlocked.Read(ref _pings);

    public long StoreRequestsServed => Interlocked.Read(ref _stores);

    public long FindRequestsServed => Interlocked.Read(ref _finds);

    /// <summary>Requests answered with an error because they were malformed.</summary>
    public long MalformedRequests => Interlocked.Read(ref _malformed);

    /// <summary>Store entries from remote peers that ended with <paramref name="outcome"/>.</summary>
    public long GetStoreCount(DhtStoreOutcome outcome) => Interlocked.Read(ref _storeOutcomes[(int)outcome]);

    internal void CountPing() => Interlocked.Increment(ref _pings);

    internal void CountStore() => Interlocked.Increment(ref _stores);

    internal void CountFind() => Interlocked.Increment(ref _finds);

    internal void CountMalformed() => Interlocked.Increment(ref _malformed);

    internal void CountStoreOutcome(DhtStoreOutcome outcome) => Interlocked.Increment(ref _storeOutcomes[(int)outcome]);
}
