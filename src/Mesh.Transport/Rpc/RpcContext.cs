using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc;

/// <summary>
/// One call as a handler and the authorizers see it (mesh <c>P2PContext</c>): the protocol id, both peers, and the
/// call's cancellation token.
/// </summary>
/// <remarks>
/// On the servicer side <see cref="CancellationToken"/> fires when the caller goes away (it reset the stream, closed
/// its write side or sent bytes after its request: the caller's contract is to wait silently for the reply), when
/// the endpoint stops, or when the connection ends. On the client side it is the caller's token.
/// </remarks>
public readonly struct RpcContext
{
    public RpcContext(string protocol, PeerId localPeer, PeerId remotePeer, CancellationToken cancellationToken)
    {
        Protocol = protocol;
        LocalPeer = localPeer;
        RemotePeer = remotePeer;
        CancellationToken = cancellationToken;
    }

    /// <summary>The handler name, which is the libp2p protocol id (e.g. <c>DHTProtocol.rpc_find</c>).</summary>
    public string Protocol { get; }

    public PeerId LocalPeer { get; }

    /// <summary>The authenticated peer at the other end of the connection (the caller, for a servicer).</summary>
    public PeerId RemotePeer { get; }

    public CancellationToken CancellationToken { get; }

    public override string ToString() => $"{Protocol} {LocalPeer} ↔ {RemotePeer}";
}
