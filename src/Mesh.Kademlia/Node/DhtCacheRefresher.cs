using Mesh.Kademlia.Keys;
using Microsoft.Extensions.Logging;

namespace Mesh.Kademlia.Node;

/// <summary>
/// hivemind <c>CacheRefreshQueue</c> and <c>_refresh_stale_cache_entries</c>: keys served from the local cache are
/// fetched again <c>cache_refresh_before_expiry</c> before they expire, in batches of up to <c>chunk_size</c>, so hot
/// keys stay cached. One loop owns the queue's schedule; <see cref="Schedule"/> may be called from any thread.
/// </summary>
/// <remarks>
/// As hivemind's <c>TimedStorage</c>, scheduling a key that is already scheduled only moves it to a later time; an
/// earlier one is ignored. The loop starts with the first scheduled key, waits on the node's <see cref="TimeProvider"/>
/// (so tests drive it with a fake clock) and stops on dispose.
/// </remarks>
internal sealed class DhtCacheRefresher : IAsyncDisposable
{
    private readonly DhtNode _node;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<DhtId, double> _scheduled = [];
    private readonly PriorityQueue<DhtId, double> _queue = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private bool _waiting;
    private int _disposed;

    public DhtCacheRefresher(DhtNode node, TimeProvider time, ILogger logger)
    {
        _node = node;
        _time = time;
        _logger = logger;
    }

    /// <summary>Keys waiting to be refreshed.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _scheduled.Count;
            }
        }
    }

    private double Now => _node.Protocol.Clock.Now;

    /// <summary>Refresh <paramref name="key"/> at <paramref name="refreshTime"/> (DHT time) or later.</summary>
    public void Schedule(DhtId key, double refreshTime)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        lock (_lock)
        {
            if (_scheduled.TryGetValue(key, out double existing) && existing >= refreshTime)
            {
                return;
            }
            _scheduled[key] = refreshTime;
            _queue.Enqueue(key, refreshTime);
            _loop ??= RunAsync();
        }
        _wake.Release();
    }

    /// <summary>For tests: completes once the loop waits with nothing due at the current time.</summary>
    public Task WhenIdleAsync()
    {
        lock (_lock)
        {
            if (_loop is null || (_waiting && !HasDueLocked()))
            {
                return Task.CompletedTask;
            }
            return _idle.Task;
        }
    }

    private bool HasDueLocked() => TryPeekLocked(out _, out double time) && time <= Now;

    private bool TryPeekLocked(out DhtId key, out double time)
    {
        while (_queue.TryPeek(out key, out time))
        {
            if (_scheduled.TryGetValue(key, out double current) && current == time)
            {
                return true;
            }
            _queue.Dequeue(); // superseded by a later schedule
        }
        return false;
    }

    private async Task RunAsync()
    {
        await Task.Yield();
        CancellationToken stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            TimeSpan wait;
            lock (_lock)
            {
                if (!TryPeekLocked(out _, out double next))
                {
                    wait = Timeout.InfiniteTimeSpan;
                }
                else
                {
                    double seconds = next - Now;
                    wait = seconds <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(seconds, 86400));
                }
                if (wait != TimeSpan.Zero)
                {
                    _waiting = true;
                    _idle.TrySetResult();
                    _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
            try
            {
                if (wait != TimeSpan.Zero)
                {
                    using var wakeOrTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    Task delay = wait == Timeout.InfiniteTimeSpan ? Task.Delay(Timeout.Infinite, wakeOrTimeout.Token) : Task.Delay(wait, _time, wakeOrTimeout.Token);
                    Task woken = _wake.WaitAsync(wakeOrTimeout.Token);
                    await Task.WhenAny(delay, woken).ConfigureAwait(false);
                    await wakeOrTimeout.CancelAsync().ConfigureAwait(false);
                    await Task.WhenAll(delay, woken).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
                    continue; // re-read the schedule: a new earliest key, or the time has come
                }
                await RefreshDueAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                DhtNodeLog.CacheRefreshFailed(_logger, ex);
            }
            finally
            {
                lock (_lock)
                {
                    _waiting = false;
                }
            }
        }
    }

    /// <summary>Step 2 and 3 of hivemind's loop: take every due key (up to chunk_size) and get newer versions of them.</summary>
    private async Task RefreshDueAsync(CancellationToken cancellationToken)
    {
        var keys = new List<DhtId>();
        double maxExpiration;
        lock (_lock)
        {
            if (!TryPeekLocked(out DhtId first, out double firstTime))
            {
                return;
            }
            double now = Now;
            _queue.Dequeue();
            _scheduled.Remove(first);
            keys.Add(first);
            // hivemind starts from the first key's refresh time, not its cached expiration (a quirk kept as is: the
            // search then asks for anything at least 1 s newer than that key's cached copy).
            maxExpiration = firstTime;
            while (keys.Count < _node.Options.ChunkSize && TryPeekLocked(out DhtId key, out double time) && time <= now)
            {
                _queue.Dequeue();
                _scheduled.Remove(key);
                keys.Add(key);
                if (_node.Protocol.Stores.Cache.TryGet(key, out Storage.StoredValue cached) && cached.ExpirationTime > maxExpiration)
                {
                    maxExpiration = cached.ExpirationTime;
                }
            }
        }
        double sufficient = maxExpiration + _node.Options.CacheRefreshBeforeExpiry.TotalSeconds + 1;
        await _node.GetManyByIdAsync(keys, sufficient, isRefresh: true, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task? loop;
        lock (_lock)
        {
            loop = _loop;
        }
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }
        lock (_lock)
        {
            _idle.TrySetResult();
        }
        _stopping.Dispose();
        _wake.Dispose();
    }
}
