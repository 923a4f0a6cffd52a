using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// Finds the addresses of a peer the host has never met (mesh-reference §4.4: mesh's p2pd resolves peer ids through
/// the libp2p DHT when <c>rpc_find</c> names a node by peer id only). Plug in the libp2p Kademlia front-end's peer
/// routing (<c>FIND_NODE</c>), a static directory, or anything else that can map a peer id to multiaddrs.
/// </summary>
public interface IPeerAddressResolver
{
    /// <summary>Addresses <paramref name="peer"/> may be dialed at; empty when none are known.</summary>
    ValueTask<IReadOnlyList<Multiaddr>> ResolveAsync(PeerId peer, CancellationToken cancellationToken);
}

/// <summary>Adapters for <see cref="IPeerAddressResolver"/>.</summary>
public static class PeerAddressResolver
{
    /// <summary>A resolver backed by a delegate (e.g. <c>kad.FindPeerAsync</c>).</summary>
    public static IPeerAddressResolver FromDelegate(Func<PeerId, CancellationToken, ValueTask<IReadOnlyList<Multiaddr>>> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        return new DelegateResolver(resolve);
    }

    private sealed class DelegateResolver(Func<PeerId, CancellationToken, ValueTask<IReadOnlyList<Multiaddr>>> resolve) : IPeerAddressResolver
    {
        public ValueTask<IReadOnlyList<Multiaddr>> ResolveAsync(PeerId peer, CancellationToken cancellationToken) => resolve(peer, cancellationToken);
    }
}

/// <summary>
/// An <see cref="IRpcTransport"/> on a <see cref="MeshHost"/> that, before opening a stream to a peer it has no
/// connection to and no address for, asks an <see cref="IPeerAddressResolver"/> and records the answer in the host's
/// peer store (what go-libp2p's routed host does for p2pd).
/// </summary>
public sealed class PeerRoutingRpcTransport : IRpcTransport
{
    private readonly MeshHost _host;
    private readonly IRpcTransport _inner;
    private readonly IPeerAddressResolver _resolver;

    public PeerRoutingRpcTransport(MeshHost host, IPeerAddressResolver resolver, IRpcTransport? inner = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(resolver);
        _host = host;
        _resolver = resolver;
        _inner = inner ?? new MeshHostRpcTransport(host);
    }

    public PeerId LocalPeer => _inner.LocalPeer;

    public void SetHandler(string protocol, RpcStreamHandler handler) => _inner.SetHandler(protocol, handler);

    public bool RemoveHandler(string protocol) => _inner.RemoveHandler(protocol);

    public async ValueTask<IRpcStream> OpenStreamAsync(PeerId peer, string protocol, CancellationToken cancellationToken)
    {
        if (!_host.IsConnected(peer) && _host.PeerStore.GetAddresses(peer).IsEmpty)
        {
            IReadOnlyList<Multiaddr> addresses = await _resolver.ResolveAsync(peer, cancellationToken).ConfigureAwait(false);
            if (addresses.Count > 0)
            {
                _host.PeerStore.AddAddresses(peer, addresses);
            }
        }
        return await _inner.OpenStreamAsync(peer, protocol, cancellationToken).ConfigureAwait(false);
    }
}
