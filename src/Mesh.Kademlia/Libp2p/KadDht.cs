using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Libp2p.Lookup;
using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Kademlia.Libp2p.Network;
using Mesh.Kademlia.Libp2p.Providers;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Kademlia.Libp2p.Routing;
using Mesh.Kademlia.Routing;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Kademlia.Libp2p;

/// <summary>
/// The libp2p Kademlia DHT (<c>/ipfs/kad/1.0.0</c>, libp2p kad-dht spec r2; libp2p-specs.md §2i) on a
/// <see cref="MeshHost"/>: peer routing, value records with namespaced validators, provider records, in client or
/// server mode. The routing table, keys and storage primitives are the engine's (src/Mesh.Kademlia); this class is the
/// libp2p front-end.
/// </summary>
/// <remarks>
/// <para>Lifecycle: construct, register extra namespaces on <see cref="Validators"/>, <see cref="StartAsync"/>, then
/// <see cref="BootstrapAsync"/> with a few known peers. <see cref="DisposeAsync"/> unregisters the protocol and stops
/// the maintenance loop (routing-table refresh every 10 min, provider republish every 22 h, hourly sweeps).</para>
/// <para>Thread-safety: every public member may be called from any thread.</para>
/// </remarks>
public sealed partial class KadDht : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly KadClient _client;
    private readonly KadRoutingManager _routing;
    private readonly KadRequestHandler _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _providedLock = new();
    private readonly Dictionary<string, byte[]> _provided = new(StringComparer.Ordinal); // hex(key) → key; guarded by _providedLock
    private Multiaddr[] _bootstrapPeers = []; // the last BootstrapAsync's peers, dialled again when the table empties
    private Task _maintenance = Task.CompletedTask;
    private int _state; // 0 created, 1 started, 2 disposed

    public KadDht(MeshHost host, KadDhtOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Host = host ?? throw new ArgumentNullException(nameof(host));
        Options = options ?? new KadDhtOptions();
        Options.Validate();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Mesh.Kademlia.Libp2p");
        Validators = new KadValidators(Options.TimeProvider);
        Records = new KadRecordStore(Validators, Options.Records, Options.TimeProvider);
        Providers = new KadProviderStore(Options.Providers, Options.TimeProvider);
        _client = new KadClient(host, Options);
        _routing = new KadRoutingManager(host, Options, _logger);
        _handler = new KadRequestHandler(this, _logger);
    }

    public MeshHost Host { get; }

    public KadDhtOptions Options { get; }

    /// <summary>Namespace validators (<c>pk</c>, <c>ipns</c> built in); register more before starting.</summary>
    public KadValidators Validators { get; }

    /// <summary>Value records held for the network.</summary>
    public KadRecordStore Records { get; }

    /// <summary>Provider records held for the network.</summary>
    public KadProviderStore Providers { get; }

    /// <summary>The current routing table (lock-free snapshot).</summary>
    public RoutingTableSnapshot<KadKey256, PeerId> RoutingTable => _routing.Table.Snapshot;

    /// <summary>This node's kad key (SHA-256 of its peer id).</summary>
    public KadKey256 LocalKey => _routing.Table.LocalId;

    /// <summary>
    /// Registers the protocol handler (server mode: identify then advertises it), follows identify to fill the routing
    /// table with server peers, and starts the maintenance loop.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The DHT is already started or disposed.");
        }
        Host.Identify.PeerIdentified += OnPeerIdentified;
        if (Options.Mode == KadDhtMode.Server)
        {
            Host.SetHandler(Options.ProtocolId, _handler.HandleAsync, new StreamHandlerOptions
            {
                MaxInboundStreamsPerConnection = Options.MaxInboundStreamsPerConnection,
                MaxOutboundStreamsPerConnection = Options.MaxOutboundStreamsPerConnection,
            });
        }
        foreach (PeerInfo info in Host.PeerStore.GetAll())
        {
            if (info.SupportsProtocol(Options.ProtocolId))
            {
                _routing.PostSeen(info.PeerId);
            }
        }
        _maintenance = MaintainAsync(_stop.Token);
        KadLog.Started(_logger, Options.ProtocolId, Options.Mode, Host.PeerId.ToString());
        return Task.CompletedTask;
    }

    private void OnPeerIdentified(PeerInfo info)
    {
        if (info.SupportsProtocol(Options.ProtocolId))
        {
            _routing.PostSeen(info.PeerId);
        }
        else
        {
            _routing.PostNotServer(info.PeerId);
        }
    }

    internal void OnInboundRequest(PeerId sender)
    {
        // A requester is only a routing candidate if identify says it serves the protocol (clients ask too).
        if (Host.PeerStore.Get(sender)?.SupportsProtocol(Options.ProtocolId) == true)
        {
            _routing.PostSeen(sender);
        }
    }

    /// <summary>Applies every routing event posted so far (tests and bootstrap use it to see a settled table).</summary>
    public Task FlushRoutingAsync(CancellationToken cancellationToken = default) => _routing.FlushAsync(cancellationToken);

    // ------------------------------------------------------------------ bootstrap and refresh

    /// <summary>
    /// Connects to <paramref name="peers"/> (multiaddrs ending in <c>/p2p/&lt;id&gt;</c>), waits for identify to show
    /// which of them serve the DHT, then refreshes the routing table (self lookup plus one lookup per non-empty
    /// bucket). Returns how many bootstrap peers joined the routing table; peers that cannot be reached are skipped.
    /// </summary>
    public async Task<int> BootstrapAsync(IEnumerable<Multiaddr> peers, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ThrowIfNotStarted();
        Multiaddr[] addresses = [.. peers];
        Volatile.Write(ref _bootstrapPeers, addresses);
        PeerId?[] joined = await JoinAllAsync(addresses, cancellationToken).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return joined.Count(p => p is { } peer && RoutingTable.ContainsPeer(peer));
    }

    /// <summary>Joins every address at once; the routing updates the joins posted are applied when it returns.</summary>
    private async Task<PeerId?[]> JoinAllAsync(Multiaddr[] addresses, CancellationToken cancellationToken)
    {
        PeerId?[] joined = await Task.WhenAll(addresses.Select(a => JoinAsync(a, cancellationToken))).ConfigureAwait(false);
        await _routing.FlushAsync(cancellationToken).ConfigureAwait(false);
        return joined;
    }

    private async Task<PeerId?> JoinAsync(Multiaddr address, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.RequestTimeout + IdentifyService.Timeout);
            MeshConnection connection = await Host.ConnectAsync(address, timeout.Token).ConfigureAwait(false);
            PeerInfo info = await WaitForIdentifyAsync(connection.RemotePeer, timeout.Token).ConfigureAwait(false);
            if (!info.SupportsProtocol(Options.ProtocolId))
            {
                KadLog.BootstrapPeerFailed(_logger, address.ToString(), $"it does not serve {Options.ProtocolId}");
                return null;
            }
            _routing.PostSeen(connection.RemotePeer);
            return connection.RemotePeer;
        }
        catch (Exception ex) when (ex is MeshProtocolException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            KadLog.BootstrapPeerFailed(_logger, address.ToString(), ex.Message);
            return null;
        }
    }

    private async Task<PeerInfo> WaitForIdentifyAsync(PeerId peer, CancellationToken cancellationToken)
    {
        var identified = new TaskCompletionSource<PeerInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnIdentified(PeerInfo info)
        {
            if (info.PeerId == peer)
            {
                identified.TrySetResult(info);
            }
        }
        Host.Identify.PeerIdentified += OnIdentified;
        try
        {
            if (Host.PeerStore.Get(peer) is { IdentifiedAt: not null } known)
            {
                return known;
            }
            return await identified.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Host.Identify.PeerIdentified -= OnIdentified;
        }
    }

    /// <summary>
    /// Routing-table refresh (libp2p kad-dht spec "Bootstrap process"): a lookup for our own key, then one for a
    /// random key in every non-empty bucket (the bucket's common-prefix length with us, at most
    /// <see cref="KadDhtOptions.MaxRefreshDepth"/>), each bounded by <see cref="KadDhtOptions.RefreshQueryTimeout"/>.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        await RefillLowTableAsync(cancellationToken).ConfigureAwait(false);
        int lookups = 0;
        if (RoutingTable.Count == 0)
        {
            return;
        }
        await RefreshLookupAsync(Host.PeerId.ToByteArray(), cancellationToken).ConfigureAwait(false);
        lookups++;
        var depths = new SortedSet<int>();
        foreach (KBucket<KadKey256, PeerId> bucket in RoutingTable.Buckets)
        {
            if (bucket.Nodes.Length > 0)
            {
                // The bucket's common-prefix length with our key: the sibling subtree at that depth.
                depths.Add(Math.Min(KadKey256.CommonPrefixLength(bucket.Prefix, LocalKey), Options.MaxRefreshDepth));
            }
        }
        foreach (int depth in depths)
        {
            byte[] key = KadRefreshKeys.RandomPeerIdWithCommonPrefix(LocalKey, depth, Random.Shared);
            await RefreshLookupAsync(key, cancellationToken).ConfigureAwait(false);
            lookups++;
        }
        KadLog.Refreshed(_logger, lookups, RoutingTable.Count);
    }

    /// <summary>
    /// go-libp2p-kad-dht's <c>fixLowPeers</c>: a table below <see cref="KadDhtOptions.LowPeersThreshold"/> takes every
    /// connected server peer (a refresh whose every request failed empties the table while the connections stay), and
    /// an empty one dials the bootstrap peers again, so a node that lost its table finds the network without a restart.
    /// </summary>
    private async Task RefillLowTableAsync(CancellationToken cancellationToken)
    {
        int before = RoutingTable.Count;
        if (before >= Options.LowPeersThreshold)
        {
            return;
        }
        foreach (MeshConnection connection in Host.Connections)
        {
            if (Host.PeerStore.Get(connection.RemotePeer)?.SupportsProtocol(Options.ProtocolId) == true)
            {
                _routing.PostSeen(connection.RemotePeer);
            }
        }
        await _routing.FlushAsync(cancellationToken).ConfigureAwait(false);
        string rejoined = "";
        Multiaddr[] bootstrap = Volatile.Read(ref _bootstrapPeers);
        if (RoutingTable.Count == 0 && bootstrap.Length > 0)
        {
            PeerId?[] joined = await JoinAllAsync(bootstrap, cancellationToken).ConfigureAwait(false);
            rejoined = $", then {joined.Count(p => p is not null)} of {bootstrap.Length} bootstrap peers dialled again";
        }
        if (RoutingTable.Count != before)
        {
            KadLog.RefilledLowTable(_logger, before, RoutingTable.Count, rejoined);
        }
    }

    private async Task RefreshLookupAsync(byte[] key, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.RefreshQueryTimeout);
        await LookupClosestAsync(key, timeout.Token).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        TimeProvider clock = Options.TimeProvider;
        DateTimeOffset start = clock.GetUtcNow();
        DateTimeOffset nextRefresh = Options.RefreshInterval > TimeSpan.Zero ? start + Options.RefreshInterval : DateTimeOffset.MaxValue;
        DateTimeOffset nextCleanup = Options.CleanupInterval > TimeSpan.Zero ? start + Options.CleanupInterval : DateTimeOffset.MaxValue;
        DateTimeOffset nextRepublish = Options.ProviderRepublishInterval > TimeSpan.Zero ? start + Options.ProviderRepublishInterval : DateTimeOffset.MaxValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            DateTimeOffset due = new[] { nextRefresh, nextCleanup, nextRepublish }.Min();
            if (due == DateTimeOffset.MaxValue)
            {
                return;
            }
            TimeSpan wait = due - clock.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, clock, cancellationToken).ConfigureAwait(false);
                }
                DateTimeOffset now = clock.GetUtcNow();
                if (now >= nextCleanup)
                {
                    Records.Sweep();
                    Providers.Sweep();
                    nextCleanup = now + Options.CleanupInterval;
                }
                if (now >= nextRefresh)
                {
                    await RefreshAsync(cancellationToken).ConfigureAwait(false);
                    nextRefresh = clock.GetUtcNow() + Options.RefreshInterval;
                }
                if (now >= nextRepublish)
                {
                    await RepublishProvidedAsync(cancellationToken).ConfigureAwait(false);
                    nextRepublish = clock.GetUtcNow() + Options.ProviderRepublishInterval;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                KadLog.MaintenanceFailed(_logger, ex);
                // Try again at the next period rather than spinning on a persistent failure.
                DateTimeOffset now = clock.GetUtcNow();
                nextRefresh = nextRefresh <= now ? now + Options.RefreshInterval : nextRefresh;
                nextRepublish = nextRepublish <= now ? now + Options.ProviderRepublishInterval : nextRepublish;
                nextCleanup = nextCleanup <= now ? now + Options.CleanupInterval : nextCleanup;
            }
        }
    }

    private async Task RepublishProvidedAsync(CancellationToken cancellationToken)
    {
        byte[][] keys;
        lock (_providedLock)
        {
            keys = [.. _provided.Values];
        }
        foreach (byte[] key in keys)
        {
            await ProvideAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    // ------------------------------------------------------------------ helpers shared with the request handler

    /// <summary>The k peers of the routing table nearest to SHA-256(<paramref name="key"/>), with addresses, never <paramref name="requester"/>.</summary>
    internal IReadOnlyList<KadPeer> CloserPeers(ReadOnlySpan<byte> key, PeerId requester)
    {
        RoutingEntry<KadKey256, PeerId>[] nearest = RoutingTable.GetNearestNeighbors(KadKey256.Hash(key), Options.BucketSize + 1);
        var result = new List<KadPeer>(nearest.Length);
        foreach (RoutingEntry<KadKey256, PeerId> entry in nearest)
        {
            if (entry.Peer == requester || result.Count == Options.BucketSize)
            {
                continue;
            }
            var addresses = Host.PeerStore.GetAddresses(entry.Peer);
            // A peer without addresses is useless to the requester (js filters them out too).
            if (!addresses.IsEmpty)
            {
                result.Add(new KadPeer(entry.Peer, addresses));
            }
        }
        return result;
    }

    /// <summary>The /pk/ record this node can vouch for: its own key or one the handshake or identify verified.</summary>
    internal bool TryGetPublicKeyRecord(ReadOnlySpan<byte> key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? publicKey)
    {
        publicKey = null;
        if (!KadRecordKey.TrySplit(key, out ReadOnlySpan<byte> ns, out ReadOnlySpan<byte> rest) || !ns.SequenceEqual("pk"u8)
            || !PeerId.TryFromBytes(rest, out PeerId peer))
        {
            return false;
        }
        PublicKey? known = peer == Host.PeerId ? Host.PublicKey : Host.PeerStore.Get(peer)?.PublicKey;
        if (known is null)
        {
            return false;
        }
        publicKey = known.ToProtobuf();
        return true;
    }

    /// <summary>Records the addresses of peers a response named and returns their ids.</summary>
    private List<PeerId> Learn(IReadOnlyList<KadPeer> peers)
    {
        var ids = new List<PeerId>(peers.Count);
        foreach (KadPeer peer in peers)
        {
            if (peer.Id == Host.PeerId)
            {
                continue;
            }
            if (peer.Addresses.Count > 0)
            {
                Host.PeerStore.AddAddresses(peer.Id, peer.Addresses);
            }
            ids.Add(peer.Id);
        }
        return ids;
    }

    private void OnLookupOutcome(PeerId peer, bool answered)
    {
        if (answered)
        {
            _routing.PostSeen(peer);
        }
        else
        {
            _routing.PostFailed(peer);
        }
    }

    private PeerId[] Seeds(KadKey256 target) =>
        [.. RoutingTable.GetNearestNeighbors(target, Options.BucketSize).Select(e => e.Peer)];

    private KadLookup NewLookup(KadKey256 target, Func<PeerId, CancellationToken, ValueTask<KadLookupReply>> query) =>
        new(target, Host.PeerId, Options.BucketSize, Options.Alpha, Options.DisjointPaths, query, OnLookupOutcome);

    private void ThrowIfNotStarted()
    {
        int state = Volatile.Read(ref _state);
        if (state != 1)
        {
            throw state == 0 ? new InvalidOperationException("Call StartAsync first.") : new ObjectDisposedException(nameof(KadDht));
        }
    }

    public async ValueTask DisposeAsync()
    {
        int previous = Interlocked.Exchange(ref _state, 2);
        if (previous == 2)
        {
            return;
        }
        if (previous == 1)
        {
            Host.Identify.PeerIdentified -= OnPeerIdentified;
            if (Options.Mode == KadDhtMode.Server)
            {
                Host.RemoveHandler(Options.ProtocolId);
            }
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _maintenance.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _routing.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
