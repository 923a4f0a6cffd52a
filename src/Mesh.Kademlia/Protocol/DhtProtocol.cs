using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Validation;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// mesh <c>DHTProtocol</c> (mesh-reference §1.2, §1.4, §1.6, §2; <c>mesh/dht/protocol.py</c>): the three RPCs a DHT node
/// serves (<c>rpc_ping</c>, <c>rpc_store</c>, <c>rpc_find</c>) and calls (<see cref="CallPingAsync"/>,
/// <see cref="CallStoreAsync"/>, <see cref="CallFindAsync"/>), the routing table they keep up to date, and the node's two
/// record stores. Runs on any <see cref="IDhtTransport"/>.
/// </summary>
/// <remarks>
/// <para><b>Routing.</b> Every answered call and every request that names its sender adds or refreshes that node; a
/// call without an answer removes the peer. A node met for the first time is handed the stored keys it is now among
/// the nearest replicas of; a full bucket pings its least-recently-seen node and drops it if it does not answer. The
/// table has one writer (<see cref="DhtRoutingOwner"/>); everything else reads its snapshots without locks.</para>
/// <para><b>Validation.</b> The record validator (a <see cref="CompositeValidator"/>, extended at run time by the node)
/// checks every incoming store as a POST (in the stores) and every value a peer returns as a GET, including each
/// subkey of a dictionary. mesh CR's <c>rpc_store</c> calls <c>_validate_dictionary</c> without its request-type
/// argument for whole-dictionary stores and so fails every one of them with a <c>TypeError</c> (reference §10, quirk 2);
/// here, as in mesh-template, they are validated as POST.</para>
/// <para><b>Limits mesh lacks</b> (see <see cref="DhtProtocolOptions"/>): keys per request, how far ahead an expiration
/// may be, records per remote peer in storage and cache, and remote cache stores never evict anything. Refused entries
/// get <c>store_ok = false</c>, a log line with the reason and a count in <see cref="Statistics"/>; a malformed request
/// gets an error reply (<see cref="DhtProtocolException"/>) and changes nothing.</para>
/// <para><b>Deliberate differences from mesh.</b> <c>rpc_store</c> requires all six repeated fields to be aligned
/// (mesh asserts four and silently truncates to the shortest, subkeys included). A reply's nearest-peer entries that
/// do not parse are skipped one by one instead of failing the whole call.</para>
/// </remarks>
public sealed class DhtProtocol : IDhtRequestHandler, IAsyncDisposable
{
    /// <summary>mesh <c>MAX_DHT_TIME_DISCREPANCY_SECONDS</c>.</summary>
    public const double MaxDhtTimeDiscrepancySeconds = 3;

    // Envelope, call id and protocol name on top of the DHT message (a generous bound).
    private const int EnvelopeOverhead = 256;
    private const int MaxMessageSize = 4 * 1024 * 1024;

    private readonly IDhtTransport _transport;
    private readonly DhtProtocolOptions _options;
    private readonly DhtClock _clock;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim? _rpcLimit;
    private readonly DhtRoutingOwner _routing;
    private readonly BackgroundWork _background;
    private readonly byte[] _nodeIdBytes;
    private int _disposed;

    /// <param name="transport">The network (RPC over a MeshHost, or in memory).</param>
    /// <param name="nodeId">This node's DHTID (mesh: random unless given).</param>
    /// <param name="options">Protocol settings.</param>
    /// <param name="validators">Record validators to start with (more can be added through <see cref="RecordValidator"/>).</param>
    /// <param name="loggerFactory">Logging.</param>
    public DhtProtocol(IDhtTransport transport, DhtId nodeId, DhtProtocolOptions? options = null, IEnumerable<IRecordValidator>? validators = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _options = options ?? new DhtProtocolOptions();
        _options.Validate();
        _transport = transport;
        _clock = _options.EffectiveClock;
        _logger = (ILogger?)loggerFactory?.CreateLogger("Mesh.Kademlia.Dht") ?? NullLogger.Instance;
        NodeId = nodeId;
        _nodeIdBytes = nodeId.ToBytes();
        RecordValidator = new CompositeValidator(validators);

        var storage = new RecordStoreOptions
        {
            Validator = RecordValidator,
            Clock = _clock,
            MaxTotalBytes = _options.MaxStorageBytes,
            PublisherQuota = new FixedPublisherQuota(_options.MaxStoredRecordsPerPeer),
        };
        var cache = storage with
        {
            MaxRecords = _options.CacheSize,
            MaxTotalBytes = _options.MaxCacheBytes,
            CapacityPolicy = CapacityPolicy.EvictEarliestExpiring,
            PublisherQuota = new FixedPublisherQuota(_options.MaxCachedRecordsPerPeer),
        };
        Stores = new DhtRecordStores(new DhtLocalStorage(storage), new DhtLocalStorage(cache));

        _rpcLimit = _options.ParallelRpc is int parallel ? new SemaphoreSlim(parallel, parallel) : null;
        _background = new BackgroundWork(_logger, _options.MaxBackgroundCalls);
        var table = new RoutingTable<DhtId, PeerId>(nodeId, new RoutingTableOptions
        {
            BucketSize = _options.BucketSize,
            DepthModulo = _options.DepthModulo,
            TimeProvider = _options.TimeProvider,
        });
        _routing = new DhtRoutingOwner(table, _options.RoutingQueueCapacity, _logger, OnNewNode, OnPingCandidate);

        // Client mode: no handlers and an empty NodeInfo, so peers never add this node to their tables.
        NodeInfo = _options.ClientMode ? new NodeInfo() : new NodeInfo { NodeId = ByteString.CopyFrom(_nodeIdBytes) };
        if (!_options.ClientMode)
        {
            _transport.Serve(this);
        }
    }

    public DhtId NodeId { get; }

    public PeerId PeerId => _transport.LocalPeer;

    public bool IsClientMode => _options.ClientMode;

    public DhtProtocolOptions Options => _options;

    /// <summary>What this node sends as <c>peer</c> in every request and response (empty in client mode).</summary>
    public NodeInfo NodeInfo { get; }

    /// <summary>The routing table (read it through its snapshots; only this protocol writes it).</summary>
    public RoutingTable<DhtId, PeerId> RoutingTable => _routing.Table;

    /// <summary>The storage (records this node is a replica for) and the cache.</summary>
    public DhtRecordStores Stores { get; }

    /// <summary>Validates every stored and every returned record; extend it to add validators.</summary>
    public CompositeValidator RecordValidator { get; }

    public DhtProtocolStatistics Statistics { get; } = new();

    public IDhtTransport Transport => _transport;

    /// <summary><c>get_dht_time</c>: the clock expirations are measured against.</summary>
    public DhtClock Clock => _clock;

    // ---- client side ---------------------------------------------------------------------------------------------

    /// <summary>
    /// mesh <c>call_ping</c>: asks <paramref name="peer"/> for its node id (and asks it to add us, unless in client
    /// mode). Returns the id, or null if the peer did not answer or answered without one.
    /// </summary>
    /// <param name="peer">The peer to ping.</param>
    /// <param name="validate">Ask the peer to ping us back and check our clocks agree (bootstrap does).</param>
    /// <param name="strict">Throw <see cref="DhtValidationException"/> when validation fails (else only log it).</param>
    /// <param name="cancellationToken">Cancels the call (without a verdict on the peer).</param>
    public async Task<DhtId?> CallPingAsync(PeerId peer, bool validate = false, bool strict = true, CancellationToken cancellationToken = default)
    {
        var request = new PingRequest { Peer = NodeInfo, Validate = validate };
        double requested = _clock.Now;
        PingResponse? response = await CallAsync(DhtProtocolIds.Ping, peer, (p, r, ct) => _transport.PingAsync(p, r, ct), request, cancellationToken).ConfigureAwait(false);
        double responded = _clock.Now;
        DhtId? nodeId = TryGetNodeId(response?.Peer);

        if (nodeId is not null && validate)
        {
            string? problem = null;
            if (!_options.ClientMode && !response!.Available)
            {
                problem = $"Peer {peer} can't access this node. Probably, libp2p has failed to bypass the firewall";
            }
            else if (response!.DhtTime != 0
                && (response.DhtTime < requested - MaxDhtTimeDiscrepancySeconds || response.DhtTime > responded + MaxDhtTimeDiscrepancySeconds))
            {
                problem = $"local time must be within {MaxDhtTimeDiscrepancySeconds} seconds of others (local: {requested:F5}, peer: {response.DhtTime:F5})";
            }
            if (problem is not null)
            {
                if (strict)
                {
                    throw new DhtValidationException(problem);
                }
                DhtLog.PingValidationFailed(_logger, peer, problem);
            }
        }

        await (nodeId is { } id ? _routing.SeenAsync(id, peer) : _routing.FailedAsync(peer)).ConfigureAwait(false);
        return nodeId;
    }

    /// <summary>
    /// mesh <c>call_store</c>: asks <paramref name="peer"/> to store the entries. Returns <c>store_ok</c> per entry (an
    /// entry the peer did not report is false), or null if the peer did not answer.
    /// </summary>
    public async Task<bool[]?> CallStoreAsync(PeerId peer, IReadOnlyList<DhtStoreEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var request = new StoreRequest { Peer = NodeInfo };
        foreach (DhtStoreEntry entry in entries)
        {
            request.Keys.Add(ByteString.CopyFrom(entry.Key.ToBytes()));
            request.Subkeys.Add(UnsafeByteOperations.UnsafeWrap(entry.Subkey));
            request.Values.Add(UnsafeByteOperations.UnsafeWrap(entry.Value));
            request.ExpirationTime.Add(entry.ExpirationTime);
            request.InCache.Add(entry.InCache);
        }
        if (request.CalculateSize() + EnvelopeOverhead > MaxMessageSize)
        {
            // Our own request is too big to send: say so, and do not blame the peer for it.
            DhtLog.CallFailed(_logger, DhtProtocolIds.Store, peer, $"the request would exceed the {MaxMessageSize}-byte message limit; not sent");
            return null;
        }
        StoreResponse? response = await CallAsync(DhtProtocolIds.Store, peer, (p, r, ct) => _transport.StoreAsync(p, r, ct), request, cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            await _routing.FailedAsync(peer).ConfigureAwait(false);
            return null;
        }
        if (TryGetNodeId(response.Peer) is { } id)
        {
            await _routing.SeenAsync(id, peer).ConfigureAwait(false);
        }
        bool[] result = new bool[entries.Count];
        for (int i = 0; i < result.Length && i < response.StoreOk.Count; i++)
        {
            result[i] = response.StoreOk[i];
        }
        return result;
    }

    /// <summary>
    /// mesh <c>call_find</c>: asks <paramref name="peer"/> for the keys. Per key: the value if the peer holds a valid one
    /// (validated as GET; a value that fails is reported as not found), and the peer's nearest nodes. Null if the peer
    /// did not answer or answered with a reply not aligned with the keys.
    /// </summary>
    public async Task<DhtFindResult[]?> CallFindAsync(PeerId peer, IReadOnlyList<DhtId> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var request = new FindRequest { Peer = NodeInfo };
        Span<byte> keyBytes = stackalloc byte[DhtId.Size];
        foreach (DhtId key in keys)
        {
            key.WriteBigEndian(keyBytes);
            request.Keys.Add(ByteString.CopyFrom(keyBytes));
        }
        FindResponse? response = await CallAsync(DhtProtocolIds.Find, peer, (p, r, ct) => _transport.FindAsync(p, r, ct), request, cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            await _routing.FailedAsync(peer).ConfigureAwait(false);
            return null;
        }
        if (TryGetNodeId(response.Peer) is { } id)
        {
            await _routing.SeenAsync(id, peer).ConfigureAwait(false);
        }
        if (response.Results.Count != keys.Count)
        {
            // mesh: "DHTProtocol: response is not aligned with keys" fails the call.
            DhtLog.CallFailed(_logger, DhtProtocolIds.Find, peer, $"{response.Results.Count} results for {keys.Count} keys");
            await _routing.FailedAsync(peer).ConfigureAwait(false);
            return null;
        }
        var results = new DhtFindResult[keys.Count];
        for (int i = 0; i < results.Length; i++)
        {
            results[i] = ReadFindResult(peer, keys[i], request.Keys[i].Memory, response.Results[i]);
        }
        return results;
    }

    private DhtFindResult ReadFindResult(PeerId peer, DhtId key, ReadOnlyMemory<byte> keyBytes, FindResult result)
    {
        RoutingEntry<DhtId, PeerId>[] nearest = ReadNearest(peer, result);
        double expiration = result.ExpirationTime;
        switch (result.Type)
        {
            case ResultType.NotFound:
                break;
            case ResultType.FoundRegular when !double.IsNaN(expiration):
            {
                var record = new DhtRecord(keyBytes, ReservedSubkeys.IsRegularValue.ToArray(), result.Value.Memory, expiration);
                if (RecordValidator.Validate(record, DhtRecordRequestType.Get))
                {
                    return new DhtFindResult(key, DhtValueKind.Regular, result.Value.Memory, null, expiration, nearest);
                }
                DhtLog.BadReplyPart(_logger, peer, $"the value of {key} failed validation");
                break;
            }
            case ResultType.FoundDictionary when !double.IsNaN(expiration):
            {
                if (TryReadDictionary(result.Value.Memory, out DictionaryDhtValue? dictionary) && IsValidDictionary(keyBytes, dictionary, DhtRecordRequestType.Get))
                {
                    return new DhtFindResult(key, DhtValueKind.Dictionary, result.Value.Memory, dictionary, expiration, nearest);
                }
                DhtLog.BadReplyPart(_logger, peer, $"the dictionary of {key} does not decode or failed validation");
                break;
            }
            default:
                DhtLog.BadReplyPart(_logger, peer, $"unknown result type {result.Type} for {key}");
                break;
        }
        return new DhtFindResult(key, DhtValueKind.NotFound, ReadOnlyMemory<byte>.Empty, null, double.NaN, nearest);
    }

    private RoutingEntry<DhtId, PeerId>[] ReadNearest(PeerId peer, FindResult result)
    {
        RepeatedField<ByteString> nodeIds = result.NearestNodeIds, peerIds = result.NearestPeerIds;
        int count = Math.Min(Math.Min(nodeIds.Count, peerIds.Count), _options.MaxNeighborsPerResult);
        if (count == 0)
        {
            return [];
        }
        var nearest = new RoutingEntry<DhtId, PeerId>[count];
        int n = 0;
        for (int i = 0; i < count; i++)
        {
            if (nodeIds[i].Length == DhtId.Size && PeerId.TryFromBytes(peerIds[i].Span, out PeerId nearPeer))
            {
                nearest[n++] = new RoutingEntry<DhtId, PeerId>(DhtId.ReadBigEndian(nodeIds[i].Span), nearPeer);
            }
            else
            {
                DhtLog.BadReplyPart(_logger, peer, $"nearest entry {i} is not a DHTID and a peer id");
            }
        }
        return n == count ? nearest : nearest[..n];
    }

    private async Task<TResponse?> CallAsync<TRequest, TResponse>(string method, PeerId peer, Func<PeerId, TRequest, CancellationToken, ValueTask<TResponse>> call,
        TRequest request, CancellationToken cancellationToken)
        where TResponse : class
    {
        if (peer == PeerId)
        {
            return null; // never call ourselves (mesh's daemon refuses to dial itself)
        }
        bool entered = false;
        try
        {
            if (_rpcLimit is not null)
            {
                await _rpcLimit.WaitAsync(cancellationToken).ConfigureAwait(false);
                entered = true;
            }
            if (ReferenceEquals(_options.TimeProvider, TimeProvider.System))
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(_options.WaitTimeout);
                return await call(peer, request, deadline.Token).ConfigureAwait(false);
            }
            using var timeout = new CancellationTokenSource(_options.WaitTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            return await call(peer, request, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the caller gave up: no verdict on the peer
        }
        catch (Exception ex)
        {
            DhtLog.CallFailed(_logger, method, peer, ex is OperationCanceledException ? $"no reply within {_options.WaitTimeout.TotalSeconds} s" : ex.Message);
            return null;
        }
        finally
        {
            if (entered)
            {
                _rpcLimit!.Release();
            }
        }
    }

    // ---- served side ---------------------------------------------------------------------------------------------

    /// <summary>mesh <c>rpc_ping</c>: our node info and time; with <c>validate</c>, ping the sender back to see if it is reachable.</summary>
    public async ValueTask<PingResponse> HandlePingAsync(PingRequest request, RpcContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Statistics.CountPing();
        var response = new PingResponse { Peer = NodeInfo, DhtTime = _clock.Now, Available = false };
        if (request.Peer is { NodeId.IsEmpty: false } sender)
        {
            if (!DhtId.TryFromBytes(sender.NodeId.Span, out DhtId senderId))
            {
                Reject(DhtProtocolIds.Ping, context, "peer.node_id is not a DHTID");
            }
            if (request.Validate)
            {
                response.Available = await CallPingAsync(context.RemotePeer, validate: false, cancellationToken: context.CancellationToken).ConfigureAwait(false) == senderId;
            }
            if (response.Available || !request.Validate)
            {
                _routing.PostSeen(senderId, context.RemotePeer);
            }
            else
            {
                _ = _routing.FailedAsync(context.RemotePeer, senderId);
            }
        }
        return response;
    }

    /// <summary>mesh <c>rpc_store</c>: stores each entry in the storage or the cache, validated (POST), newer wins.</summary>
    public ValueTask<StoreResponse> HandleStoreAsync(StoreRequest request, RpcContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Statistics.CountStore();
        NoteSender(request.Peer, context);
        int n = request.Keys.Count;
        if (n > _options.MaxKeysPerRequest)
        {
            Reject(DhtProtocolIds.Store, context, $"{n} keys exceed the limit of {_options.MaxKeysPerRequest}");
        }
        if (request.Subkeys.Count != n || request.Values.Count != n || request.ExpirationTime.Count != n || request.InCache.Count != n)
        {
            Reject(DhtProtocolIds.Store, context,
                $"the fields are not aligned: {n} keys, {request.Subkeys.Count} subkeys, {request.Values.Count} values, {request.ExpirationTime.Count} expirations, {request.InCache.Count} in_cache");
        }
        var ids = new DhtId[n];
        for (int i = 0; i < n; i++)
        {
            if (!DhtId.TryFromBytes(request.Keys[i].Span, out ids[i]))
            {
                Reject(DhtProtocolIds.Store, context, $"key {i} is not a DHTID");
            }
        }

        var response = new StoreResponse { Peer = NodeInfo };
        ReadOnlySpan<byte> publisher = context.RemotePeer.Bytes;
        double now = _clock.Now;
        double latestAllowed = _options.MaxExpirationAhead is { } ahead ? now + ahead.TotalSeconds : double.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            DhtStoreOutcome outcome = StoreOne(ids[i], request.Keys[i].Memory, request.Subkeys[i].Memory, request.Values[i].Memory, request.ExpirationTime[i],
                request.InCache[i], publisher, latestAllowed);
            Statistics.CountStoreOutcome(outcome);
            if (outcome != DhtStoreOutcome.Stored)
            {
                DhtLog.StoreRefused(_logger, ids[i].ToString(), context.RemotePeer, outcome);
            }
            response.StoreOk.Add(outcome == DhtStoreOutcome.Stored);
        }
        return ValueTask.FromResult(response);
    }

    private DhtStoreOutcome StoreOne(DhtId key, ReadOnlyMemory<byte> keyBytes, ReadOnlyMemory<byte> subkey, ReadOnlyMemory<byte> value, double expiration, bool inCache,
        ReadOnlySpan<byte> publisher, double latestAllowed)
    {
        if (double.IsNaN(expiration) || expiration > latestAllowed)
        {
            return DhtStoreOutcome.TooFarInFuture;
        }
        if (subkey.IsEmpty && !ItemsWithin(value, latestAllowed))
        {
            return DhtStoreOutcome.TooFarInFuture;
        }
        DhtLocalStorage store = Stores.Select(inCache);
        if (inCache && !CacheHasRoomWithoutEvicting(key, value.Length))
        {
            return DhtStoreOutcome.Full; // a remote peer's cache store never evicts what we cached ourselves
        }
        return DhtStoreOutcomes.FromPutStatus(store.Store(new DhtRecord(keyBytes, subkey, value, expiration), publisher));
    }

    /// <summary>Whether every subkey of a whole-dictionary store expires no later than allowed (a payload that does not decode is left to the store to refuse).</summary>
    private static bool ItemsWithin(ReadOnlyMemory<byte> packed, double latestAllowed)
    {
        if (double.IsPositiveInfinity(latestAllowed) || !TryReadDictionary(packed, out DictionaryDhtValue? dictionary))
        {
            return true;
        }
        foreach (DictionaryDhtItem item in dictionary.Items)
        {
            if (item.ExpirationTime > latestAllowed)
            {
                return false;
            }
        }
        return true;
    }

    private bool CacheHasRoomWithoutEvicting(DhtId key, int valueLength)
    {
        DhtLocalStorage cache = Stores.Cache;
        if (cache.Options.MaxRecords is int maxRecords && cache.Count >= maxRecords && !cache.Contains(key))
        {
            return false;
        }
        return cache.Options.MaxTotalBytes is not long maxBytes || cache.TotalBytes + valueLength + 256 <= maxBytes;
    }

    /// <summary>mesh <c>rpc_find</c>: per key, our value (storage, or the cache if it expires later) and our nearest nodes except the requester.</summary>
    public ValueTask<FindResponse> HandleFindAsync(FindRequest request, RpcContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        Statistics.CountFind();
        NoteSender(request.Peer, context);
        int n = request.Keys.Count;
        if (n > _options.MaxKeysPerRequest)
        {
            Reject(DhtProtocolIds.Find, context, $"{n} keys exceed the limit of {_options.MaxKeysPerRequest}");
        }
        var ids = new DhtId[n];
        for (int i = 0; i < n; i++)
        {
            if (!DhtId.TryFromBytes(request.Keys[i].Span, out ids[i]))
            {
                Reject(DhtProtocolIds.Find, context, $"key {i} is not a DHTID");
            }
        }
        // mesh: exclude=DHTID.from_bytes(request.peer.node_id), which is 0 for a client without a node id.
        ByteString senderBytes = request.Peer?.NodeId ?? ByteString.Empty;
        if (!DhtId.TryFromBytes(senderBytes.Span, out DhtId requester))
        {
            Reject(DhtProtocolIds.Find, context, "peer.node_id is not a DHTID");
        }

        RoutingTableSnapshot<DhtId, PeerId> snapshot = RoutingTable.Snapshot;
        // Pooled: the neighbours only live until they are copied into the reply, and every find needs k of them.
        RoutingEntry<DhtId, PeerId>[] pooled = ArrayPool<RoutingEntry<DhtId, PeerId>>.Shared.Rent(_options.BucketSize);
        Span<RoutingEntry<DhtId, PeerId>> neighbors = pooled.AsSpan(0, _options.BucketSize);
        Span<byte> idBytes = stackalloc byte[DhtId.Size];
        var response = new FindResponse { Peer = NodeInfo };
        response.Results.Capacity = n;
        try
        {
            for (int i = 0; i < n; i++)
            {
                var item = new FindResult();
                if (Stores.TryFind(ids[i], out StoredValue found))
                {
                    item.Type = found.IsDictionary ? ResultType.FoundDictionary : ResultType.FoundRegular;
                    // Stored bytes are immutable copies owned by the store: wrap, do not copy.
                    item.Value = UnsafeByteOperations.UnsafeWrap(found.GetWireValue());
                    item.ExpirationTime = found.ExpirationTime;
                }
                int count = snapshot.GetNearestNeighbors(ids[i], neighbors, requester);
                // Sized once: letting the repeated fields grow 8, 16, 32 cost three arrays each per result.
                item.NearestNodeIds.Capacity = count;
                item.NearestPeerIds.Capacity = count;
                for (int j = 0; j < count; j++)
                {
                    neighbors[j].NodeId.WriteBigEndian(idBytes);
                    item.NearestNodeIds.Add(ByteString.CopyFrom(idBytes));
                    // A PeerId's bytes are immutable and live as long as the id: wrap them, do not copy.
                    item.NearestPeerIds.Add(UnsafeByteOperations.UnsafeWrap(neighbors[j].Peer.Memory));
                }
                response.Results.Add(item);
            }
        }
        finally
        {
            ArrayPool<RoutingEntry<DhtId, PeerId>>.Shared.Return(pooled, clearArray: true);
        }
        return ValueTask.FromResult(response);
    }

    /// <summary>An <c>rpc_store</c> or <c>rpc_find</c> that names its sender is an implicit ping (validate = false).</summary>
    private void NoteSender(NodeInfo? sender, RpcContext context)
    {
        if (sender is { NodeId.IsEmpty: false })
        {
            if (DhtId.TryFromBytes(sender.NodeId.Span, out DhtId senderId))
            {
                _routing.PostSeen(senderId, context.RemotePeer);
            }
            else
            {
                DhtLog.MalformedRequest(_logger, context.Protocol, context.RemotePeer, "peer.node_id is not a DHTID");
            }
        }
    }

    private void Reject(string method, RpcContext context, string reason)
    {
        Statistics.CountMalformed();
        DhtLog.MalformedRequest(_logger, method, context.RemotePeer, reason);
        DhtProtocolException.Throw($"{method}: {reason}");
    }

    // ---- routing-table side effects (run on the routing owner's loop) ---------------------------------------------

    /// <summary>
    /// mesh <c>update_routing_table</c> for a node met for the first time: hand it every stored key it is now closer to
    /// than our farthest replica of that key, when we are the nearest holder we know (or know nobody else).
    /// </summary>
    private void OnNewNode(DhtId nodeId, PeerId peer)
    {
        RoutingTableSnapshot<DhtId, PeerId> snapshot = RoutingTable.Snapshot;
        var neighbors = new RoutingEntry<DhtId, PeerId>[_options.NumReplicas];
        List<DhtStoreEntry>? entries = null;
        foreach ((DhtId key, StoredValue value) in Stores.Storage.EnumerateLive())
        {
            int count = snapshot.GetNearestNeighbors(key, neighbors, NodeId);
            bool send = count == 0;
            if (!send)
            {
                DhtId nearest = neighbors[0].NodeId ^ key, farthest = neighbors[count - 1].NodeId ^ key;
                send = (nodeId ^ key) < farthest && (NodeId ^ key) < nearest;
            }
            if (send)
            {
                (entries ??= []).Add(value.IsDictionary
                    ? DhtStoreEntry.Dictionary(key, value.GetWireValue(), value.ExpirationTime)
                    : DhtStoreEntry.Regular(key, value.Value, value.ExpirationTime));
            }
        }
        if (entries is null)
        {
            return;
        }
        DhtLog.Replicating(_logger, entries.Count, peer);
        foreach (List<DhtStoreEntry> chunk in ChunkBySize(entries))
        {
            StartBackground(ct => CallStoreAsync(peer, chunk, ct));
        }
    }

    /// <summary>Kademlia §2.2: the bucket is full; ping its least-recently-seen node, which leaves the table if silent.</summary>
    private void OnPingCandidate(RoutingEntry<DhtId, PeerId> candidate) =>
        StartBackground(ct => CallPingAsync(candidate.Peer, cancellationToken: ct));

    private void StartBackground(Func<CancellationToken, Task> work)
    {
        if (!_background.TryStart(work))
        {
            DhtLog.BackgroundCallSkipped(_logger, _background.Count);
        }
    }

    /// <summary>Splits replication into requests well under the message limit.</summary>
    private static IEnumerable<List<DhtStoreEntry>> ChunkBySize(List<DhtStoreEntry> entries)
    {
        const int budget = MaxMessageSize / 2;
        var chunk = new List<DhtStoreEntry>();
        long size = 0;
        foreach (DhtStoreEntry e in entries)
        {
            long entrySize = e.Value.Length + e.Subkey.Length + DhtId.Size + 32;
            if (chunk.Count > 0 && (size + entrySize > budget || chunk.Count >= 1024))
            {
                yield return chunk;
                chunk = [];
                size = 0;
            }
            chunk.Add(e);
            size += entrySize;
        }
        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static DhtId? TryGetNodeId(NodeInfo? info) =>
        info is { NodeId.IsEmpty: false } && DhtId.TryFromBytes(info.NodeId.Span, out DhtId id) ? id : null;

    internal static bool TryReadDictionary(ReadOnlyMemory<byte> packed, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DictionaryDhtValue? dictionary)
    {
        try
        {
            MsgValue value = MsgPackSerializer.Deserialize(packed);
            if (value.Kind == MsgKind.Dictionary)
            {
                dictionary = value.AsDictionary();
                return true;
            }
        }
        catch (MsgPackFormatException)
        {
        }
        dictionary = null;
        return false;
    }

    /// <summary>mesh <c>_validate_dictionary</c>: every subkey (expired ones included) must pass.</summary>
    internal bool IsValidDictionary(ReadOnlyMemory<byte> keyBytes, DictionaryDhtValue dictionary, DhtRecordRequestType type)
    {
        foreach (DictionaryDhtItem item in dictionary.Items)
        {
            if (!RecordValidator.Validate(new DhtRecord(keyBytes, item.PackedSubkey, item.Value, item.ExpirationTime), type))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Completes once every routing update posted so far has been applied (tests, bootstrap ordering).</summary>
    internal Task FlushRoutingAsync() => _routing.FlushAsync();

    /// <summary>Completes once the background calls started so far have finished.</summary>
    internal Task WhenBackgroundIdleAsync() => _background.WhenIdleAsync();

    internal int BackgroundCount => _background.Count;

    /// <summary>Stops serving, cancels and awaits background calls, stops the routing owner.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (!_options.ClientMode)
        {
            await _transport.StopServingAsync().ConfigureAwait(false);
        }
        await _background.DisposeAsync().ConfigureAwait(false);
        await _routing.DisposeAsync().ConfigureAwait(false);
        _rpcLimit?.Dispose();
    }
}
