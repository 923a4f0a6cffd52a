using Mesh.Kademlia.Serialization;

namespace Mesh.Kademlia.Storage;

/// <summary>
/// One key's entry in a <see cref="DhtLocalStorage"/>. Immutable once published: the writer replaces entries, readers
/// keep whatever version they looked up. <see cref="Generation"/> tells the expiration heap which version a heap
/// entry was made for.
/// </summary>
internal abstract class StoredRecord(double expirationTime, long generation)
{
    /// <summary>Fixed accounting overhead per entry (map node, record object, heap entry).</summary>
    public const int EntryOverhead = 96;

    /// <summary>Fixed accounting overhead per dictionary subkey (item struct, index entry).</summary>
    public const int ItemOverhead = 48;

    public double ExpirationTime { get; } = expirationTime;

    public long Generation { get; } = generation;

    /// <summary>Bytes charged against <see cref="RecordStoreOptions.MaxTotalBytes"/>.</summary>
    public abstract long Bytes { get; }

    /// <summary>Records charged to publishers (and to whom).</summary>
    public abstract IEnumerable<byte[]> Publishers { get; }

    public abstract StoredValue ToStoredValue(double now, bool frozen);
}

internal sealed class RegularRecord(ReadOnlyMemory<byte> value, double expirationTime, long generation, byte[]? publisher)
    : StoredRecord(expirationTime, generation)
{
    public ReadOnlyMemory<byte> Value { get; } = value;

    public byte[]? Publisher { get; } = publisher;

    public override long Bytes => EntryOverhead + Value.Length;

    public override IEnumerable<byte[]> Publishers => Publisher is null ? [] : [Publisher];

    public override StoredValue ToStoredValue(double now, bool frozen) => new(Value, ExpirationTime);
}

/// <summary>
/// A <c>DictionaryDHTValue</c> held by the store: items in insertion order (a newer expiration replaces an item in
/// place), each with the publisher it is charged to, the dictionary's <c>latest_expiration_time</c>, and, for the
/// writer only, an index from packed subkey to position that successive versions share.
/// </summary>
internal sealed class DictionaryRecord : StoredRecord
{
    private DictionaryDhtValue? _fullView;
    private byte[]? _packedFullView;

    public DictionaryRecord(
        DictionaryDhtItem[] items,
        byte[]?[] itemPublishers,
        double latestExpirationTime,
        double expirationTime,
        long generation,
        Dictionary<ReadOnlyMemory<byte>, int> writerIndex)
        : base(expirationTime, generation)
    {
        Items = items;
        ItemPublishers = itemPublishers;
        LatestExpirationTime = latestExpirationTime;
        WriterIndex = writerIndex;
        double earliest = double.PositiveInfinity;
        long bytes = EntryOverhead;
        foreach (DictionaryDhtItem item in items)
        {
            earliest = Math.Min(earliest, item.ExpirationTime);
            bytes += ItemOverhead + item.PackedSubkey.Length + item.Value.Length;
        }
        EarliestItemExpiration = earliest;
        Bytes = bytes;
    }

    public DictionaryDhtItem[] Items { get; }

    public byte[]?[] ItemPublishers { get; }

    public double LatestExpirationTime { get; }

    public double EarliestItemExpiration { get; }

    /// <summary>Packed subkey → index into <see cref="Items"/>. Writer only: readers never touch it.</summary>
    public Dictionary<ReadOnlyMemory<byte>, int> WriterIndex { get; }

    public override long Bytes { get; }

    public override IEnumerable<byte[]> Publishers => ItemPublishers.Where(p => p is not null)!;

    /// <summary>All items as an unbounded <see cref="DictionaryDhtValue"/> (built once, shared by readers).</summary>
    public DictionaryDhtValue CachedFullView
    {
        get
        {
            DictionaryDhtValue? view = Volatile.Read(ref _fullView);
            if (view is null)
            {
                view = new DictionaryDhtValue(DictionaryDhtValue.UnboundedMaxSize, LatestExpirationTime, Items);
                view = Interlocked.CompareExchange(ref _fullView, view, null) ?? view;
            }
            return view;
        }
    }

    /// <summary>msgpack of <see cref="CachedFullView"/>, computed at most once per version (a benign race may compute it twice).</summary>
    public byte[] GetPackedFullView()
    {
        byte[]? packed = Volatile.Read(ref _packedFullView);
        if (packed is null)
        {
            packed = MsgPackSerializer.Serialize(MsgValue.FromDictionary(CachedFullView));
            Volatile.Write(ref _packedFullView, packed);
        }
        return packed;
    }

    /// <summary>
    /// The dictionary as hivemind's <c>packb</c> would see it now: subkeys whose expiration has passed are left out
    /// (unless the store is frozen). When none has, the shared cached view is returned.
    /// </summary>
    public override StoredValue ToStoredValue(double now, bool frozen)
    {
        if (frozen || !(EarliestItemExpiration < now))
        {
            return new StoredValue(CachedFullView, ExpirationTime, this);
        }
        var live = new List<DictionaryDhtItem>(Items.Length);
        foreach (DictionaryDhtItem item in Items)
        {
            if (!(item.ExpirationTime < now))
            {
                live.Add(item);
            }
        }
        return new StoredValue(new DictionaryDhtValue(LatestExpirationTime, live.ToArray()), ExpirationTime, null);
    }
}
