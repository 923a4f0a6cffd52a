using System.Collections.Concurrent;
using Google.Protobuf;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// DHT nodes in one process without sockets: each <see cref="InMemoryDhtTransport"/> endpoint calls the others'
/// handlers directly. For fast tests and for swarms of thousands of nodes (the 1,000-node benchmark). Messages are
/// serialized and parsed on the way (as on the wire, so nothing is shared between nodes and sizes are checked), and
/// endpoints with an authorizer sign and validate exactly as <see cref="RpcDhtTransport"/> does.
/// </summary>
/// <remarks>
/// Failures look like the RPC layer's: an unknown or unreachable peer is an <see cref="RpcException"/> with
/// <see cref="RpcError.TransportFailure"/>, a peer that does not serve the DHT (client mode) an
/// <see cref="RpcProtocolNotSupportedException"/>, a handler exception an <see cref="RpcHandlerException"/>, a rejected
/// request an <see cref="RpcRequestRejectedException"/>, a message over the limit an
/// <see cref="RpcMessageTooLargeException"/>. Thread-safe.
/// </remarks>
public sealed class InMemoryDhtNetwork
{
    private readonly ConcurrentDictionary<PeerId, InMemoryDhtTransport> _endpoints = new();
    private long _calls;

    /// <param name="maxMessageSize">Largest message either way (default 4 MiB, the RPC layer's unary limit).</param>
    public InMemoryDhtNetwork(int maxMessageSize = 4 * 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageSize);
        MaxMessageSize = maxMessageSize;
    }

    public int MaxMessageSize { get; }

    /// <summary>Calls made so far, over all endpoints.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Endpoints currently attached.</summary>
    public int Count => _endpoints.Count;

    /// <summary>Attaches an endpoint for <paramref name="peer"/>.</summary>
    /// <param name="peer">The endpoint's peer id (unique on the network).</param>
    /// <param name="authorizer">Signs this endpoint's requests and responses and validates the peers' (null: no auth).</param>
    public InMemoryDhtTransport CreateEndpoint(PeerId peer, IRpcAuthorizer? authorizer = null)
    {
        if (peer.IsEmpty)
        {
            throw new ArgumentException("the peer id is empty", nameof(peer));
        }
        var endpoint = new InMemoryDhtTransport(this, peer, authorizer);
        if (!_endpoints.TryAdd(peer, endpoint))
        {
            throw new InvalidOperationException($"{peer} is already on the network");
        }
        return endpoint;
    }

    internal void Detach(InMemoryDhtTransport endpoint) => _endpoints.TryRemove(new KeyValuePair<PeerId, InMemoryDhtTransport>(endpoint.LocalPeer, endpoint));

    internal async ValueTask<TResponse> CallAsync<TRequest, TResponse>(
        InMemoryDhtTransport caller,
        PeerId peer,
        RpcMethod<TRequest, TResponse> method,
        TRequest request,
        Func<IDhtRequestHandler, TRequest, RpcContext, ValueTask<TResponse>> invoke,
        CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>, IAuthorizedRequest
        where TResponse : class, IMessage<TResponse>, IAuthorizedResponse
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _calls);
        if (!_endpoints.TryGetValue(peer, out InMemoryDhtTransport? callee) || !callee.Reachable)
        {
            throw new RpcException(RpcError.TransportFailure, $"could not open a stream to {peer} for {method.Name}: no route");
        }
        IDhtRequestHandler handler = callee.Handler ?? throw new RpcProtocolNotSupportedException(method.Name);

        var clientContext = new RpcContext(method.Name, caller.LocalPeer, peer, cancellationToken);
        if (caller.Authorizer is { } clientAuth)
        {
            await clientAuth.SignRequestAsync(request, null, clientContext).ConfigureAwait(false);
        }
        TRequest received = Copy(request, method.RequestParser);

        var serverContext = new RpcContext(method.Name, peer, caller.LocalPeer, cancellationToken);
        TResponse response;
        if (callee.Authorizer is { } serverAuth)
        {
            RpcAuthResult verdict = await serverAuth.ValidateRequestAsync(received, serverContext).ConfigureAwait(false);
            if (!verdict.IsSuccess)
            {
                throw new RpcRequestRejectedException(method.Name, RpcWireErrors.RequestRejected);
            }
        }
        try
        {
            response = await invoke(handler, received, serverContext).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (RpcHandlerErrorException ex)
        {
            throw new RpcHandlerException(method.Name, ex.WireMessage);
        }
        catch (Exception ex)
        {
            throw new RpcHandlerException(method.Name, RpcWireErrors.FormatException(ex));
        }
        if (callee.Authorizer is { } signer)
        {
            await signer.SignResponseAsync(response, received, serverContext).ConfigureAwait(false);
        }
        TResponse delivered = Copy(response, method.ResponseParser);
        if (caller.Authorizer is { } validator)
        {
            RpcAuthResult verdict = await validator.ValidateResponseAsync(delivered, request, clientContext).ConfigureAwait(false);
            if (!verdict.IsSuccess)
            {
                throw new RpcAuthorizationException(method.Name, verdict.Failure, verdict.Detail);
            }
        }
        return delivered;
    }

    private T Copy<T>(T message, MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        int size = message.CalculateSize();
        if (size > MaxMessageSize)
        {
            throw new RpcMessageTooLargeException(size, MaxMessageSize, isLocal: true);
        }
        return parser.ParseFrom(message.ToByteArray());
    }
}

/// <summary>One node's endpoint on an <see cref="InMemoryDhtNetwork"/>.</summary>
public sealed class InMemoryDhtTransport : IDhtTransport, IAsyncDisposable
{
    private readonly InMemoryDhtNetwork _network;
    private volatile IDhtRequestHandler? _handler;
    private volatile bool _reachable = true;

    internal InMemoryDhtTransport(InMemoryDhtNetwork network, PeerId localPeer, IRpcAuthorizer? authorizer)
    {
        _network = network;
        LocalPeer = localPeer;
        Authorizer = authorizer;
    }

    public PeerId LocalPeer { get; }

    public IRpcAuthorizer? Authorizer { get; }

    public InMemoryDhtNetwork Network => _network;

    /// <summary>
    /// False makes every call to this endpoint fail as if the peer were gone (its own calls still work): a crashed or
    /// partitioned node, for blacklist and failover tests.
    /// </summary>
    public bool Reachable
    {
        get => _reachable;
        set => _reachable = value;
    }

    internal IDhtRequestHandler? Handler => _handler;

    public void Serve(IDhtRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (Interlocked.CompareExchange(ref _handler, handler, null) is not null)
        {
            throw new InvalidOperationException("the DHT handlers are already served on this endpoint");
        }
    }

    public ValueTask StopServingAsync()
    {
        _handler = null;
        return ValueTask.CompletedTask;
    }

    public ValueTask<PingResponse> PingAsync(PeerId peer, PingRequest request, CancellationToken cancellationToken) =>
        _network.CallAsync(this, peer, DhtProtocolIds.PingMethod, request, static (h, r, c) => h.HandlePingAsync(r, c), cancellationToken);

    public ValueTask<StoreResponse> StoreAsync(PeerId peer, StoreRequest request, CancellationToken cancellationToken) =>
        _network.CallAsync(this, peer, DhtProtocolIds.StoreMethod, request, static (h, r, c) => h.HandleStoreAsync(r, c), cancellationToken);

    public ValueTask<FindResponse> FindAsync(PeerId peer, FindRequest request, CancellationToken cancellationToken) =>
        _network.CallAsync(this, peer, DhtProtocolIds.FindMethod, request, static (h, r, c) => h.HandleFindAsync(r, c), cancellationToken);

    /// <summary>Leaves the network: later calls to this peer fail.</summary>
    public ValueTask DisposeAsync()
    {
        _handler = null;
        _network.Detach(this);
        return ValueTask.CompletedTask;
    }

    public override string ToString() => $"in-memory DHT endpoint {LocalPeer}";
}
