using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Servicer;
using Microsoft.Extensions.Logging;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// The DHT RPCs over the mesh RPC layer (mesh-reference §1.2, §4.2): unary calls with protocol ids
/// <c>DHTProtocol.rpc_ping|store|find</c> on any <see cref="IRpcTransport"/> (in production a
/// <see cref="MeshHostRpcTransport"/>: TCP, Noise, yamux), behind an <see cref="IRpcAuthorizer"/> on both sides as
/// mesh's <c>AuthRPCWrapper</c> does (servicer: validate the request, sign the response; client: sign the request,
/// validate the response).
/// </summary>
/// <remarks>
/// With no authorizer the messages travel without <c>auth</c> (mesh-dht's default). Requests and responses are limited
/// to the RPC layer's 4 MiB unary envelope; the RPC layer rejects larger ones before buffering them, answers garbage
/// protobufs with a <c>DecodeError</c> reply and keeps serving.
/// </remarks>
public sealed class RpcDhtTransport : IDhtTransport, IAsyncDisposable
{
    private readonly IRpcTransport _transport;
    private readonly IRpcAuthorizer? _authorizer;
    private readonly RpcClient _client;
    private readonly RpcOptions _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly Lock _gate = new();
    private RpcServicer? _servicer;

    /// <param name="transport">Where streams come from (a <see cref="MeshHostRpcTransport"/> for a MeshHost).</param>
    /// <param name="authorizer">Signs and validates every request and response; null for none.</param>
    /// <param name="options">RPC limits (default: 4 MiB unary messages, Python's error texts).</param>
    /// <param name="loggerFactory">For the servicer's log lines.</param>
    public RpcDhtTransport(IRpcTransport transport, IRpcAuthorizer? authorizer = null, RpcOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _authorizer = authorizer;
        _options = options ?? RpcOptions.Default;
        _loggerFactory = loggerFactory;
        _client = new RpcClient(transport, _options);
    }

    public PeerId LocalPeer => _transport.LocalPeer;

    /// <summary>The authorizer every call goes through, or null.</summary>
    public IRpcAuthorizer? Authorizer => _authorizer;

    /// <summary>Largest unary message in either direction.</summary>
    public int MaxMessageSize => _options.MaxUnaryMessageSize;

    public void Serve(IDhtRequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            if (_servicer is not null)
            {
                throw new InvalidOperationException("the DHT handlers are already served on this transport");
            }
            var servicer = new RpcServicer(_transport, null, _options, _loggerFactory);
            if (_authorizer is null)
            {
                servicer.AddUnary(DhtProtocolIds.PingMethod, handler.HandlePingAsync);
                servicer.AddUnary(DhtProtocolIds.StoreMethod, handler.HandleStoreAsync);
                servicer.AddUnary(DhtProtocolIds.FindMethod, handler.HandleFindAsync);
            }
            else
            {
                servicer.AddUnary(DhtProtocolIds.PingMethod, handler.HandlePingAsync, _authorizer);
                servicer.AddUnary(DhtProtocolIds.StoreMethod, handler.HandleStoreAsync, _authorizer);
                servicer.AddUnary(DhtProtocolIds.FindMethod, handler.HandleFindAsync, _authorizer);
            }
            _servicer = servicer;
        }
    }

    public ValueTask StopServingAsync()
    {
        RpcServicer? servicer;
        lock (_gate)
        {
            servicer = _servicer;
            _servicer = null;
        }
        return servicer?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    public ValueTask<PingResponse> PingAsync(PeerId peer, PingRequest request, CancellationToken cancellationToken) =>
        Stub(peer).CallUnaryAsync(DhtProtocolIds.PingMethod, request, cancellationToken);

    public ValueTask<StoreResponse> StoreAsync(PeerId peer, StoreRequest request, CancellationToken cancellationToken) =>
        Stub(peer).CallUnaryAsync(DhtProtocolIds.StoreMethod, request, cancellationToken);

    public ValueTask<FindResponse> FindAsync(PeerId peer, FindRequest request, CancellationToken cancellationToken) =>
        Stub(peer).CallUnaryAsync(DhtProtocolIds.FindMethod, request, cancellationToken);

    public ValueTask DisposeAsync() => StopServingAsync();

    // mesh's DHTProtocol.get_stub passes service_public_key=None: requests are not addressed to a key.
    private RpcStub Stub(PeerId peer) => _client.CreateStub(peer, null, _authorizer);
}
