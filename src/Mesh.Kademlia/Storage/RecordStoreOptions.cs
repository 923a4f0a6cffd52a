using Mesh.Kademlia.Validation;

namespace Mesh.Kademlia.Storage;

/// <summary>What a full <see cref="DhtLocalStorage"/> does with one more record.</summary>
public enum CapacityPolicy
{
    /// <summary>Refuse it (<see cref="PutStatus.Full"/>): the store keeps what it promised to keep until expiry.</summary>
    Reject,

    /// <summary>
    /// Admit it and evict the records that expire first until the store fits again: hivemind's <c>TimedStorage</c>
    /// with <c>maxsize</c>, what the DHT's cache uses.
    /// </summary>
    EvictEarliestExpiring,
}

/// <summary>
/// Decides whether a publisher (a remote peer, by its raw peer-id bytes) may hold one more record in the store. Called
/// under the store's writer lock: keep it cheap and non-blocking.
/// </summary>
public interface IPublisherQuota
{
    bool CanAdd(ReadOnlySpan<byte> publisher, int recordsHeld);
}

/// <summary>At most <see cref="Limit"/> records (plain values and dictionary subkeys) per publisher.</summary>
public sealed class FixedPublisherQuota(int limit) : IPublisherQuota
{
    public int Limit { get; } = limit >= 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit));

    public bool CanAdd(ReadOnlySpan<byte> publisher, int recordsHeld) => recordsHeld < Limit;
}

/// <summary>Limits and collaborators of a <see cref="DhtLocalStorage"/>. Every limit is checked before anything is stored.</summary>
public sealed record RecordStoreOptions
{
    /// <summary>
    /// Maximum number of keys (hivemind <c>maxsize</c>; the DHT's <c>cache_size</c>). Null: unbounded, as the DHT's main
    /// storage is.
    /// </summary>
    public int? MaxRecords { get; init; }

    /// <summary>
    /// Largest value (plain, or one subkey's) in bytes. hivemind has no such limit; the unary message cap (4 MiB,
    /// mesh-reference §1.6) bounds it in practice, so that is the default.
    /// </summary>
    public int MaxValueBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Bound on the bytes held (keys, subkeys, values and a fixed overhead per entry). Null: unbounded.</summary>
    public long? MaxTotalBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Most subkeys one dictionary value may hold; more are refused with <see cref="PutStatus.Full"/>. A subkey write
    /// copies the dictionary's item array (copy-on-write for lock-free readers), so this also bounds that cost.
    /// </summary>
    public int MaxSubkeysPerDictionary { get; init; } = 4096;

    /// <summary>What happens when <see cref="MaxRecords"/> or <see cref="MaxTotalBytes"/> is reached.</summary>
    public CapacityPolicy CapacityPolicy { get; init; } = CapacityPolicy.Reject;

    /// <summary>Per-publisher record limit, applied to stores that name a publisher. Null: none.</summary>
    public IPublisherQuota? PublisherQuota { get; init; }

    /// <summary>Checked (as a POST) before every store. Null: every record is accepted.</summary>
    public IRecordValidator? Validator { get; init; }

    /// <summary><c>get_dht_time</c>.</summary>
    public DhtClock Clock { get; init; } = DhtClock.System;

    internal void Validate()
    {
        if (MaxRecords is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRecords));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(MaxValueBytes);
        if (MaxTotalBytes is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTotalBytes));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSubkeysPerDictionary, 1);
        ArgumentNullException.ThrowIfNull(Clock);
    }
}
