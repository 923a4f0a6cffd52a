using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Validation;

namespace Mesh.Kademlia.Node;

/// <summary>
/// hivemind <c>_SearchState</c>: the best value found so far for one key of a get, merged across the peers that
/// answered, and the result the caller awaits. Finished as soon as a value expiring at or after
/// <see cref="SufficientExpirationTime"/> is found, when the traversal ends, or when the caller gives up.
/// </summary>
/// <remarks>
/// Candidates arrive from concurrent RPC replies, so the state takes a short lock; the result is set outside it and
/// its continuations run asynchronously. Dictionaries from several peers are merged subkey by subkey, newer wins (the
/// union is what the DHT holds); a plain value replaces the current best only when it expires later.
/// </remarks>
internal sealed class DhtSearchState
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<DhtValue?> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DhtNode _node;
    private readonly List<Action<DhtSearchState>> _onDone = [];
    private ReadOnlyMemory<byte> _regular;
    private Dictionary<ReadOnlyMemory<byte>, (ReadOnlyMemory<byte> Value, double Expiration)>? _dictionary;
    private MsgValue _maxSize = DictionaryDhtValue.UnboundedMaxSize;
    private double? _expiration;
    private DhtId? _source;
    private bool _done;
    private bool _cancelled;

    public DhtSearchState(DhtNode node, DhtId key, double sufficientExpirationTime)
    {
        _node = node;
        Key = key;
        SufficientExpirationTime = sufficientExpirationTime;
    }

    public DhtId Key { get; }

    /// <summary>A value expiring at or after this time ends the search (+inf: find the latest).</summary>
    public double SufficientExpirationTime { get; }

    public Task<DhtValue?> Result => _result.Task;

    /// <summary>Done: found, finished, reused or cancelled (set before the done callbacks run and the result is published).</summary>
    public bool Finished
    {
        get
        {
            lock (_lock)
            {
                return _done;
            }
        }
    }

    /// <summary>Done and not cancelled.</summary>
    public bool Succeeded
    {
        get
        {
            lock (_lock)
            {
                return _done && !_cancelled;
            }
        }
    }

    public bool FoundSomething
    {
        get
        {
            lock (_lock)
            {
                return _expiration is not null;
            }
        }
    }

    public double ExpirationTime
    {
        get
        {
            lock (_lock)
            {
                return _expiration ?? double.NegativeInfinity;
            }
        }
    }

    public DhtId? SourceNodeId
    {
        get
        {
            lock (_lock)
            {
                return _source;
            }
        }
    }

    /// <summary>The key went to the DHT traversal (it was not answered from this node alone); set before the traversal starts.</summary>
    public bool Traversed { get; set; }

    /// <summary>
    /// The value found expires later than what this node held when the search finished: the decision mesh's
    /// <c>_cache_new_result</c> takes, made once (locally caching the value changes what the node holds).
    /// </summary>
    public bool NewerThanHeld { get; set; }

    /// <summary>Runs <paramref name="callback"/> once the state is done (found, finished, reused or cancelled).</summary>
    public void OnDone(Action<DhtSearchState> callback)
    {
        lock (_lock)
        {
            if (!_done)
            {
                _onDone.Add(callback);
                return;
            }
        }
        callback(this);
    }

    /// <summary><c>add_candidate</c> for a value held locally.</summary>
    public void AddCandidate(in StoredValue stored, DhtId source)
    {
        if (stored.IsDictionary)
        {
            AddCandidate(default, stored.Dictionary, stored.ExpirationTime, source);
        }
        else
        {
            AddCandidate(stored.Value, null, stored.ExpirationTime, source);
        }
    }

    /// <summary><c>add_candidate</c>: a regular value (<paramref name="dictionary"/> null) or a dictionary, with its expiration.</summary>
    public void AddCandidate(ReadOnlyMemory<byte> regular, DictionaryDhtValue? dictionary, double expiration, DhtId source)
    {
        bool finish;
        lock (_lock)
        {
            if (_done || double.IsNaN(expiration))
            {
                return;
            }
            if (dictionary is not null && _dictionary is not null)
            {
                if (dictionary.MaxSizeAsNumber > MaxSizeOf(_maxSize))
                {
                    _maxSize = dictionary.MaxSize;
                }
                foreach (DictionaryDhtItem item in dictionary.Items)
                {
                    if (!_dictionary.TryGetValue(item.PackedSubkey, out var held) || held.Expiration < item.ExpirationTime)
                    {
                        _dictionary[item.PackedSubkey] = (item.Value, item.ExpirationTime);
                    }
                }
            }
            else if (expiration > (_expiration ?? double.NegativeInfinity))
            {
                if (dictionary is null)
                {
                    _regular = regular;
                    _dictionary = null;
                }
                else
                {
                    _regular = default;
                    _maxSize = dictionary.MaxSize;
                    _dictionary = new Dictionary<ReadOnlyMemory<byte>, (ReadOnlyMemory<byte>, double)>(ByteMemoryComparer.Instance);
                    foreach (DictionaryDhtItem item in dictionary.Items)
                    {
                        if (!_dictionary.TryGetValue(item.PackedSubkey, out var held) || held.Item2 < item.ExpirationTime)
                        {
                            _dictionary[item.PackedSubkey] = (item.Value, item.ExpirationTime);
                        }
                    }
                }
            }
            finish = false;
            if (expiration > (_expiration ?? double.NegativeInfinity))
            {
                _expiration = expiration;
                _source = source;
                finish = expiration >= SufficientExpirationTime;
            }
        }
        if (finish)
        {
            FinishSearch();
        }
    }

    /// <summary>Takes a finished search's best value (reuse of concurrent gets).</summary>
    public void AddCandidateFrom(DhtSearchState finished)
    {
        (ReadOnlyMemory<byte> regular, DictionaryDhtValue? dictionary, double? expiration, DhtId? source) = finished.Snapshot();
        if (expiration is double exp && source is DhtId from)
        {
            AddCandidate(regular, dictionary, exp, from);
        }
    }

    /// <summary>The best value as the wire form (for caching and cache_nearest stores).</summary>
    public (ReadOnlyMemory<byte> Regular, DictionaryDhtValue? Dictionary, double? Expiration, DhtId? Source) Snapshot()
    {
        lock (_lock)
        {
            DictionaryDhtValue? dictionary = _dictionary is null
                ? null
                : new DictionaryDhtValue(_maxSize, _expiration ?? double.NegativeInfinity,
                    [.. _dictionary.Select(static p => new DictionaryDhtItem(p.Key, p.Value.Value, p.Value.Expiration))]);
            return (_regular, dictionary, _expiration, _source);
        }
    }

    /// <summary><c>finish_search</c>: resolves the result with the best value (deserialized, signatures stripped) or null.</summary>
    public void FinishSearch()
    {
        if (Finished)
        {
            return;
        }
        (ReadOnlyMemory<byte> regular, DictionaryDhtValue? dictionary, double? expiration, _) = Snapshot();
        DhtValue? value = expiration is double exp ? _node.ToDhtValue(Key, regular, dictionary, exp) : null;
        Complete(cancelled: false, value);
    }

    /// <summary>The caller gave up: the result is cancelled and the traversal stops asking about this key.</summary>
    public void Cancel() => Complete(cancelled: true, null);

    /// <summary>
    /// Marks the state done, runs the done callbacks (reuse, cache refresh), then publishes the result: whoever awaits
    /// the result sees the callbacks' effects (mesh runs future callbacks before the awaiting coroutine resumes).
    /// </summary>
    private void Complete(bool cancelled, DhtValue? value)
    {
        Action<DhtSearchState>[] callbacks;
        lock (_lock)
        {
            if (_done)
            {
                return;
            }
            _done = true;
            _cancelled = cancelled;
            callbacks = [.. _onDone];
            _onDone.Clear();
        }
        try
        {
            foreach (Action<DhtSearchState> callback in callbacks)
            {
                callback(this);
            }
        }
        finally
        {
            if (cancelled)
            {
                _result.TrySetCanceled();
            }
            else
            {
                _result.TrySetResult(value);
            }
        }
    }

    private static double MaxSizeOf(MsgValue maxSize) => maxSize.TryGetNumber(out double n) ? n : double.PositiveInfinity;
}
