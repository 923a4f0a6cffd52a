using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Routing;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Traversal;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Node;

public sealed partial class DhtNode
{
    /// <summary>
    /// mesh <c>DHTNode.get</c>: the value stored under <paramref name="key"/>, or null. By default the search stops at
    /// the first value that has not expired; <paramref name="latest"/> searches the whole beam for the one that expires
    /// last (needed for dictionaries that many nodes write to, such as heartbeats).
    /// </summary>
    public async Task<DhtValue?> GetAsync(MsgValue key, bool latest = false, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<DhtValue?> values = await GetManyAsync([key], latest, cancellationToken).ConfigureAwait(false);
        return values[0];
    }

    /// <summary>mesh <c>get_many</c>: several keys in one traversal; results aligned with <paramref name="keys"/>.</summary>
    public Task<IReadOnlyList<DhtValue?>> GetManyAsync(IReadOnlyList<MsgValue> keys, bool latest = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return GetManyAsync(keys, latest ? double.PositiveInfinity : null, cancellationToken);
    }

    /// <summary>
    /// mesh <c>get_many</c> with <c>sufficient_expiration_time</c>: per key, stop at a value expiring at or after it
    /// (default: now; +inf for the latest).
    /// </summary>
    public async Task<IReadOnlyList<DhtValue?>> GetManyAsync(IReadOnlyList<MsgValue> keys, double? sufficientExpirationTime, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        DhtId[] ids = [.. keys.Select(static k => DhtId.Generate(k))];
        IReadOnlyDictionary<DhtId, DhtValue?> found = await GetManyByIdAsync(ids, sufficientExpirationTime, isRefresh: false, cancellationToken).ConfigureAwait(false);
        return [.. ids.Select(id => found[id])];
    }

    /// <summary>mesh <c>get_many_by_id</c>.</summary>
    internal async Task<IReadOnlyDictionary<DhtId, DhtValue?>> GetManyByIdAsync(IReadOnlyCollection<DhtId> keyIds, double? sufficientExpirationTime, bool isRefresh,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        double sufficient = sufficientExpirationTime ?? _protocol.Clock.Now;
        var states = new Dictionary<DhtId, DhtSearchState>();
        foreach (DhtId id in keyIds)
        {
            if (!states.ContainsKey(id))
            {
                states[id] = new DhtSearchState(this, id, sufficient);
            }
        }
        foreach (DhtSearchState state in states.Values)
        {
            if (!isRefresh)
            {
                state.OnDone(TriggerCacheRefresh);
            }
            // Caching locally is a done callback, so it has happened when the caller sees the result (mesh caches in
            // the traversal's found callback, which runs before the awaiting coroutine resumes).
            state.OnDone(isRefresh ? CacheNewResultLocallyOnRefresh : CacheNewResultLocally);
            if (_options.ReuseGetRequests)
            {
                AddPending(state);
                state.OnDone(ReuseFinishedSearch);
            }
        }

        // Stage 1: this node's storage and cache.
        foreach (DhtSearchState state in states.Values)
        {
            if (_protocol.Stores.Storage.TryGet(state.Key, out StoredValue stored))
            {
                state.AddCandidate(stored, NodeId);
            }
            if (!isRefresh && _protocol.Stores.Cache.TryGet(state.Key, out StoredValue cached))
            {
                state.AddCandidate(cached, NodeId);
            }
        }

        // Stage 2: the DHT, for the rest. The traversal runs on (it stops asking about keys that are done) while the
        // caller gets each result the moment it is known.
        DhtId[] unfinished = [.. states.Values.Where(s => !s.Finished).Select(s => s.Key)];
        if (unfinished.Length > 0)
        {
            foreach (DhtId key in unfinished)
            {
                states[key].Traversed = true;
            }
            bool OnResult(DhtId key, DhtFindResult result, RoutingEntry<DhtId, PeerId> source)
            {
                DhtSearchState state = states[key];
                if (result.Kind != DhtValueKind.NotFound)
                {
                    state.AddCandidate(result.Value, result.Dictionary, result.ExpirationTime, source.NodeId);
                }
                return state.Finished; // stop searching for a key that was found (or given up on)
            }

            ValueTask OnFound(TraversalQueryResult<DhtId, PeerId> found, CancellationToken ct)
            {
                DhtSearchState state = states[found.Query];
                state.FinishSearch(); // finished whether or not anything was found (its done callbacks cached it locally)
                CacheNewResultOnNearest(state, found.Nearest);
                return ValueTask.CompletedTask;
            }

            int queriesPerCall = Math.Min(Math.Max(1, (int)Math.Sqrt(unfinished.Length)), _options.ChunkSize);
            CancellationToken stopping = _background.Stopping;
            if (!_background.TryStart(async ct =>
                {
                    TraversalResult<DhtId, PeerId> traversal = await TraverseAsync(unfinished, _options.BucketSize, OnResult, OnFound, awaitAll: false, ct, queriesPerCall).ConfigureAwait(false);
                    await traversal.Completion.ConfigureAwait(false);
                }))
            {
                foreach (DhtSearchState state in states.Values)
                {
                    state.FinishSearch(); // shutting down: nothing more will be found
                }
            }
        }

        try
        {
            var results = new Dictionary<DhtId, DhtValue?>(states.Count);
            foreach (DhtSearchState state in states.Values)
            {
                results[state.Key] = await state.Result.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            return results;
        }
        catch (OperationCanceledException)
        {
            // mesh: cancelling the futures stops the search for those keys.
            foreach (DhtSearchState state in states.Values)
            {
                state.Cancel();
            }
            throw;
        }
    }

    private void AddPending(DhtSearchState state)
    {
        lock (_pendingLock)
        {
            if (!_pendingGets.TryGetValue(state.Key, out List<DhtSearchState>? list))
            {
                _pendingGets[state.Key] = list = [];
            }
            list.Add(state);
        }
    }

    /// <summary>
    /// mesh <c>_reuse_finished_search_result</c>: a finished search that found something also answers the concurrent
    /// searches for its key that would be satisfied by it (sufficient expiration no later than what was found).
    /// </summary>
    private void ReuseFinishedSearch(DhtSearchState finished)
    {
        var satisfied = new List<DhtSearchState>();
        lock (_pendingLock)
        {
            if (!_pendingGets.TryGetValue(finished.Key, out List<DhtSearchState>? pending))
            {
                return;
            }
            if (finished.FoundSomething && finished.Succeeded)
            {
                double threshold = Math.Max(finished.ExpirationTime, finished.SufficientExpirationTime);
                satisfied.AddRange(pending.Where(p => threshold >= p.SufficientExpirationTime));
                pending.RemoveAll(p => threshold >= p.SufficientExpirationTime);
            }
            else
            {
                pending.Remove(finished);
            }
            if (pending.Count == 0)
            {
                _pendingGets.Remove(finished.Key);
            }
        }
        foreach (DhtSearchState state in satisfied)
        {
            if (!ReferenceEquals(state, finished))
            {
                state.AddCandidateFrom(finished);
                state.FinishSearch();
            }
        }
    }

    /// <summary>mesh <c>_trigger_cache_refresh</c>: a key answered from our own cache is refreshed before it expires.</summary>
    private void TriggerCacheRefresh(DhtSearchState search)
    {
        if (search.Succeeded && search.FoundSomething && search.SourceNodeId == NodeId
            && _options.CacheRefreshBeforeExpiry > TimeSpan.Zero && _protocol.Stores.Cache.Contains(search.Key))
        {
            _refresher.Schedule(search.Key, search.ExpirationTime - _options.CacheRefreshBeforeExpiry.TotalSeconds);
        }
    }

    private void CacheNewResultLocally(DhtSearchState search) => CacheNewResultLocally(search, isRefresh: false);

    private void CacheNewResultLocallyOnRefresh(DhtSearchState search) => CacheNewResultLocally(search, isRefresh: true);

    /// <summary>
    /// mesh <c>_cache_new_result</c>, first half, for a key that went through the traversal: a value newer than what we
    /// hold is cached locally (<see cref="DhtNodeOptions.CacheLocally"/>, always for a refresh), and the search remembers
    /// that it was newer for <see cref="CacheNewResultOnNearest"/>.
    /// </summary>
    private void CacheNewResultLocally(DhtSearchState search, bool isRefresh)
    {
        if (!search.Traversed || !search.Succeeded)
        {
            return;
        }
        (ReadOnlyMemory<byte> regular, DictionaryDhtValue? dictionary, double? expiration, _) = search.Snapshot();
        if (expiration is not double exp)
        {
            return;
        }
        double storageExpiration = _protocol.Stores.Storage.TryGet(search.Key, out StoredValue s) ? s.ExpirationTime : double.NegativeInfinity;
        double cacheExpiration = _protocol.Stores.Cache.TryGet(search.Key, out StoredValue c) ? c.ExpirationTime : double.NegativeInfinity;
        if (!(exp > Math.Max(storageExpiration, cacheExpiration)))
        {
            return;
        }
        search.NewerThanHeld = true;
        if (_options.CacheLocally || isRefresh)
        {
            if (dictionary is null)
            {
                _protocol.Stores.Cache.StoreValue(search.Key, regular, exp);
            }
            else
            {
                _protocol.Stores.Cache.StoreDictionary(search.Key, dictionary);
            }
        }
    }

    /// <summary>
    /// mesh <c>_cache_new_result</c>, second half, once the traversal has the nearest nodes: a newer value is also stored
    /// (in their caches) on the nearest visited nodes other than its source (<see cref="DhtNodeOptions.CacheNearest"/>).
    /// </summary>
    private void CacheNewResultOnNearest(DhtSearchState search, IReadOnlyList<RoutingEntry<DhtId, PeerId>> nearest)
    {
        if (_options.CacheNearest == 0 || !search.NewerThanHeld)
        {
            return;
        }
        (ReadOnlyMemory<byte> regular, DictionaryDhtValue? dictionary, double? expiration, DhtId? source) = search.Snapshot();
        if (expiration is not double exp)
        {
            return;
        }
        DhtStoreEntry entry = dictionary is null
            ? DhtStoreEntry.Regular(search.Key, regular, exp, inCache: true)
            : DhtStoreEntry.Dictionary(search.Key, MsgPackSerializer.Serialize(MsgValue.FromDictionary(dictionary)), exp, inCache: true);
        int cached = 0;
        foreach (RoutingEntry<DhtId, PeerId> node in nearest)
        {
            if (node.NodeId == source || node.NodeId == NodeId)
            {
                continue;
            }
            PeerId peer = node.Peer;
            _background.TryStart(ct => _protocol.CallStoreAsync(peer, [entry], ct));
            if (++cached >= _options.CacheNearest)
            {
                break;
            }
        }
    }
}
