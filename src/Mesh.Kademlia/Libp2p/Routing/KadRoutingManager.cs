using System.Collections.Immutable;
using System.Threading.Channels;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Kademlia.Libp2p.Routing;

/// <summary>
/// The single owner of the libp2p DHT's <see cref="RoutingTable{TKey, TPeer}"/> (keys: SHA-256 of the peer id bytes).
/// Everything that should change the table posts an event here; one loop applies them in order, so the table's
/// one-writer rule holds and readers use its lock-free snapshots.
/// </summary>
/// <remarks>
/// <para>Rules (libp2p kad-dht spec "Client and server mode"): a peer enters the table only when identify shows it
/// advertises the kad protocol (or it answered one of our kad requests, which proves the same); it leaves when a
/// request to it fails or identify (push) shows it stopped advertising the protocol. When its bucket is full the
/// newcomer waits as a replacement and the bucket's least-recently-seen peer is pinged (/ipfs/ping/1.0.0; classic
/// Kademlia, as js does): an answer keeps it, silence evicts it and promotes the replacement.</para>
/// <para>The queue is bounded; when it is full, new events are dropped (a lost "seen" only delays a peer's entry, and
/// every event is re-derived from later traffic).</para>
/// </remarks>
internal sealed class KadRoutingManager : IAsyncDisposable
{
    private readonly MeshHost _host;
    private readonly RoutingTable<KadKey256, PeerId> _table;
    private readonly KadIpGroupFilter? _diversity;
    private readonly ILogger _logger;
    private readonly Channel<Event> _events = Channel.CreateBounded<Event>(new BoundedChannelOptions(4096)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite,
    });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly HashSet<Task> _pings = []; // owned by the loop
    private readonly TimeSpan _pingTimeout;

    private enum Kind
    {
        Seen,
        Failed,
        NotServer,
        Barrier,
        PingsInFlight,
    }

    private readonly record struct Event(Kind Kind, PeerId Peer, TaskCompletionSource? Done = null, TaskCompletionSource<Task[]>? Pings = null);

    public KadRoutingManager(MeshHost host, KadDhtOptions options, ILogger logger)
    {
        _host = host;
        _logger = logger;
        _pingTimeout = options.RequestTimeout;
        KadKey256 self = KadKey256.Hash(host.PeerId.Bytes);
        // DepthModulo 1: only the bucket holding our own id splits, the classic k-bucket layout (one bucket per
        // common-prefix length) that go-libp2p-kbucket and rust-libp2p use.
        _table = new RoutingTable<KadKey256, PeerId>(self, new RoutingTableOptions
        {
            BucketSize = options.BucketSize,
            DepthModulo = 1,
            TimeProvider = options.TimeProvider,
        });
        _diversity = options.MaxPeersPerIpGroup is { } max ? new KadIpGroupFilter(max) : null;
        _loop = RunAsync();
    }

    public RoutingTable<KadKey256, PeerId> Table => _table;

    /// <summary>The peer advertises (or just proved it speaks) the kad protocol and was reachable.</summary>
    public void PostSeen(PeerId peer) => _events.Writer.TryWrite(new Event(Kind.Seen, peer));

    /// <summary>A request to the peer failed (no answer, refused, broken).</summary>
    public void PostFailed(PeerId peer) => _events.Writer.TryWrite(new Event(Kind.Failed, peer));

    /// <summary>Identify shows the peer does not (or no longer) serve the kad protocol.</summary>
    public void PostNotServer(PeerId peer) => _events.Writer.TryWrite(new Event(Kind.NotServer, peer));

    /// <summary>Completes once every event posted before it has been applied.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _events.Writer.WriteAsync(new Event(Kind.Barrier, default, done), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Like <see cref="FlushAsync"/>, and also waits for the eviction pings those events started to answer or fail and
    /// for their outcome to be applied (tests observe ping-before-evict with it; bootstrap must not wait on pings).
    /// </summary>
    internal async Task FlushIncludingPingsAsync(CancellationToken cancellationToken)
    {
        // The ping set belongs to the loop: ask it for the pings in flight after everything posted so far.
        var inFlight = new TaskCompletionSource<Task[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _events.Writer.WriteAsync(new Event(Kind.PingsInFlight, default, Pings: inFlight), cancellationToken).ConfigureAwait(false);
        Task[] pings = await inFlight.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        // A ping posts its outcome before its task completes, so the barrier below comes after that outcome.
        await Task.WhenAll(pings).WaitAsync(cancellationToken).ConfigureAwait(false);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        await Task.Yield();
        try
        {
            await foreach (Event e in _events.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    Apply(e);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    KadLog.MaintenanceFailed(_logger, ex);
                }
                _pings.RemoveWhere(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Apply(Event e)
    {
        switch (e.Kind)
        {
            case Kind.Barrier:
                e.Done!.TrySetResult();
                return;
            case Kind.PingsInFlight:
                _pings.RemoveWhere(t => t.IsCompleted);
                e.Pings!.TrySetResult([.. _pings]);
                return;
            case Kind.Seen:
                AddOrUpdate(e.Peer);
                return;
            case Kind.Failed:
            case Kind.NotServer:
                RoutingTableSnapshot<KadKey256, PeerId> before = _table.Snapshot;
                if (_table.RemovePeer(e.Peer))
                {
                    SyncDiversity(before);
                    KadLog.RoutingChanged(_logger, e.Kind == Kind.Failed ? "removed unresponsive" : "removed non-server", e.Peer.ToString(), _table.Count);
                }
                return;
        }
    }

    private void AddOrUpdate(PeerId peer)
    {
        if (peer == _host.PeerId)
        {
            return;
        }
        KadKey256 id = KadKey256.Hash(peer.Bytes);
        bool known = _table.Snapshot.IsActive(id);
        if (!known && _diversity is not null && !_diversity.Allows(peer, _host.PeerStore.GetAddresses(peer)))
        {
            KadLog.RoutingChanged(_logger, "refused (IP group full)", peer.ToString(), _table.Count);
            return;
        }
        RoutingTableSnapshot<KadKey256, PeerId> before = _table.Snapshot;
        RoutingUpdate<KadKey256, PeerId> update = _table.AddOrUpdate(id, peer);
        SyncDiversity(before);
        if (update.Outcome == RoutingUpdateOutcome.Added)
        {
            KadLog.RoutingChanged(_logger, "added", peer.ToString(), _table.Count);
        }
        if (update.PingCandidate is { } candidate)
        {
            _pings.Add(PingAsync(candidate.Peer));
        }
    }

    // The diversity filter counts every peer the table holds, replacements included, and follows the table's own
    // peer map rather than the update's outcome. Counting only peers that enter as Added (as this owner first did) let
    // the limit be bypassed: the table promotes a replacement into a freed slot by itself (Remove after a failed ping
    // or request, bucket splits), without asking the owner, so a promoted peer was never counted and its group could
    // then take more than its share (KadRoutingManagerTests.A_replacement_promoted_by_an_eviction_counts_against_its_ip_group).
    // Diffing the maps also stops counting replacements the table drops when its bounded cache overflows. Cost: O(table)
    // per membership change, only when the filter is on (it is off by default).
    private void SyncDiversity(RoutingTableSnapshot<KadKey256, PeerId> before)
    {
        ImmutableDictionary<PeerId, KadKey256> was = before.PeerToNode, now = _table.Snapshot.PeerToNode;
        if (_diversity is null || ReferenceEquals(was, now))
        {
            return;
        }
        foreach (PeerId gone in was.Keys)
        {
            if (!now.ContainsKey(gone))
            {
                _diversity.Removed(gone);
            }
        }
        foreach (PeerId added in now.Keys)
        {
            if (!was.ContainsKey(added))
            {
                _diversity.Added(added, _host.PeerStore.GetAddresses(added));
            }
        }
    }

    // Classic Kademlia eviction: ask the least-recently-seen peer of a full bucket whether it is alive.
    private async Task PingAsync(PeerId peer)
    {
        await Task.Yield();
        bool alive;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_pingTimeout);
            await _host.Ping.PingAsync(peer, timeout.Token).ConfigureAwait(false);
            alive = true;
        }
        catch (Exception) when (!_stop.IsCancellationRequested)
        {
            alive = false;
        }
        catch (Exception)
        {
            return;
        }
        if (alive)
        {
            PostSeen(peer);
        }
        else
        {
            PostFailed(peer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_pings).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
