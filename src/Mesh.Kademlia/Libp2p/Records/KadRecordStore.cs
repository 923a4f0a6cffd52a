using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Storage;

namespace Mesh.Kademlia.Libp2p.Records;

/// <summary>
/// The value records a libp2p DHT node holds for others (GET_VALUE / PUT_VALUE, libp2p kad-dht spec "Value
/// storage"): at most one value per key, validated on write (never on read), replaced only by a value the
/// namespace's Select does not rank below it, served for <see cref="KadRecordStoreOptions.MaxRecordAge"/> after it was
/// received.
/// </summary>
/// <remarks>
/// <para><b>Concurrency.</b> Reads are lock-free: entries are immutable and live in the engine's
/// <see cref="SnapshotHashMap{TKey, TValue}"/> (one writer, any number of readers), keyed by the kad key (SHA-256 of
/// the record key). Writes validate outside any lock (signature checks are the slow part), then take the store's one
/// writer lock for Select against the held value and the accounting; Select on already-valid values only compares
/// fields. go-libp2p-kad-dht stripes its put locks instead; one lock held for microseconds is enough here and keeps
/// the map single-writer.</para>
/// <para>Nothing the caller passes in is kept: key and value are copied on admission.</para>
/// </remarks>
public sealed class KadRecordStore
{
    private readonly KadRecordStoreOptions _options;
    private readonly KadValidators _validators;
    private readonly TimeProvider _time;
    private readonly SnapshotHashMap<KadKey256, Entry> _map = new();
    private readonly Lock _writeLock = new();
    private long _totalBytes; // guarded by _writeLock; read racily for diagnostics

    public KadRecordStore(KadValidators validators, KadRecordStoreOptions? options = null, TimeProvider? timeProvider = null)
    {
        _validators = validators ?? throw new ArgumentNullException(nameof(validators));
        _options = options ?? new KadRecordStoreOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
    }

    public KadRecordStoreOptions Options => _options;

    public KadValidators Validators => _validators;

    /// <summary>Keys held, including any that aged out since the last write or <see cref="Sweep"/>.</summary>
    public int Count => _map.Count;

    /// <summary>Bytes of keys and values held.</summary>
    public long TotalBytes => Volatile.Read(ref _totalBytes);

    /// <summary>A held record: the value and when this node received it.</summary>
    public readonly record struct StoredRecord(ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value, DateTimeOffset Received);

    private sealed record Entry(byte[] Key, byte[] Value, DateTimeOffset Received)
    {
        public long Bytes => Key.Length + Value.Length;
    }

    /// <summary>The record under <paramref name="key"/>, if held and younger than the maximum age. Lock-free.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out StoredRecord record)
    {
        if (_map.TryGetValue(KadKey256.Hash(key), out Entry? entry) && entry.Key.AsSpan().SequenceEqual(key)
            && _time.GetUtcNow() - entry.Received <= _options.MaxRecordAge)
        {
            record = new StoredRecord(entry.Key, entry.Value, entry.Received);
            return true;
        }
        record = default;
        return false;
    }

    /// <summary>
    /// Validates and stores a value (PUT_VALUE received, or a local put). Select runs against the held value with the
    /// new one first, so an equally good value replaces (refreshes) it.
    /// </summary>
    public KadPutResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Put(key, value, out _);

    /// <inheritdoc cref="Put(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    public KadPutResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason)
    {
        if (value.Length > _options.MaxValueBytes)
        {
            reason = $"the value is {value.Length} bytes (the limit is {_options.MaxValueBytes})";
            return KadPutResult.TooLarge;
        }
        if (!_validators.Validate(key, value, out reason))
        {
            return KadPutResult.Invalid;
        }
        KadKey256 id = KadKey256.Hash(key);
        var entry = new Entry(key.ToArray(), value.ToArray(), _time.GetUtcNow());
        lock (_writeLock)
        {
            bool exists = _map.TryGetValue(id, out Entry? held) && _time.GetUtcNow() - held.Received <= _options.MaxRecordAge;
            if (exists && !held!.Value.AsSpan().SequenceEqual(value))
            {
                if (_validators.Select(key, [entry.Value, held.Value]) != 0)
                {
                    reason = "the held value is better";
                    return KadPutResult.Older;
                }
            }
            long delta = entry.Bytes - (held?.Bytes ?? 0);
            if (held is null && _map.Count >= _options.MaxRecords)
            {
                reason = $"the store holds {_options.MaxRecords} records";
                return KadPutResult.Full;
            }
            if (_totalBytes + delta > _options.MaxTotalBytes)
            {
                reason = $"the store holds {_totalBytes} bytes (the limit is {_options.MaxTotalBytes})";
                return KadPutResult.Full;
            }
            _map.Set(id, entry);
            Volatile.Write(ref _totalBytes, _totalBytes + delta);
        }
        reason = null;
        return KadPutResult.Stored;
    }

    /// <summary>Removes the record under <paramref name="key"/>.</summary>
    public bool Remove(ReadOnlySpan<byte> key)
    {
        KadKey256 id = KadKey256.Hash(key);
        lock (_writeLock)
        {
            if (_map.TryGetValue(id, out Entry? held) && held.Key.AsSpan().SequenceEqual(key) && _map.Remove(id))
            {
                Volatile.Write(ref _totalBytes, _totalBytes - held.Bytes);
                return true;
            }
            return false;
        }
    }

    /// <summary>Drops records older than the maximum age; returns how many.</summary>
    public int Sweep()
    {
        DateTimeOffset now = _time.GetUtcNow();
        int removed = 0;
        lock (_writeLock)
        {
            foreach (KeyValuePair<KadKey256, Entry> pair in _map.Enumerate().ToArray())
            {
                if (now - pair.Value.Received > _options.MaxRecordAge && _map.Remove(pair.Key))
                {
                    _totalBytes -= pair.Value.Bytes;
                    removed++;
                }
            }
            Volatile.Write(ref _totalBytes, _totalBytes);
        }
        return removed;
    }
}
