using System.Collections.Immutable;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Storage;
using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p.Providers;

/// <summary>What <see cref="KadProviderStore.Add"/> did.</summary>
public enum KadProviderAddResult
{
    /// <summary>A new provider for the key.</summary>
    Added,

    /// <summary>A known provider: its expiry (and addresses, when given) were renewed.</summary>
    Refreshed,

    /// <summary>The key already has the most providers allowed and none of them expires before the new one would.</summary>
    KeyFull,

    /// <summary>The store holds the most keys allowed.</summary>
    Full,

    /// <summary>The key is not a multihash.</summary>
    InvalidKey,
}

/// <summary>
/// Provider records: which peers announced (ADD_PROVIDER) that they can serve the content under a multihash key
/// (libp2p kad-dht spec "Content provider advertisement"). Records expire after
/// <see cref="KadProviderStoreOptions.ProvideValidity"/>; the addresses that came with them are served for
/// <see cref="KadProviderStoreOptions.ProviderAddressTtl"/>.
/// </summary>
/// <remarks>
/// Reads are lock-free (immutable provider sets in the engine's <see cref="SnapshotHashMap{TKey, TValue}"/>); writes
/// take one short writer lock. When a key already has <see cref="KadProviderStoreOptions.MaxProvidersPerKey"/>
/// providers, a new one takes the place of the one that expires first, if that one expires before the new one would
/// (so a flood of fresh announcements rotates the set rather than being ignored forever), else it is refused.
/// </remarks>
public sealed class KadProviderStore
{
    private readonly KadProviderStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly SnapshotHashMap<KadKey256, ProviderSet> _map = new();
    private readonly Lock _writeLock = new();

    public KadProviderStore(KadProviderStoreOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new KadProviderStoreOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
    }

    public KadProviderStoreOptions Options => _options;

    /// <summary>Keys with provider records (including expired ones not swept yet).</summary>
    public int KeyCount => _map.Count;

    /// <summary>One provider of a key as served: its addresses are empty once their TTL has passed.</summary>
    public readonly record struct ProviderRecord(PeerId Provider, IReadOnlyList<Multiaddr> Addresses, DateTimeOffset Expires);

    private sealed record Provider(PeerId Id, ImmutableArray<Multiaddr> Addresses, DateTimeOffset AddressesExpire, DateTimeOffset Expires);

    private sealed record ProviderSet(byte[] Key, ImmutableArray<Provider> Providers);

    /// <summary>Adds or refreshes <paramref name="provider"/> for the multihash <paramref name="key"/>.</summary>
    public KadProviderAddResult Add(ReadOnlySpan<byte> key, PeerId provider, IReadOnlyList<Multiaddr> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        if (!Multihash.IsValid(key))
        {
            return KadProviderAddResult.InvalidKey;
        }
        DateTimeOffset now = _time.GetUtcNow();
        ImmutableArray<Multiaddr> kept = [.. addresses.Take(_options.MaxAddressesPerProvider)];
        var fresh = new Provider(provider, kept, now + _options.ProviderAddressTtl, now + _options.ProvideValidity);
        KadKey256 id = KadKey256.Hash(key);
        lock (_writeLock)
        {
            if (!_map.TryGetValue(id, out ProviderSet? set))
            {
                if (_map.Count >= _options.MaxKeys)
                {
                    return KadProviderAddResult.Full;
                }
                _map.Set(id, new ProviderSet(key.ToArray(), [fresh]));
                return KadProviderAddResult.Added;
            }
            ImmutableArray<Provider> live = [.. set.Providers.Where(p => p.Expires >= now)];
            int index = -1;
            for (int i = 0; i < live.Length && index < 0; i++)
            {
                index = live[i].Id == provider ? i : -1;
            }
            if (index >= 0)
            {
                Provider old = live[index];
                // An ADD_PROVIDER without addresses renews the record but keeps the addresses we had.
                Provider renewed = kept.IsEmpty ? fresh with { Addresses = old.Addresses, AddressesExpire = old.AddressesExpire } : fresh;
                _map.Set(id, set with { Providers = live.SetItem(index, renewed) });
                return KadProviderAddResult.Refreshed;
            }
            if (live.Length >= _options.MaxProvidersPerKey)
            {
                Provider first = live.MinBy(p => p.Expires)!;
                if (first.Expires >= fresh.Expires)
                {
                    return KadProviderAddResult.KeyFull;
                }
                live = live.Remove(first);
            }
            _map.Set(id, set with { Providers = live.Add(fresh) });
            return KadProviderAddResult.Added;
        }
    }

    /// <summary>The live providers of <paramref name="key"/>, most recently added last. Lock-free.</summary>
    public IReadOnlyList<ProviderRecord> Get(ReadOnlySpan<byte> key)
    {
        if (!_map.TryGetValue(KadKey256.Hash(key), out ProviderSet? set) || !set.Key.AsSpan().SequenceEqual(key))
        {
            return [];
        }
        DateTimeOffset now = _time.GetUtcNow();
        var result = new List<ProviderRecord>(set.Providers.Length);
        foreach (Provider p in set.Providers)
        {
            if (p.Expires >= now)
            {
                result.Add(new ProviderRecord(p.Id, p.AddressesExpire >= now ? p.Addresses : [], p.Expires));
            }
        }
        return result;
    }

    /// <summary>Removes expired provider records and keys left without any; returns how many records went.</summary>
    public int Sweep()
    {
        DateTimeOffset now = _time.GetUtcNow();
        int removed = 0;
        lock (_writeLock)
        {
            foreach (KeyValuePair<KadKey256, ProviderSet> pair in _map.Enumerate().ToArray())
            {
                ImmutableArray<Provider> live = [.. pair.Value.Providers.Where(p => p.Expires >= now)];
                removed += pair.Value.Providers.Length - live.Length;
                if (live.IsEmpty)
                {
                    _map.Remove(pair.Key);
                }
                else if (live.Length != pair.Value.Providers.Length)
                {
                    _map.Set(pair.Key, pair.Value with { Providers = live });
                }
            }
        }
        return removed;
    }
}
