using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Routing;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Traversal;
using Mesh.Kademlia.Validation;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Kademlia.Node;

/// <summary>
/// One participant of the mesh DHT (mesh-reference §1.5-§1.8, hivemind <c>DHTNode</c>): store values on the nodes
/// nearest to their key, get them back, find the nodes nearest to any id. Keys, subkeys and values are msgpack values
/// (<see cref="MsgValue"/>), serialized exactly as the Python mesh does, so mixed swarms agree on every byte.
/// </summary>
/// <example>
/// <code>
///   await using var host = new MeshHost(new HostOptions { Identity = key });   // then host.StartAsync()
///   await using DhtNode dht = await DhtNode.CreateAsync(host, new DhtNodeOptions
///   {
///       InitialPeers = [Multiaddr.Parse("/ip4/203.0.113.1/tcp/31330/p2p/12D3KooW...")],
///       RecordValidators = [new SignatureValidator(key)],
///   });
///   byte[] subkey = [.. peerIdBytes, .. validator.LocalPublicKey.Span];          // heartbeat: one subkey per node
///   await dht.StoreAsync("heartbeat", MsgValue.Tuple(2, "validator", 1.0, MsgValue.Map()), DhtClock.System.Now + 240, subkey);
///   DhtValue? all = await dht.GetAsync("heartbeat", latest: true);               // all.Subkeys: every node's heartbeat
/// </code>
/// </example>
/// <remarks>
/// <para>Stores go to the <see cref="DhtNodeOptions.NumReplicas"/> nearest nodes (this node included when it is one of
/// them, validated locally as a POST). Gets stop at the first unexpired value (or search the whole beam for the latest
/// with <c>latest: true</c>), cache what they find locally and on the nearest node that lacked it, and refresh cached
/// keys in use shortly before they expire. Concurrent gets of one key share a search. Non-responding peers are
/// blacklisted with exponential backoff.</para>
/// <para>The network is an <see cref="IDhtTransport"/>: a <see cref="MeshHost"/> (RPC over TCP, with request
/// authorization) or an <see cref="InMemoryDhtNetwork"/>. Thread-safe; dispose to stop background work and serving.</para>
/// </remarks>
public sealed partial class DhtNode : IAsyncDisposable
{
    private readonly DhtProtocol _protocol;
    private readonly DhtNodeOptions _options;
    private readonly ILogger _logger;
    private readonly PeerBlacklist<PeerId> _blacklist;
    private readonly BackgroundWork _background;
    private readonly DhtCacheRefresher _refresher;
    private readonly IAsyncDisposable? _ownedTransport;
    private readonly Lock _pendingLock = new();
    private readonly Dictionary<DhtId, List<DhtSearchState>> _pendingGets = [];
    private Task? _refreshLoop;
    private int _disposed;

    private DhtNode(DhtProtocol protocol, DhtNodeOptions options, ILogger logger, IAsyncDisposable? ownedTransport)
    {
        _protocol = protocol;
        _options = options;
        _logger = logger;
        _ownedTransport = ownedTransport;
        _blacklist = new PeerBlacklist<PeerId>(options.BlacklistTime, options.BackoffRate, options.TimeProvider);
        _background = new BackgroundWork(logger);
        _refresher = new DhtCacheRefresher(this, options.TimeProvider, logger);
    }

    /// <summary>
    /// Starts a DHT node on a running <paramref name="host"/> (mesh <c>DHTNode.create</c>): serves the DHT RPCs on it
    /// (unless in client mode) and, with initial peers, bootstraps: pings them, waits for the stragglers up to the
    /// bootstrap timeout, then looks up its own id to fill its routing table.
    /// </summary>
    /// <exception cref="DhtBootstrapException">No initial peer answered and <see cref="DhtNodeOptions.EnsureBootstrapSuccess"/> is set.</exception>
    /// <exception cref="DhtValidationException">A bootstrap ping failed validation and <see cref="DhtNodeOptions.Strict"/> is set.</exception>
    /// <exception cref="ArgumentException">Bad options (an initial peer without <c>/p2p/</c>, no identity to sign with).</exception>
    public static async Task<DhtNode> CreateAsync(MeshHost host, DhtNodeOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        options ??= new DhtNodeOptions();
        options.Validate();
        IRpcAuthorizer? authorizer = null;
        if (options.Authorization == DhtAuthorization.Signature)
        {
            PrivateKey identity = options.Identity ?? host.Options.Identity
                ?? throw new ArgumentException("Signature authorization needs the host's identity key: set HostOptions.Identity or DhtNodeOptions.Identity (or use DhtAuthorization.None).", nameof(options));
            authorizer = options.Authorizer ?? new SignatureAuthorizer(identity, new SignatureAuthorizerOptions { TimeProvider = options.TimeProvider });
        }
        foreach (Multiaddr address in options.InitialPeers)
        {
            // The host dials a peer at the addresses its peer store knows: remember where the initial peers are.
            PeerId peer = InitialPeerId(address);
            Multiaddr dialable = address.Decapsulate(MultiaddrProtocol.P2p);
            if (!dialable.IsEmpty)
            {
                host.PeerStore.AddAddresses(peer, [dialable]);
            }
        }
        IRpcTransport rpc = options.PeerAddressResolver is { } resolver ? new PeerRoutingRpcTransport(host, resolver) : new MeshHostRpcTransport(host);
        var transport = new RpcDhtTransport(rpc, authorizer, null, loggerFactory);
        return await CreateCoreAsync(transport, options, loggerFactory, transport, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a DHT node on any transport (e.g. an <see cref="InMemoryDhtNetwork"/> endpoint); the caller keeps owning it.</summary>
    /// <inheritdoc cref="CreateAsync(MeshHost, DhtNodeOptions?, ILoggerFactory?, CancellationToken)"/>
    public static Task<DhtNode> CreateAsync(IDhtTransport transport, DhtNodeOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        options ??= new DhtNodeOptions();
        options.Validate();
        return CreateCoreAsync(transport, options, loggerFactory, null, cancellationToken);
    }

    private static async Task<DhtNode> CreateCoreAsync(IDhtTransport transport, DhtNodeOptions options, ILoggerFactory? loggerFactory, IAsyncDisposable? owned,
        CancellationToken cancellationToken)
    {
        PeerId[] initialPeers = [.. options.InitialPeers.Select(InitialPeerId).Distinct()];
        ILogger logger = (ILogger?)loggerFactory?.CreateLogger("Mesh.Kademlia.DhtNode") ?? NullLogger.Instance;
        var protocol = new DhtProtocol(transport, options.NodeId ?? DhtId.CreateRandom(), options.ToProtocolOptions(), options.RecordValidators, loggerFactory);
        var node = new DhtNode(protocol, options, logger, owned);
        try
        {
            if (initialPeers.Length > 0)
            {
                await node.BootstrapAsync(initialPeers, cancellationToken).ConfigureAwait(false);
            }
            if (options.RefreshTimeout is { } period)
            {
                node._refreshLoop = node.RefreshRoutingTableAsync(period, node._background.Stopping);
            }
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static PeerId InitialPeerId(Multiaddr address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.TryGetPeerId(out ReadOnlySpan<byte> multihash) && PeerId.TryFromBytes(multihash, out PeerId peer))
        {
            return peer;
        }
        throw new ArgumentException($"initial peer {address} has no /p2p/<peer id> part", nameof(address));
    }

    /// <summary>This node's DHTID (which keys it is responsible for).</summary>
    public DhtId NodeId => _protocol.NodeId;

    /// <summary>The libp2p peer id this node answers as.</summary>
    public PeerId PeerId => _protocol.PeerId;

    public bool IsClientMode => _protocol.IsClientMode;

    public DhtNodeOptions Options => _options;

    /// <summary>The protocol underneath: routing table, storage and cache, validator, counters.</summary>
    public DhtProtocol Protocol => _protocol;

    /// <summary>Peers that did not answer recently and are skipped by lookups.</summary>
    public PeerBlacklist<PeerId> Blacklist => _blacklist;

    /// <summary><c>get_dht_time</c>: expirations passed to <see cref="StoreAsync"/> are absolute times on this clock (unix seconds).</summary>
    public DhtClock Clock => _protocol.Clock;

    /// <summary>Keys scheduled for a cache refresh.</summary>
    public int CacheRefreshQueueCount => _refresher.Count;

    /// <summary>Adds record validators (mesh <c>DHT.add_validators</c>); a validator of a kind already present merges into it.</summary>
    public void AddValidators(IEnumerable<IRecordValidator> validators) => _protocol.RecordValidator.Extend(validators);

    // ---- bootstrap (§1.5) ------------------------------------------------------------------------------------------

    private async Task BootstrapAsync(PeerId[] initialPeers, CancellationToken cancellationToken)
    {
        TimeProvider time = _options.TimeProvider;
        TimeSpan budget = _options.BootstrapTimeout ?? _options.WaitTimeout;
        long start = time.GetTimestamp();
        using var stragglers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // Stage 1: ping every initial peer (validating when bootstrap success must be ensured).
        Task<DhtId?>[] pings = [.. initialPeers.Select(p => _protocol.CallPingAsync(p, _options.EnsureBootstrapSuccess, _options.Strict, stragglers.Token))];
        await Task.WhenAny(pings).ConfigureAwait(false);

        // Stage 2: wait for the others up to the bootstrap timeout, then give up on them.
        TimeSpan remaining = budget - time.GetElapsedTime(start);
        if (remaining > TimeSpan.Zero && pings.Any(p => !p.IsCompleted))
        {
            await Task.WhenAny(Task.WhenAll(pings), Task.Delay(remaining, time, cancellationToken)).ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
        Task<DhtId?>[] finished = [.. pings.Where(p => p.IsCompleted)];
        await stragglers.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(pings.Select(p => p.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default))).ConfigureAwait(false);

        if (_options.Strict)
        {
            foreach (Task<DhtId?> ping in finished)
            {
                if (ping.IsFaulted && ping.Exception!.InnerException is DhtValidationException validation)
                {
                    throw validation; // propagate validation failures
                }
            }
        }
        if (!finished.Any(p => p.IsCompletedSuccessfully && p.Result is not null))
        {
            const string message = "DHTNode bootstrap failed: none of the initial_peers responded to a ping.";
            if (_options.EnsureBootstrapSuccess)
            {
                throw new DhtBootstrapException($"{message} (set EnsureBootstrapSuccess = false to ignore)");
            }
            DhtNodeLog.BootstrapFailed(_logger, message);
        }

        // Stage 3: look up our own id to fill the routing table (and maybe receive keys to replicate), bounded by what
        // is left of the bootstrap time; the lookup may go on in the background after that.
        Task ownLookup = FindNearestNodesAsync([NodeId], cancellationToken: _background.Stopping);
        _background.TryStart(_ => ownLookup);
        remaining = budget - time.GetElapsedTime(start);
        if (remaining > TimeSpan.Zero)
        {
            await Task.WhenAny(ownLookup, Task.Delay(remaining, time, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>hivemind <c>_refresh_routing_table</c>: look up a random id in every bucket not updated for <paramref name="period"/>.</summary>
    /// <remarks>Runs until dispose; not part of the background work a test waits to go idle.</remarks>
    private async Task RefreshRoutingTableAsync(TimeSpan period, CancellationToken cancellationToken)
    {
        await Task.Yield();
        TimeProvider time = _options.TimeProvider;
        var random = new Random();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                long started = time.GetTimestamp();
                foreach ((KBucket<DhtId, PeerId> _, DhtId target) in _protocol.RoutingTable.GetStaleBuckets(period, random))
                {
                    await FindNearestNodesAsync([target], cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                TimeSpan wait = period - time.GetElapsedTime(started);
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // ---- find nearest nodes (§1.7) -----------------------------------------------------------------------------------

    /// <summary>
    /// mesh <c>find_nearest_nodes</c>: the <paramref name="kNearest"/> nodes nearest to each query (default
    /// <c>bucket_size</c>), nearest first, found by a beam search of width max(bucket_size, k). This node is included
    /// among them unless <paramref name="excludeSelf"/>.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlyList<RoutingEntry<DhtId, PeerId>>>> FindNearestNodesAsync(IReadOnlyList<DhtId> queries, int? kNearest = null,
        bool excludeSelf = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        int k = kNearest ?? _options.BucketSize;
        ArgumentOutOfRangeException.ThrowIfNegative(k, nameof(kNearest));
        DhtId[] distinct = [.. queries.Distinct()];
        TraversalResult<DhtId, PeerId> result = await TraverseAsync(distinct, Math.Max(_options.BucketSize, k), null, null, awaitAll: true, cancellationToken).ConfigureAwait(false);
        var byQuery = new Dictionary<DhtId, IReadOnlyList<RoutingEntry<DhtId, PeerId>>>();
        foreach (TraversalQueryResult<DhtId, PeerId> q in result.Queries)
        {
            IEnumerable<RoutingEntry<DhtId, PeerId>> nearest = q.Nearest;
            if (!excludeSelf)
            {
                nearest = nearest.Append(new RoutingEntry<DhtId, PeerId>(NodeId, PeerId)).OrderBy(e => e.NodeId ^ q.Query);
            }
            byQuery[q.Query] = [.. nearest.Take(k)];
        }
        return [.. queries.Select(q => byQuery[q])];
    }

    /// <summary>The shared traversal of find, store and get: from the routing table's nearest, never calling ourselves.</summary>
    private Task<TraversalResult<DhtId, PeerId>> TraverseAsync(IReadOnlyList<DhtId> queries, int beamSize, Func<DhtId, DhtFindResult, RoutingEntry<DhtId, PeerId>, bool>? onResult,
        TraversalFoundCallback<DhtId, PeerId>? found, bool awaitAll, CancellationToken cancellationToken, int? queriesPerCall = null,
        IReadOnlyList<RoutingEntry<DhtId, PeerId>>? initialNodes = null)
    {
        RoutingTableSnapshot<DhtId, PeerId> snapshot = _protocol.RoutingTable.Snapshot;
        initialNodes ??= [.. queries.SelectMany(q => snapshot.GetNearestNeighbors(q, beamSize, NodeId)).DistinctBy(e => e.NodeId)];
        var request = new TraversalRequest<DhtId, PeerId>
        {
            Queries = queries,
            InitialNodes = initialNodes,
            ExcludedNodes = [NodeId],
            FoundCallback = found,
            Blacklist = _blacklist,
        };
        var options = new TraversalOptions
        {
            BeamSize = beamSize,
            NumWorkers = _options.NumWorkers,
            QueriesPerCall = queriesPerCall ?? Math.Max(1, (int)Math.Sqrt(queries.Count)),
            AwaitAllTasks = awaitAll,
        };
        Task<TraversalResult<DhtId, PeerId>> traversal = BeamSearch.TraverseAsync(new FindNeighborSource(_protocol, onResult), request, options, cancellationToken);
        return TraversalObserver is null ? traversal : ObserveAsync(traversal);
    }

    private async Task<TraversalResult<DhtId, PeerId>> ObserveAsync(Task<TraversalResult<DhtId, PeerId>> traversal)
    {
        TraversalResult<DhtId, PeerId> result = await traversal.ConfigureAwait(false);
        TraversalObserver?.Invoke(result);
        return result;
    }

    /// <summary>Benchmarks: sees every traversal's result (hops and calls per lookup).</summary>
    internal Action<TraversalResult<DhtId, PeerId>>? TraversalObserver { get; set; }

    /// <summary><c>get_neighbors</c> over <c>rpc_find</c>: each result can feed a search and stop it.</summary>
    private sealed class FindNeighborSource(DhtProtocol protocol, Func<DhtId, DhtFindResult, RoutingEntry<DhtId, PeerId>, bool>? onResult) : INeighborSource<DhtId, PeerId>
    {
        public async ValueTask<NeighborReply<DhtId, PeerId>> GetNeighborsAsync(RoutingEntry<DhtId, PeerId> peer, ReadOnlyMemory<DhtId> queries, CancellationToken cancellationToken)
        {
            DhtId[] keys = queries.ToArray();
            DhtFindResult[]? results = await protocol.CallFindAsync(peer.Peer, keys, cancellationToken).ConfigureAwait(false);
            if (results is null)
            {
                return NeighborReply<DhtId, PeerId>.Failed;
            }
            var replies = new QueryNeighbors<DhtId, PeerId>[keys.Length];
            for (int i = 0; i < keys.Length; i++)
            {
                bool stop = onResult?.Invoke(keys[i], results[i], peer) ?? false;
                replies[i] = new QueryNeighbors<DhtId, PeerId>(results[i].Nearest, stop);
            }
            return NeighborReply<DhtId, PeerId>.Answered(replies);
        }
    }

    // ---- values ----------------------------------------------------------------------------------------------------

    /// <summary>Deserializes a found value for the caller: signatures stripped, expired subkeys dropped.</summary>
    internal DhtValue? ToDhtValue(DhtId key, ReadOnlyMemory<byte> regular, DictionaryDhtValue? dictionary, double expiration)
    {
        byte[] keyBytes = key.ToBytes();
        CompositeValidator validator = _protocol.RecordValidator;
        if (dictionary is null)
        {
            ReadOnlyMemory<byte> stripped = validator.StripValue(new DhtRecord(keyBytes, ReservedSubkeys.IsRegularValue.ToArray(), regular, expiration));
            if (TryDeserialize(stripped, out MsgValue value))
            {
                return new DhtValue(value, expiration, null);
            }
            DhtNodeLog.UndecodableValue(_logger, key.ToString());
            return null;
        }
        double now = _protocol.Clock.Now;
        var subkeys = new Dictionary<MsgValue, ValueWithExpiration>();
        foreach (DictionaryDhtItem item in dictionary.Items)
        {
            if (item.ExpirationTime < now)
            {
                continue;
            }
            ReadOnlyMemory<byte> stripped = validator.StripValue(new DhtRecord(keyBytes, item.PackedSubkey, item.Value, item.ExpirationTime));
            if (TryDeserialize(item.PackedSubkey, out MsgValue subkey) && TryDeserialize(stripped, out MsgValue value))
            {
                subkeys[subkey] = new ValueWithExpiration(value, item.ExpirationTime);
            }
            else
            {
                DhtNodeLog.UndecodableValue(_logger, key.ToString());
            }
        }
        return new DhtValue(MsgValue.Nil, expiration, subkeys);
    }

    private static bool TryDeserialize(ReadOnlyMemory<byte> bytes, out MsgValue value)
    {
        try
        {
            value = MsgPackSerializer.Deserialize(bytes);
            return true;
        }
        catch (MsgPackFormatException)
        {
            value = default;
            return false;
        }
    }

    /// <summary>
    /// Completes once the node is quiet: its background work (bootstrap lookup, traversal stragglers, caching stores),
    /// the protocol's background calls and the routing updates posted so far are all done. Applying a routing update can
    /// start more work (an eviction ping, replication to a new node), hence the loop; for tests.
    /// </summary>
    internal async Task WhenIdleAsync()
    {
        do
        {
            await _background.WhenIdleAsync().ConfigureAwait(false);
            await _protocol.WhenBackgroundIdleAsync().ConfigureAwait(false);
            await _protocol.FlushRoutingAsync().ConfigureAwait(false);
        }
        while (_background.Count > 0 || _protocol.BackgroundCount > 0);
    }

    internal DhtCacheRefresher Refresher => _refresher;

    internal int PendingGetCount(DhtId key)
    {
        lock (_pendingLock)
        {
            return _pendingGets.TryGetValue(key, out List<DhtSearchState>? list) ? list.Count : 0;
        }
    }

    /// <summary>Stops background work (lookups, refreshes, caching), stops serving, releases the transport it created.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _refresher.DisposeAsync().ConfigureAwait(false);
        await _background.DisposeAsync().ConfigureAwait(false);
        if (_refreshLoop is not null)
        {
            await _refreshLoop.ConfigureAwait(false);
        }
        await _protocol.DisposeAsync().ConfigureAwait(false);
        if (_ownedTransport is not null)
        {
            await _ownedTransport.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override string ToString() => $"DhtNode {NodeId} ({PeerId}{(IsClientMode ? ", client mode" : "")})";
}
