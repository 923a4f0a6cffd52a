using System.Diagnostics.CodeAnalysis;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Validation;

namespace Mesh.Kademlia.Storage;

/// <summary>
/// hivemind/mesh <c>DHTLocalStorage</c> (mesh-reference §1.6, <c>mesh/dht/storage.py</c>, <c>utils/timed_storage.py</c>):
/// values and <c>DictionaryDHTValue</c>s under DHTIDs until an absolute expiration time, newer expiration wins,
/// subkeys merge into dictionaries with per-subkey expiration, expired entries are evicted lazily through a min-heap,
/// and an optional size bound evicts the earliest-expiring entries (the DHT's cache). A DHT node holds two: its
/// storage and its cache.
/// </summary>
/// <remarks>
/// <para><b>Concurrency.</b> Reads (<see cref="TryGet"/>, <see cref="Contains"/>, <see cref="EnumerateLive"/>) are
/// lock-free and never block: entries are immutable and live in a <see cref="SnapshotHashMap{TKey, TValue}"/>. Writes
/// validate the record first (outside any lock: signature checks are the slow part), then take one writer lock for
/// the compare-and-replace, the heap and the accounting. Writers may come from any thread; they queue on that lock
/// for microseconds. Nothing the caller passes in is kept: values and subkeys are copied on admission.</para>
/// <para><b>Deliberate differences from hivemind</b> (each keeps every visible result of <c>vectors/storage.json</c>
/// except the first):</para>
/// <list type="bullet">
/// <item>A store that is rejected because the current value is newer changes nothing. hivemind's
/// <c>TimedStorage.store</c> overwrites <c>key_to_heap[key]</c> before its newer-wins check, so a rejected older store
/// re-schedules eviction of the kept value at the rejected, earlier time and the value vanishes early
/// (<c>rejected_store_shortens_lifetime</c>: hivemind returns None at now+5.5 for a value valid until now+100; here
/// it is still there). That is data loss any peer can trigger for any key, so it is not reproduced.</item>
/// <item>A whole-dictionary store (<c>IS_DICTIONARY</c>) stores every item; hivemind's <c>all(store_subkey(...) for
/// ...)</c> stops at the first rejected item and silently drops the rest. The result is still "all stored".</item>
/// <item>Subkeys are identified by their canonical msgpack bytes, so Python's <c>1 == 1.0 == True</c> key aliasing
/// does not apply; a dictionary subkey must be hashable in Python's sense (no list or dict inside).</item>
/// <item>Limits hivemind lacks: value size, total bytes, subkeys per dictionary, records per publisher.</item>
/// </list>
/// </remarks>
public sealed class DhtLocalStorage
{
    private readonly RecordStoreOptions _options;
    private readonly DhtClock _clock;
    private readonly SnapshotHashMap<DhtId, StoredRecord> _map = new();

    // Writer state: guarded by _writeLock.
    private readonly Lock _writeLock = new();
    private readonly PriorityQueue<(DhtId Key, long Generation), (double Expiration, DhtId Key)> _heap = new(HeapOrder.Instance);
    private readonly Dictionary<ReadOnlyMemory<byte>, PublisherSlot> _publishers = new(ByteMemoryComparer.Instance);
    private long _generation;
    private long _totalBytes;
    private int _frozen;

    public DhtLocalStorage(RecordStoreOptions? options = null)
    {
        _options = options ?? new RecordStoreOptions();
        _options.Validate();
        _clock = _options.Clock;
    }

    public RecordStoreOptions Options => _options;

    /// <summary>Entries held, including any that expired since the last write or <see cref="Sweep"/>.</summary>
    public int Count => _map.Count;

    /// <summary>Bytes charged against <see cref="RecordStoreOptions.MaxTotalBytes"/>.</summary>
    public long TotalBytes => Volatile.Read(ref _totalBytes);

    private bool IsFrozen => Volatile.Read(ref _frozen) > 0;

    // ---- reads: any thread, lock-free ----------------------------------------------------------------------------

    /// <summary>
    /// <c>get(key)</c>: the value if present and not expired (<c>expiration_time &lt; now</c> means gone; equal is still
    /// there). A dictionary comes back as a snapshot of its live subkeys.
    /// </summary>
    public bool TryGet(DhtId key, out StoredValue value)
    {
        if (_map.TryGetValue(key, out StoredRecord? record))
        {
            double now = _clock.Now;
            bool frozen = IsFrozen;
            if (frozen || !(record.ExpirationTime < now))
            {
                value = record.ToStoredValue(now, frozen);
                return true;
            }
        }
        value = default;
        return false;
    }

    public StoredValue? Get(DhtId key) => TryGet(key, out StoredValue value) ? value : null;

    /// <summary><c>key in storage</c>.</summary>
    public bool Contains(DhtId key) => TryGet(key, out _);

    /// <summary>
    /// <c>items()</c>: every live entry, weakly consistent (each entry as of some moment during the walk). The DHT walks
    /// this when it meets a new node, to hand it the keys it should now hold.
    /// </summary>
    public IEnumerable<(DhtId Key, StoredValue Value)> EnumerateLive()
    {
        foreach (KeyValuePair<DhtId, StoredRecord> entry in _map.Enumerate())
        {
            double now = _clock.Now;
            bool frozen = IsFrozen;
            if (frozen || !(entry.Value.ExpirationTime < now))
            {
                yield return (entry.Key, entry.Value.ToStoredValue(now, frozen));
            }
        }
    }

    // ---- writes --------------------------------------------------------------------------------------------------

    /// <summary>
    /// Stores a record as <c>rpc_store</c> receives it: <see cref="DhtRecord.Key"/> is the DHTID bytes and
    /// <see cref="DhtRecord.Subkey"/> the tag: <c>0xc0</c> for a plain value, empty for a whole serialized
    /// <c>DictionaryDHTValue</c>, otherwise msgpack(subkey). Validated (POST) before anything else.
    /// </summary>
    /// <param name="record">The record. Not retained: its bytes are copied if admitted.</param>
    /// <param name="publisher">The storing peer's id bytes, charged for the record; empty for none (local stores).</param>
    public PutStatus Store(in DhtRecord record, ReadOnlySpan<byte> publisher = default)
    {
        if (!DhtId.TryFromBytes(record.Key.Span, out DhtId key) || double.IsNaN(record.ExpirationTime))
        {
            return PutStatus.Malformed;
        }
        ReadOnlySpan<byte> tag = record.Subkey.Span;
        if (ReservedSubkeys.IsRegular(tag))
        {
            return IsValid(record) ? StoreValueCore(key, record.Value, record.ExpirationTime, publisher) : PutStatus.Invalid;
        }
        if (tag.IsEmpty)
        {
            DictionaryDhtValue dictionary;
            try
            {
                MsgValue decoded = MsgPackSerializer.Deserialize(record.Value);
                if (decoded.Kind != MsgKind.Dictionary)
                {
                    return PutStatus.Malformed;
                }
                dictionary = decoded.AsDictionary();
            }
            catch (MsgPackFormatException)
            {
                return PutStatus.Malformed;
            }
            return StoreDictionaryCore(key, record.Key, dictionary, publisher);
        }
        if (!TryCanonicalizeSubkey(record.Subkey, out byte[]? canonical))
        {
            return PutStatus.Malformed;
        }
        // Validators see the subkey exactly as sent (signatures cover those bytes); storage uses the canonical form.
        return IsValid(record) ? StoreSubkeyCore(key, canonical, record.Value, record.ExpirationTime, publisher) : PutStatus.Invalid;
    }

    /// <summary><c>store(key, value, expiration_time)</c>: a plain value (subkey <c>IS_REGULAR_VALUE</c>).</summary>
    public PutStatus StoreValue(DhtId key, ReadOnlyMemory<byte> value, double expirationTime, ReadOnlySpan<byte> publisher = default)
    {
        if (double.IsNaN(expirationTime))
        {
            return PutStatus.Malformed;
        }
        if (_options.Validator is not null && !IsValid(new DhtRecord(key.ToBytes(), ReservedSubkeys.IsRegularValue.ToArray(), value, expirationTime)))
        {
            return PutStatus.Invalid;
        }
        return StoreValueCore(key, value, expirationTime, publisher);
    }

    /// <summary><c>store_subkey(key, subkey, value, expiration_time)</c> with the subkey as a value.</summary>
    public PutStatus StoreSubkey(DhtId key, in MsgValue subkey, ReadOnlyMemory<byte> value, double expirationTime, ReadOnlySpan<byte> publisher = default)
    {
        if (!IsHashable(subkey))
        {
            return PutStatus.Malformed;
        }
        return StoreSubkeyPacked(key, MsgPackSerializer.Serialize(subkey), value, expirationTime, publisher, canonical: true);
    }

    /// <summary><c>store_subkey</c> with the subkey already serialized (msgpack(subkey), as <c>StoreRequest.subkeys</c> carries it).</summary>
    public PutStatus StoreSubkey(DhtId key, ReadOnlyMemory<byte> packedSubkey, ReadOnlyMemory<byte> value, double expirationTime, ReadOnlySpan<byte> publisher = default) =>
        StoreSubkeyPacked(key, packedSubkey, value, expirationTime, publisher, canonical: false);

    private PutStatus StoreSubkeyPacked(DhtId key, ReadOnlyMemory<byte> packedSubkey, ReadOnlyMemory<byte> value, double expirationTime, ReadOnlySpan<byte> publisher, bool canonical)
    {
        if (double.IsNaN(expirationTime))
        {
            return PutStatus.Malformed;
        }
        byte[]? stored;
        if (canonical)
        {
            stored = packedSubkey.ToArray();
        }
        else if (!TryCanonicalizeSubkey(packedSubkey, out stored))
        {
            return PutStatus.Malformed;
        }
        if (_options.Validator is not null && !IsValid(new DhtRecord(key.ToBytes(), packedSubkey, value, expirationTime)))
        {
            return PutStatus.Invalid;
        }
        return StoreSubkeyCore(key, stored, value, expirationTime, publisher);
    }

    /// <summary>
    /// Merges a whole dictionary subkey by subkey, as <c>rpc_store</c> does for <c>IS_DICTIONARY</c>: every item is
    /// validated first (one invalid item refuses the lot), then every item is stored. Returns
    /// <see cref="PutStatus.Stored"/> when all were, else the first other outcome.
    /// </summary>
    public PutStatus StoreDictionary(DhtId key, DictionaryDhtValue dictionary, ReadOnlySpan<byte> publisher = default)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        return StoreDictionaryCore(key, _options.Validator is null ? default : key.ToBytes(), dictionary, publisher);
    }

    private PutStatus StoreDictionaryCore(DhtId key, ReadOnlyMemory<byte> keyBytes, DictionaryDhtValue dictionary, ReadOnlySpan<byte> publisher)
    {
        if (_options.Validator is not null)
        {
            foreach (DictionaryDhtItem item in dictionary.ItemsSpan)
            {
                if (!IsValid(new DhtRecord(keyBytes, item.PackedSubkey, item.Value, item.ExpirationTime)))
                {
                    return PutStatus.Invalid;
                }
            }
        }
        PutStatus result = PutStatus.Stored;
        foreach (DictionaryDhtItem item in dictionary.ItemsSpan)
        {
            if (double.IsNaN(item.ExpirationTime))
            {
                result = result == PutStatus.Stored ? PutStatus.Malformed : result;
                continue;
            }
            // Items of a decoded dictionary are canonical already; copy them so nothing aliases the caller's value.
            PutStatus status = StoreSubkeyCore(key, item.PackedSubkey.ToArray(), item.Value, item.ExpirationTime, publisher);
            if (result == PutStatus.Stored && status != PutStatus.Stored)
            {
                result = status;
            }
        }
        return result;
    }

    /// <summary><c>del storage[key]</c>.</summary>
    public bool Remove(DhtId key)
    {
        lock (_writeLock)
        {
            if (!_map.TryGetValue(key, out StoredRecord? existing))
            {
                return false;
            }
            Uninstall(key, existing);
            return true;
        }
    }

    /// <summary>Evicts expired entries now (writes do it as they go). Returns how many were removed.</summary>
    public int Sweep()
    {
        lock (_writeLock)
        {
            return IsFrozen ? 0 : SweepExpired(_clock.Now) + EvictOverCapacity();
        }
    }

    /// <summary><c>top()</c>: the live entry that expires first (ties: the smaller key), if any.</summary>
    public bool TryGetTop(out DhtId key, out StoredValue value)
    {
        lock (_writeLock)
        {
            double now = _clock.Now;
            if (!IsFrozen)
            {
                SweepExpired(now);
                EvictOverCapacity();
            }
            while (_heap.TryPeek(out (DhtId Key, long Generation) top, out _))
            {
                if (_map.TryGetValue(top.Key, out StoredRecord? record) && record.Generation == top.Generation)
                {
                    key = top.Key;
                    value = record.ToStoredValue(now, IsFrozen);
                    return true;
                }
                _heap.Dequeue();
            }
            key = default;
            value = default;
            return false;
        }
    }

    /// <summary>
    /// hivemind's <c>freeze()</c>: until the returned handle is disposed, nothing expires or is evicted and
    /// already-expired stores are accepted (used to validate or inspect a consistent set). Disposing applies the
    /// postponed evictions.
    /// </summary>
    public IDisposable Freeze()
    {
        lock (_writeLock)
        {
            _frozen++;
        }
        return new FreezeHandle(this);
    }

    private void Unfreeze()
    {
        lock (_writeLock)
        {
            if (--_frozen == 0)
            {
                SweepExpired(_clock.Now);
                EvictOverCapacity();
            }
        }
    }

    // ---- writer internals ----------------------------------------------------------------------------------------

    private bool IsValid(in DhtRecord record) => _options.Validator?.Validate(record, DhtRecordRequestType.Post) ?? true;

    private PutStatus StoreValueCore(DhtId key, ReadOnlyMemory<byte> value, double expirationTime, ReadOnlySpan<byte> publisher)
    {
        if (value.Length > _options.MaxValueBytes)
        {
            return PutStatus.TooLarge;
        }
        lock (_writeLock)
        {
            double now = _clock.Now;
            bool frozen = IsFrozen;
            if (!frozen)
            {
                SweepExpired(now);
            }
            if (!frozen && expirationTime < now)
            {
                return PutStatus.Expired;
            }
            _map.TryGetValue(key, out StoredRecord? existing);
            if (existing is not null && !(existing.ExpirationTime < expirationTime))
            {
                return PutStatus.Older;
            }
            long bytes = StoredRecord.EntryOverhead + value.Length;
            PutStatus admission = Admit(existing is null, bytes - (existing?.Bytes ?? 0), publisher, released: existing);
            if (admission != PutStatus.Stored)
            {
                return admission;
            }
            var record = new RegularRecord(value.ToArray(), expirationTime, ++_generation, Attribute(publisher));
            Install(key, record, existing);
            if (!frozen)
            {
                EvictOverCapacity();
            }
            return PutStatus.Stored;
        }
    }

    private PutStatus StoreSubkeyCore(DhtId key, byte[] subkey, ReadOnlyMemory<byte> value, double expirationTime, ReadOnlySpan<byte> publisher)
    {
        if (value.Length > _options.MaxValueBytes)
        {
            return PutStatus.TooLarge;
        }
        lock (_writeLock)
        {
            double now = _clock.Now;
            bool frozen = IsFrozen;
            if (!frozen)
            {
                SweepExpired(now);
            }
            // (Expired entries were just swept, so an entry found here is live, or the store is frozen.)
            _map.TryGetValue(key, out StoredRecord? existing);
            long itemBytes = StoredRecord.ItemOverhead + subkey.Length + value.Length;

            if (existing is not DictionaryRecord dictionary)
            {
                // No value, or a plain one: a later subkey replaces it with a new one-item dictionary.
                double previous = existing?.ExpirationTime ?? double.NegativeInfinity;
                if (!(expirationTime > previous))
                {
                    return PutStatus.Older;
                }
                if (!frozen && expirationTime < now)
                {
                    return PutStatus.Expired;
                }
                PutStatus admission = Admit(existing is null, StoredRecord.EntryOverhead + itemBytes - (existing?.Bytes ?? 0), publisher, released: existing);
                if (admission != PutStatus.Stored)
                {
                    return admission;
                }
                var index = new Dictionary<ReadOnlyMemory<byte>, int>(ByteMemoryComparer.Instance) { [subkey] = 0 };
                var created = new DictionaryRecord(
                    [new DictionaryDhtItem(subkey, value.ToArray(), expirationTime)],
                    [Attribute(publisher)],
                    expirationTime,
                    expirationTime,
                    ++_generation,
                    index);
                Install(key, created, existing);
                if (!frozen)
                {
                    EvictOverCapacity();
                }
                return PutStatus.Stored;
            }

            if (!frozen && expirationTime < now)
            {
                return PutStatus.Expired;
            }
            DictionaryDhtItem[] items = dictionary.Items;
            byte[]?[] owners = dictionary.ItemPublishers;
            DictionaryDhtItem[] newItems;
            byte[]?[] newOwners;
            if (dictionary.WriterIndex.TryGetValue(subkey, out int position))
            {
                // Known subkey (even an expired one still held): strictly later wins, replaced in place.
                if (!(items[position].ExpirationTime < expirationTime))
                {
                    return PutStatus.Older;
                }
                long delta = itemBytes - (StoredRecord.ItemOverhead + items[position].PackedSubkey.Length + items[position].Value.Length);
                PutStatus admission = Admit(newKey: false, delta, publisher, releasedPublisher: owners[position]);
                if (admission != PutStatus.Stored)
                {
                    return admission;
                }
                newItems = (DictionaryDhtItem[])items.Clone();
                newOwners = (byte[]?[])owners.Clone();
                newItems[position] = new DictionaryDhtItem(items[position].PackedSubkey, value.ToArray(), expirationTime);
                newOwners[position] = Attribute(publisher);
                Release(owners[position]);
            }
            else
            {
                // New subkey: appended; then, as TimedStorage does after inserting a new key, expired subkeys go.
                int live = 0;
                long droppedBytes = 0;
                foreach (DictionaryDhtItem item in items)
                {
                    if (frozen || !(item.ExpirationTime < now))
                    {
                        live++;
                    }
                    else
                    {
                        droppedBytes += StoredRecord.ItemOverhead + item.PackedSubkey.Length + item.Value.Length;
                    }
                }
                if (live >= _options.MaxSubkeysPerDictionary)
                {
                    return PutStatus.Full;
                }
                PutStatus admission = Admit(newKey: false, itemBytes - droppedBytes, publisher, releasedPublisher: null);
                if (admission != PutStatus.Stored)
                {
                    return admission;
                }
                var keptItems = new List<DictionaryDhtItem>(live + 1);
                var keptOwners = new List<byte[]?>(live + 1);
                for (int i = 0; i < items.Length; i++)
                {
                    if (frozen || !(items[i].ExpirationTime < now))
                    {
                        keptItems.Add(items[i]);
                        keptOwners.Add(owners[i]);
                    }
                    else
                    {
                        Release(owners[i]);
                    }
                }
                keptItems.Add(new DictionaryDhtItem(subkey, value.ToArray(), expirationTime));
                keptOwners.Add(Attribute(publisher));
                newItems = keptItems.ToArray();
                newOwners = keptOwners.ToArray();
                if (newItems.Length != items.Length + 1)
                {
                    dictionary.WriterIndex.Clear();
                    for (int i = 0; i < newItems.Length; i++)
                    {
                        dictionary.WriterIndex[newItems[i].PackedSubkey] = i;
                    }
                }
                else
                {
                    dictionary.WriterIndex[subkey] = newItems.Length - 1;
                }
            }

            // The outer expiration moves up only when this subkey outlives everything so far.
            double latest = Math.Max(dictionary.LatestExpirationTime, expirationTime);
            double outer = expirationTime > dictionary.LatestExpirationTime ? expirationTime : dictionary.ExpirationTime;
            var updated = new DictionaryRecord(newItems, newOwners, latest, outer, ++_generation, dictionary.WriterIndex);
            Publish(key, updated, dictionary.Bytes);
            if (!frozen)
            {
                EvictOverCapacity();
            }
            return PutStatus.Stored;
        }
    }

    /// <summary>
    /// Capacity and quota checks for a write that adds <paramref name="byteDelta"/> bytes, one key if
    /// <paramref name="newKey"/>, and one record for <paramref name="publisher"/> minus what the replaced record
    /// already charged it.
    /// </summary>
    private PutStatus Admit(bool newKey, long byteDelta, ReadOnlySpan<byte> publisher, StoredRecord? released)
    {
        int alreadyCharged = 0;
        if (released is not null && !publisher.IsEmpty)
        {
            foreach (byte[] p in released.Publishers)
            {
                alreadyCharged += p.AsSpan().SequenceEqual(publisher) ? 1 : 0;
            }
        }
        return AdmitCore(newKey, byteDelta, publisher, alreadyCharged);
    }

    private PutStatus Admit(bool newKey, long byteDelta, ReadOnlySpan<byte> publisher, byte[]? releasedPublisher) =>
        AdmitCore(newKey, byteDelta, publisher, releasedPublisher is not null && releasedPublisher.AsSpan().SequenceEqual(publisher) ? 1 : 0);

    private PutStatus AdmitCore(bool newKey, long byteDelta, ReadOnlySpan<byte> publisher, int alreadyCharged)
    {
        if (_options.CapacityPolicy == CapacityPolicy.Reject)
        {
            if ((newKey && _options.MaxRecords is int maxRecords && _map.Count + 1 > maxRecords)
                || (_options.MaxTotalBytes is long maxBytes && _totalBytes + byteDelta > maxBytes))
            {
                return PutStatus.Full;
            }
        }
        if (!publisher.IsEmpty && _options.PublisherQuota is IPublisherQuota quota && alreadyCharged == 0)
        {
            int held = FindPublisher(publisher)?.Count ?? 0;
            if (!quota.CanAdd(publisher, held))
            {
                return PutStatus.QuotaExceeded;
            }
        }
        return PutStatus.Stored;
    }

    /// <summary>Installs a record that replaces <paramref name="replaced"/> entirely (its publishers are released).</summary>
    private void Install(DhtId key, StoredRecord record, StoredRecord? replaced)
    {
        if (replaced is not null)
        {
            foreach (byte[] p in replaced.Publishers)
            {
                Release(p);
            }
        }
        Publish(key, record, replaced?.Bytes ?? 0);
    }

    /// <summary>Publishes a new version of a key to readers and schedules its expiry (publisher accounting is the caller's).</summary>
    private void Publish(DhtId key, StoredRecord record, long replacedBytes)
    {
        _map.Set(key, record);
        Volatile.Write(ref _totalBytes, _totalBytes + record.Bytes - replacedBytes);
        PushHeap(key, record);
    }

    private void Uninstall(DhtId key, StoredRecord record)
    {
        _map.Remove(key);
        foreach (byte[] p in record.Publishers)
        {
            Release(p);
        }
        Volatile.Write(ref _totalBytes, _totalBytes - record.Bytes);
    }

    private void PushHeap(DhtId key, StoredRecord record)
    {
        _heap.Enqueue((key, record.Generation), (record.ExpirationTime, key));
        // Every replacement leaves a stale heap entry behind; rebuild before they outnumber the live ones.
        if (_heap.Count > 2 * _map.Count + 64)
        {
            _heap.Clear();
            foreach (KeyValuePair<DhtId, StoredRecord> e in _map.Enumerate())
            {
                _heap.Enqueue((e.Key, e.Value.Generation), (e.Value.ExpirationTime, e.Key));
            }
        }
    }

    /// <summary><c>_remove_outdated</c>, expiry part: drop entries whose expiration is before now.</summary>
    private int SweepExpired(double now)
    {
        int removed = 0;
        while (_heap.TryPeek(out (DhtId Key, long Generation) top, out (double Expiration, DhtId Key) priority))
        {
            if (!_map.TryGetValue(top.Key, out StoredRecord? record) || record.Generation != top.Generation)
            {
                _heap.Dequeue();
                continue;
            }
            if (!(priority.Expiration < now))
            {
                break;
            }
            _heap.Dequeue();
            Uninstall(top.Key, record);
            removed++;
        }
        return removed;
    }

    /// <summary><c>_remove_outdated</c>, size part: under the eviction policy, drop the earliest-expiring entries until within bounds.</summary>
    private int EvictOverCapacity()
    {
        if (_options.CapacityPolicy != CapacityPolicy.EvictEarliestExpiring)
        {
            return 0;
        }
        int removed = 0;
        while ((_options.MaxRecords is int maxRecords && _map.Count > maxRecords)
            || (_options.MaxTotalBytes is long maxBytes && _totalBytes > maxBytes))
        {
            if (!_heap.TryDequeue(out (DhtId Key, long Generation) top, out _))
            {
                break;
            }
            if (_map.TryGetValue(top.Key, out StoredRecord? record) && record.Generation == top.Generation)
            {
                Uninstall(top.Key, record);
                removed++;
            }
        }
        return removed;
    }

    private byte[]? Attribute(ReadOnlySpan<byte> publisher)
    {
        if (publisher.IsEmpty)
        {
            return null;
        }
        PublisherSlot? slot = FindPublisher(publisher);
        if (slot is null)
        {
            slot = new PublisherSlot(publisher.ToArray());
            _publishers.Add(slot.Id, slot);
        }
        slot.Count++;
        return slot.Id;
    }

    private void Release(byte[]? publisher)
    {
        if (publisher is not null && _publishers.TryGetValue(publisher, out PublisherSlot? slot) && --slot.Count == 0)
        {
            _publishers.Remove(publisher);
        }
    }

    private PublisherSlot? FindPublisher(ReadOnlySpan<byte> publisher) =>
        _publishers.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(publisher, out PublisherSlot? slot) ? slot : null;

    /// <summary>Records currently charged to a publisher.</summary>
    public int GetPublisherRecordCount(ReadOnlySpan<byte> publisher)
    {
        lock (_writeLock)
        {
            return FindPublisher(publisher)?.Count ?? 0;
        }
    }

    private static bool TryCanonicalizeSubkey(ReadOnlyMemory<byte> packed, [NotNullWhen(true)] out byte[]? canonical)
    {
        try
        {
            MsgValue subkey = MsgPackSerializer.Deserialize(packed);
            if (IsHashable(subkey))
            {
                canonical = MsgPackSerializer.Serialize(subkey);
                return true;
            }
        }
        catch (MsgPackFormatException)
        {
        }
        canonical = null;
        return false;
    }

    private static bool IsHashable(in MsgValue subkey) => DictionaryDhtValueDecoder.IsHashable(subkey);

    private sealed class PublisherSlot(byte[] id)
    {
        public byte[] Id { get; } = id;

        public int Count { get; set; }
    }

    private sealed class FreezeHandle(DhtLocalStorage owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unfreeze();
            }
        }
    }

    /// <summary>hivemind's <c>HeapEntry</c> order: expiration time, then the key as an integer.</summary>
    private sealed class HeapOrder : IComparer<(double Expiration, DhtId Key)>
    {
        public static HeapOrder Instance { get; } = new();

        public int Compare((double Expiration, DhtId Key) x, (double Expiration, DhtId Key) y)
        {
            int c = x.Expiration.CompareTo(y.Expiration);
            return c != 0 ? c : x.Key.CompareTo(y.Key);
        }
    }
}
