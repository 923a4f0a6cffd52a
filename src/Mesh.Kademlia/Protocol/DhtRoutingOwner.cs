using System.Threading.Channels;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// The single writer of a DHT node's <see cref="RoutingTable{TKey, TPeer}"/> (mesh <c>update_routing_table</c>):
/// request handlers and RPC callers post "node seen" and "peer failed" events to one bounded queue, one loop applies
/// them in order, and everyone else reads the table's lock-free snapshots.
/// </summary>
/// <remarks>
/// For a node seen for the first time the loop asks its owner to hand it the keys it should now replicate; when the
/// node's bucket is full, the owner pings the least-recently-seen node of that bucket (Kademlia §2.2) and reports the
/// result back as another event. Events that do not fit in the queue are dropped: routing updates are best effort,
/// and dropping one costs at most a contact.
/// </remarks>
internal sealed class DhtRoutingOwner : IAsyncDisposable
{
    private readonly RoutingTable<DhtId, PeerId> _table;
    private readonly Channel<RoutingEvent> _events;
    private readonly ILogger _logger;
    private readonly Action<DhtId, PeerId> _onNewNode;
    private readonly Action<RoutingEntry<DhtId, PeerId>> _onPingCandidate;
    private readonly Task _loop;

    public DhtRoutingOwner(RoutingTable<DhtId, PeerId> table, int capacity, ILogger logger, Action<DhtId, PeerId> onNewNode, Action<RoutingEntry<DhtId, PeerId>> onPingCandidate)
    {
        _table = table;
        _logger = logger;
        _onNewNode = onNewNode;
        _onPingCandidate = onPingCandidate;
        _events = Channel.CreateBounded<RoutingEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _loop = RunAsync();
    }

    public RoutingTable<DhtId, PeerId> Table => _table;

    /// <summary>The node answered or called us (<c>responded=True</c>); completes once applied (or dropped).</summary>
    public Task SeenAsync(DhtId nodeId, PeerId peer) => Post(new RoutingEvent(RoutingEventKind.Seen, nodeId, peer, Completion()));

    /// <summary>Fire-and-forget variant for request handlers (the reply must not wait for the table).</summary>
    public void PostSeen(DhtId nodeId, PeerId peer) => Post(new RoutingEvent(RoutingEventKind.Seen, nodeId, peer, null));

    /// <summary>A call to <paramref name="peer"/> got no answer (<c>responded=False</c>): it leaves the table.</summary>
    public Task FailedAsync(PeerId peer, DhtId? nodeId = null) => Post(new RoutingEvent(RoutingEventKind.Failed, nodeId ?? default, peer, Completion(), nodeId.HasValue));

    /// <summary>Completes once every event posted before it has been applied.</summary>
    public Task FlushAsync() => Post(new RoutingEvent(RoutingEventKind.Barrier, default, default, Completion()));

    private static TaskCompletionSource Completion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Task Post(RoutingEvent e)
    {
        if (!_events.Writer.TryWrite(e))
        {
            DhtLog.RoutingQueueFull(_logger);
            e.Done?.TrySetResult();
        }
        return e.Done?.Task ?? Task.CompletedTask;
    }

    private async Task RunAsync()
    {
        await Task.Yield();
        await foreach (RoutingEvent e in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                Apply(e);
            }
            catch (Exception ex)
            {
                DhtLog.BackgroundFailed(_logger, ex);
            }
            finally
            {
                e.Done?.TrySetResult();
            }
        }
    }

    private void Apply(in RoutingEvent e)
    {
        switch (e.Kind)
        {
            case RoutingEventKind.Seen:
                if (!_table.Contains(e.NodeId) && !e.NodeId.Equals(_table.LocalId))
                {
                    // We just met a new node: maybe it should hold some of our keys.
                    _onNewNode(e.NodeId, e.Peer);
                }
                RoutingUpdate<DhtId, PeerId> update = _table.AddOrUpdate(e.NodeId, e.Peer);
                if (update.PingCandidate is { } candidate)
                {
                    _onPingCandidate(candidate);
                }
                break;
            case RoutingEventKind.Failed:
                _ = e.HasNodeId ? _table.Remove(e.NodeId) : _table.RemovePeer(e.Peer);
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private enum RoutingEventKind
    {
        Seen,
        Failed,
        Barrier,
    }

    private readonly record struct RoutingEvent(RoutingEventKind Kind, DhtId NodeId, PeerId Peer, TaskCompletionSource? Done, bool HasNodeId = true);
}
