using System.IO.Pipelines;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc;

/// <summary>
/// The RPC layer on a <see cref="MeshHost"/> (TCP, Noise, yamux, multistream-select): handlers are host stream handlers
/// under their handler name, calls open host streams to the peer (reusing its connection or dialing its known
/// addresses).
/// </summary>
/// <remarks>
/// The host negotiates a single-protocol stream lazily: the proposal leaves with the request and a refusal (<c>na</c>)
/// surfaces on the first read, where <see cref="RpcClient"/> reports it as <see cref="RpcProtocolNotSupportedException"/>.
/// Per-protocol stream limits are the host's (<see cref="HostOptions.DefaultMaxInboundStreamsPerProtocol"/>, or
/// <paramref name="handlerOptions"/> for every RPC handler registered through this transport).
/// </remarks>
public sealed class MeshHostRpcTransport(MeshHost host, StreamHandlerOptions? handlerOptions = null) : IRpcTransport
{
    private readonly MeshHost _host = host ?? throw new ArgumentNullException(nameof(host));

    public MeshHost Host => _host;

    public PeerId LocalPeer => _host.PeerId;

    public void SetHandler(string protocol, RpcStreamHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _host.SetHandler(protocol, (stream, cancellationToken) => handler(new Stream(stream), cancellationToken), handlerOptions);
    }

    public bool RemoveHandler(string protocol) => _host.RemoveHandler(protocol);

    public async ValueTask<IRpcStream> OpenStreamAsync(PeerId peer, string protocol, CancellationToken cancellationToken)
    {
        // As go-libp2p's NewStream: lazy negotiation (the request leaves with the proposal, no round trip) only when the
        // peer's identify listed the protocol. Otherwise negotiate first, so a refusal is a clean na (a lazy proposal
        // the peer refuses is followed by request bytes the peer reads as a malformed proposal, and it resets the stream,
        // which can arrive before the na is read). The host negotiates lazily only for a single protocol id; proposing
        // the same id twice makes it negotiate up front (a refusal costs one more round trip).
        IReadOnlyList<string> proposals = _host.PeerStore.Get(peer)?.SupportsProtocol(protocol) == true ? [protocol] : [protocol, protocol];
        try
        {
            return new Stream(await _host.OpenStreamAsync(peer, proposals, cancellationToken).ConfigureAwait(false));
        }
        catch (MultistreamException ex) when (ex.Error == MultistreamError.ProtocolNotSupported)
        {
            throw new RpcProtocolNotSupportedException(protocol, ex);
        }
    }

    /// <summary>A host stream as an RPC stream.</summary>
    private sealed class Stream(MeshStream inner) : IRpcStream
    {
        public string Protocol => inner.Protocol;

        public PeerId RemotePeer => inner.RemotePeer;

        public PipeReader Input => inner.Input;

        public PipeWriter Output => inner.Output;

        public void Reset() => inner.Reset();

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public override string ToString() => inner.ToString();
    }
}
