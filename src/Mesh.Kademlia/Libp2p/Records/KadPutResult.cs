namespace Mesh.Kademlia.Libp2p.Records;

/// <summary>Outcome of <see cref="KadRecordStore.Put(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>. Only <see cref="Stored"/> changed anything.</summary>
public enum KadPutResult
{
    /// <summary>Stored: a new key, or a value at least as good as the held one (which it replaced).</summary>
    Stored,

    /// <summary>The held value is better (the validator's Select preferred it): go-libp2p-kad-dht's "old record".</summary>
    Older,

    /// <summary>The validator refused the value, or the key has no validator.</summary>
    Invalid,

    /// <summary>The value is larger than <see cref="KadRecordStoreOptions.MaxValueBytes"/>.</summary>
    TooLarge,

    /// <summary>The store holds <see cref="KadRecordStoreOptions.MaxRecords"/> keys or its byte bound.</summary>
    Full,
}
