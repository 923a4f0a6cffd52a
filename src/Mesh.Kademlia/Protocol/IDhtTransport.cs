using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// The network under a <see cref="DhtProtocol"/>: serve the three DHT RPCs and call them on other peers. Two
/// implementations: <see cref="RpcDhtTransport"/> over the mesh RPC layer (a <c>MeshHost</c> on TCP, or any
/// <see cref="IRpcTransport"/>), with request authorization, and <see cref="InMemoryDhtNetwork"/> for fast tests and
/// large simulations without sockets.
/// </summary>
/// <remarks>
/// A call that gets no valid answer throws (an <see cref="RpcException"/>, an <see cref="OperationCanceledException"/>
/// when the call's token fires, or any transport error); the protocol counts every such call as
/// "the peer did not respond". Thread-safe.
/// </remarks>
public interface IDhtTransport
{
    /// <summary>This endpoint's peer id.</summary>
    PeerId LocalPeer { get; }

    /// <summary>Starts serving <c>rpc_ping</c>, <c>rpc_store</c> and <c>rpc_find</c> with <paramref name="handler"/> (not called in client mode).</summary>
    void Serve(IDhtRequestHandler handler);

    /// <summary>Stops serving; calls in progress finish.</summary>
    ValueTask StopServingAsync();

    ValueTask<PingResponse> PingAsync(PeerId peer, PingRequest request, CancellationToken cancellationToken);

    ValueTask<StoreResponse> StoreAsync(PeerId peer, StoreRequest request, CancellationToken cancellationToken);

    ValueTask<FindResponse> FindAsync(PeerId peer, FindRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The served side of the DHT RPCs (mesh <c>DHTProtocol.rpc_*</c>). <see cref="RpcContext.RemotePeer"/> is the
/// authenticated caller; <see cref="RpcContext.CancellationToken"/> fires when it goes away. Throwing sends an error
/// reply; the connection and every other call are unaffected.
/// </summary>
public interface IDhtRequestHandler
{
    ValueTask<PingResponse> HandlePingAsync(PingRequest request, RpcContext context);

    ValueTask<StoreResponse> HandleStoreAsync(StoreRequest request, RpcContext context);

    ValueTask<FindResponse> HandleFindAsync(FindRequest request, RpcContext context);
}
