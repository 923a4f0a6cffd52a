using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Routing;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Traversal;
using Mesh.Kademlia.Validation;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Node;

public sealed partial class DhtNode
{
    // One value must fit in a store request: the 4 MiB unary message minus the envelope and the request's other fields.
    private const int MaxValueBytes = 4 * 1024 * 1024 - 64 * 1024;

    /// <summary>
    /// mesh <c>DHTNode.store</c>: stores <paramref name="value"/> under <paramref name="key"/> (or under
    /// <paramref name="subkey"/> of the dictionary at <paramref name="key"/>) on the nearest nodes until
    /// <paramref name="expirationTime"/> (absolute DHT time, unix seconds). True if at least one replica accepted it;
    /// false if every one refused (a newer value, a validator, a quota) or none answered.
    /// </summary>
    /// <exception cref="DhtValueTooLargeException">The serialized value cannot fit in a DHT message.</exception>
    public async Task<bool> StoreAsync(MsgValue key, MsgValue value, double expirationTime, MsgValue? subkey = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<bool> ok = await StoreManyAsync([new DhtStoreItem(key, value, expirationTime, subkey)], cancellationToken: cancellationToken).ConfigureAwait(false);
        return ok[0];
    }

    /// <summary>
    /// mesh <c>store_many</c>: stores every item on its key's <see cref="DhtNodeOptions.NumReplicas"/> nearest nodes
    /// (this node included when it is among them, unless <paramref name="excludeSelf"/>), one lookup for all keys.
    /// Returns, aligned with <paramref name="items"/>, whether at least one replica accepted the item. (mesh keeps
    /// whichever replica answered last, so its result depends on reply order; "any replica" is deterministic and is
    /// the same whenever the replicas agree.)
    /// </summary>
    /// <param name="items">What to store.</param>
    /// <param name="excludeSelf">Never store locally (the value may still be cached when <see cref="DhtNodeOptions.CacheOnStore"/> is set).</param>
    /// <param name="awaitAllReplicas">False: return after the first replica's answer; the rest continues in the background.</param>
    /// <param name="cancellationToken">Cancels the store.</param>
    /// <exception cref="DhtValueTooLargeException">A serialized value cannot fit in a DHT message.</exception>
    public async Task<IReadOnlyList<bool>> StoreManyAsync(IReadOnlyList<DhtStoreItem> items, bool excludeSelf = false, bool awaitAllReplicas = true,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var byKey = new Dictionary<DhtId, List<PreparedItem>>();
        var keyOrder = new List<DhtId>();
        var results = new ItemResult[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            DhtStoreItem item = items[i];
            DhtId keyId = DhtId.Generate(item.Key);
            byte[] keyBytes = keyId.ToBytes();
            byte[] subkey = item.Subkey is { } s ? MsgPackSerializer.Serialize(s) : ReservedSubkeys.IsRegularValue.ToArray();
            byte[] value = MsgPackSerializer.Serialize(item.Value);
            var record = new DhtRecord(keyBytes, subkey, value, item.ExpirationTime);
            ReadOnlyMemory<byte> signed = _protocol.RecordValidator.SignValue(record);
            if (signed.Length > MaxValueBytes)
            {
                throw new DhtValueTooLargeException(signed.Length, MaxValueBytes);
            }
            results[i] = new ItemResult();
            if (!byKey.TryGetValue(keyId, out List<PreparedItem>? list))
            {
                byKey[keyId] = list = [];
                keyOrder.Add(keyId);
            }
            list.Add(new PreparedItem(i, item.Subkey is not null, record.WithValue(signed)));
        }
        if (items.Count == 0)
        {
            return [];
        }

        async ValueTask OnFound(TraversalQueryResult<DhtId, PeerId> found, CancellationToken ct)
        {
            // Called once per key as soon as its nearest nodes are known; stores without waiting for other keys.
            await StoreOnReplicasAsync(found.Query, found.Nearest, byKey[found.Query], results, excludeSelf, awaitAllReplicas, ct).ConfigureAwait(false);
        }

        Task traversal = TraverseForStoreAsync(keyOrder, OnFound, cancellationToken);
        if (awaitAllReplicas)
        {
            await traversal.ConfigureAwait(false);
        }
        else
        {
            _background.TryStart(_ => traversal);
            Task all = Task.WhenAll(results.Select(r => r.Done.Task));
            await Task.WhenAny(all, traversal).ConfigureAwait(false);
            if (traversal.IsFaulted || traversal.IsCanceled)
            {
                await traversal.ConfigureAwait(false);
            }
            await all.ConfigureAwait(false);
        }
        return [.. results.Select(r => r.Ok ?? false)];
    }

    private async Task TraverseForStoreAsync(List<DhtId> keys, TraversalFoundCallback<DhtId, PeerId> onFound, CancellationToken cancellationToken)
    {
        // mesh: find_nearest_nodes(k_nearest=num_replicas) from the routing table's bucket_size nearest per key.
        RoutingTableSnapshot<DhtId, PeerId> snapshot = _protocol.RoutingTable.Snapshot;
        RoutingEntry<DhtId, PeerId>[] initial = [.. keys.SelectMany(k => snapshot.GetNearestNeighbors(k, _options.BucketSize, NodeId)).DistinctBy(e => e.NodeId)];
        int beam = Math.Max(_options.BucketSize, _options.NumReplicas);
        await TraverseAsync(keys, beam, null, onFound, awaitAll: true, cancellationToken, initialNodes: initial).ConfigureAwait(false);
    }

    private async Task StoreOnReplicasAsync(DhtId keyId, IReadOnlyList<RoutingEntry<DhtId, PeerId>> nearest, List<PreparedItem> items, ItemResult[] results,
        bool excludeSelf, bool awaitAllReplicas, CancellationToken cancellationToken)
    {
        // Candidates nearest first; this node competes for a replica slot like any other.
        var candidates = new Queue<RoutingEntry<DhtId, PeerId>>(
            (excludeSelf ? nearest : nearest.Append(new RoutingEntry<DhtId, PeerId>(NodeId, PeerId))).OrderBy(e => e.NodeId ^ keyId));
        DhtStoreEntry[] entries = [.. items.Select(i => new DhtStoreEntry(keyId, i.Record.Subkey, i.Record.Value, i.Record.ExpirationTime))];
        int successes = 0;
        var pending = new List<Task<bool[]?>>();
        try
        {
            while (successes < _options.NumReplicas && (candidates.Count > 0 || pending.Count > 0))
            {
                while (candidates.Count > 0 && successes + pending.Count < _options.NumReplicas)
                {
                    RoutingEntry<DhtId, PeerId> candidate = candidates.Dequeue();
                    if (candidate.NodeId == NodeId)
                    {
                        // Our own replica: the storage validates it as a POST.
                        successes++;
                        foreach (PreparedItem item in items)
                        {
                            PutStatus status = _protocol.Stores.Storage.Store(item.Record);
                            results[item.Index].Set(status == PutStatus.Stored, awaitAllReplicas);
                        }
                    }
                    else
                    {
                        pending.Add(_protocol.CallStoreAsync(candidate.Peer, entries, cancellationToken));
                    }
                }
                if (pending.Count > 0)
                {
                    Task<bool[]?> done = await Task.WhenAny(pending).ConfigureAwait(false);
                    pending.Remove(done);
                    bool[]? statuses = await done.ConfigureAwait(false);
                    if (statuses is not null)
                    {
                        successes++;
                        for (int i = 0; i < items.Count; i++)
                        {
                            results[items[i].Index].Set(statuses[i], awaitAllReplicas);
                        }
                    }
                }
            }
            if (_options.CacheOnStore)
            {
                UpdateCacheOnStore(keyId, items, results);
            }
        }
        finally
        {
            foreach (PreparedItem item in items)
            {
                results[item.Index].Complete();
            }
        }
    }

    /// <summary>mesh <c>_update_cache_on_store</c>: keep the local cache in step with what the store just learned.</summary>
    private void UpdateCacheOnStore(DhtId keyId, List<PreparedItem> items, ItemResult[] results)
    {
        DhtLocalStorage cache = _protocol.Stores.Cache;
        bool succeeded = items.Any(i => results[i.Index].Ok == true);
        bool isDictionary = items.Any(i => i.HasSubkey);
        if (!isDictionary)
        {
            // max(zip(expirations, values)): the latest expiration, ties broken by the larger value bytes.
            PreparedItem latest = items.OrderByDescending(i => i.Record.ExpirationTime).ThenByDescending(i => i.Record.Value.ToArray(), ByteArrayOrder.Instance).First();
            if (succeeded)
            {
                cache.StoreValue(keyId, latest.Record.Value, latest.Record.ExpirationTime);
            }
            else if (cache.TryGet(keyId, out StoredValue cached) && cached.ExpirationTime <= latest.Record.ExpirationTime)
            {
                _refresher.Schedule(keyId, _protocol.Clock.Now); // the cache would be rejected too: fetch the newer value
            }
        }
        else if (cache.Contains(keyId))
        {
            foreach (PreparedItem item in items)
            {
                if (results[item.Index].Ok == true && item.HasSubkey)
                {
                    cache.StoreSubkey(keyId, item.Record.Subkey, item.Record.Value, item.Record.ExpirationTime);
                }
            }
            _refresher.Schedule(keyId, _protocol.Clock.Now);
        }
    }

    private sealed record PreparedItem(int Index, bool HasSubkey, DhtRecord Record);

    /// <summary>One item's verdict: accepted once any replica accepted it; done once its key is finished.</summary>
    private sealed class ItemResult
    {
        private readonly Lock _lock = new();
        private bool? _ok;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool? Ok
        {
            get
            {
                lock (_lock)
                {
                    return _ok;
                }
            }
        }

        public void Set(bool ok, bool awaitAllReplicas)
        {
            lock (_lock)
            {
                _ok = (_ok ?? false) || ok;
            }
            if (!awaitAllReplicas)
            {
                Done.TrySetResult();
            }
        }

        public void Complete() => Done.TrySetResult();
    }

    private sealed class ByteArrayOrder : IComparer<byte[]>
    {
        public static ByteArrayOrder Instance { get; } = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
