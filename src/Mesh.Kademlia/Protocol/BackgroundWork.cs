using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// The background work a DHT component starts and owns (mesh creates asyncio tasks for these and forgets them): each
/// piece is tracked until it ends, bounded in number, cancelled and awaited on dispose, and its failure is logged.
/// </summary>
internal sealed class BackgroundWork : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly HashSet<Task> _running = [];
    private readonly ILogger _logger;
    private readonly int _limit;
    private bool _disposed;

    public BackgroundWork(ILogger logger, int limit = int.MaxValue)
    {
        _logger = logger;
        _limit = limit;
    }

    /// <summary>Fires when the owner shuts down.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>Starts <paramref name="work"/> on the thread pool; false (and nothing started) when shut down or at the limit.</summary>
    public bool TryStart(Func<CancellationToken, Task> work)
    {
        lock (_lock)
        {
            if (_disposed || _running.Count >= _limit)
            {
                return false;
            }
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var self = new StrongBox<Task>();
            self.Value = RunAsync(start.Task, self, work);
            _running.Add(self.Value);
            start.SetResult();
            return true;
        }
    }

    /// <summary>
    /// Completes once nothing is running, including work that the running work started while it was awaited (a
    /// traversal's found-callback starts its caching stores before the traversal ends); for tests and orderly shutdown.
    /// </summary>
    public async Task WhenIdleAsync()
    {
        while (true)
        {
            Task[] running;
            lock (_lock)
            {
                running = [.. _running];
            }
            if (running.Length == 0)
            {
                return;
            }
            await Task.WhenAll(running).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(Task started, StrongBox<Task> self, Func<CancellationToken, Task> work)
    {
        await started.ConfigureAwait(false); // runs on the pool, never inline on the caller's path
        try
        {
            await work(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            DhtLog.BackgroundFailed(_logger, ex);
        }
        finally
        {
            lock (_lock)
            {
                _running.Remove(self.Value!);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            running = [.. _running];
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already logged by RunAsync.
        }
        _stopping.Dispose();
    }
}
