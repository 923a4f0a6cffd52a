using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Validation;

namespace Mesh.Kademlia.Storage;

/// <summary>
/// The two stores every mesh DHT node keeps (mesh-reference §1.6): <see cref="Storage"/>, records this node is one of
/// the replicas for (kept until they expire), and <see cref="Cache"/>, records it looked up or was asked to cache
/// (<c>StoreRequest.in_cache</c>), bounded by <c>cache_size</c> and evicting the earliest-expiring. Both validate
/// with the same validator.
/// </summary>
public sealed class DhtRecordStores
{
    public DhtRecordStores(DhtLocalStorage storage, DhtLocalStorage cache)
    {
        Storage = storage ?? throw new ArgumentNullException(nameof(storage));
        Cache = cache ?? throw new ArgumentNullException(nameof(cache));
    }

    /// <summary>
    /// The DHT node's defaults: unbounded-count storage that refuses when full, a cache of <paramref name="cacheSize"/>
    /// records (null: unbounded, as <c>cache_size=None</c>) that evicts; both bounded in bytes by
    /// <see cref="RecordStoreOptions.MaxTotalBytes"/>.
    /// </summary>
    public static DhtRecordStores Create(IRecordValidator? validator = null, int? cacheSize = null, DhtClock? clock = null)
    {
        var storage = new RecordStoreOptions { Validator = validator, Clock = clock ?? DhtClock.System };
        var cache = storage with { MaxRecords = cacheSize, CapacityPolicy = CapacityPolicy.EvictEarliestExpiring };
        return new DhtRecordStores(new DhtLocalStorage(storage), new DhtLocalStorage(cache));
    }

    public DhtLocalStorage Storage { get; }

    public DhtLocalStorage Cache { get; }

    /// <summary>The store an <c>rpc_store</c> entry goes to (<c>in_cache[i]</c>).</summary>
    public DhtLocalStorage Select(bool inCache) => inCache ? Cache : Storage;

    /// <summary>
    /// What <c>rpc_find</c> answers for a key: the stored value, or the cached one when it expires later.
    /// Lock-free, like the lookups it is made of.
    /// </summary>
    public bool TryFind(DhtId key, out StoredValue value)
    {
        bool stored = Storage.TryGet(key, out value);
        if (Cache.TryGet(key, out StoredValue cached) && (!stored || cached.ExpirationTime > value.ExpirationTime))
        {
            value = cached;
            return true;
        }
        return stored;
    }
}
