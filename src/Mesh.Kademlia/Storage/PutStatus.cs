namespace Mesh.Kademlia.Storage;

/// <summary>Outcome of a store into a <see cref="DhtLocalStorage"/>. Only <see cref="Stored"/> changed anything.</summary>
public enum PutStatus
{
    /// <summary>
    /// Accepted: a new key or subkey, or a strictly later expiration than the current one. Under
    /// <see cref="CapacityPolicy.EvictEarliestExpiring"/> the record may be the one evicted right away if it expires
    /// first (hivemind reports True in that case too).
    /// </summary>
    Stored,

    /// <summary>The current value (or subkey) expires at the same time or later: newer wins, equal loses.</summary>
    Older,

    /// <summary><c>expiration_time &lt; now</c>: the record is already dead.</summary>
    Expired,

    /// <summary>The record validator refused it.</summary>
    Invalid,

    /// <summary>The value is larger than <see cref="RecordStoreOptions.MaxValueBytes"/>.</summary>
    TooLarge,

    /// <summary>A capacity limit (records, bytes, subkeys per dictionary) is reached and the policy is to refuse.</summary>
    Full,

    /// <summary>The publisher already holds as many records as its quota allows.</summary>
    QuotaExceeded,

    /// <summary>The key, subkey or dictionary payload does not decode, or the expiration is not a number.</summary>
    Malformed,
}

public static class PutStatusExtensions
{
    /// <summary>What <c>StoreResponse.store_ok</c> carries for this outcome.</summary>
    public static bool IsStored(this PutStatus status) => status == PutStatus.Stored;
}
