using System.IO.Pipelines;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc;

/// <summary>
/// What the RPC layer needs from a libp2p host: serve a protocol id, and open a stream to a peer for one. The real
/// implementation is <see cref="MeshHostRpcTransport"/> over the libp2p host; tests also run the RPC layer over yamux
/// sessions on in-memory pipes.
/// </summary>
public interface IRpcTransport
{
    /// <summary>This endpoint's peer id.</summary>
    PeerId LocalPeer { get; }

    /// <summary>Serves <paramref name="protocol"/>: every inbound stream negotiated for it is passed to <paramref name="handler"/>.</summary>
    void SetHandler(string protocol, RpcStreamHandler handler);

    /// <summary>Stops serving <paramref name="protocol"/>; false if it was not served.</summary>
    bool RemoveHandler(string protocol);

    /// <summary>
    /// Opens a stream to <paramref name="peer"/> negotiated for <paramref name="protocol"/>. A refusal (<c>na</c>) is
    /// an <see cref="RpcProtocolNotSupportedException"/> here, or, for a lazily negotiated stream, a
    /// <see cref="Mesh.Multistream.MultistreamException"/> from its first read.
    /// </summary>
    ValueTask<IRpcStream> OpenStreamAsync(PeerId peer, string protocol, CancellationToken cancellationToken);
}

/// <summary>
/// Serves one inbound stream. <paramref name="cancellationToken"/> fires when the endpoint stops or the connection ends.
/// The handler owns the stream: it closes (dispose) or resets it before returning.
/// </summary>
public delegate Task RpcStreamHandler(IRpcStream stream, CancellationToken cancellationToken);

/// <summary>
/// A negotiated stream. <c>Output.Complete()</c> half-closes (the peer reads end of input); <see cref="Reset"/> aborts
/// both directions (pending and later reads and writes fail on both sides); <see cref="IAsyncDisposable.DisposeAsync"/>
/// closes gracefully and is safe after <see cref="Reset"/> and more than once.
/// </summary>
public interface IRpcStream : IDuplexPipe, IAsyncDisposable
{
    /// <summary>The negotiated protocol id.</summary>
    string Protocol { get; }

    /// <summary>The authenticated peer at the other end.</summary>
    PeerId RemotePeer { get; }

    /// <summary>Abortive close of both directions.</summary>
    void Reset();
}
