using Mesh.Kademlia.Protocol;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Kademlia.Libp2p;

/// <summary>
/// Peer routing for the mesh DHT through the libp2p Kademlia DHT: an <see cref="IPeerAddressResolver"/> over
/// <see cref="KadDht.FindPeerAsync"/>. The mesh DHT's <c>rpc_find</c> replies name peers by id only (mesh-reference
/// §4.4); mesh's p2pd turns such ids into addresses with the kad DHT it runs (<c>dhtServer=1</c>, go-libp2p's routed
/// host). Plug it into <see cref="Node.DhtNodeOptions.PeerAddressResolver"/> or a <see cref="PeerRoutingRpcTransport"/>.
/// </summary>
/// <remarks>
/// <para>Each resolution is bounded by <see cref="Timeout"/> (and by the caller's token: the mesh DHT bounds every RPC,
/// resolution included, by its <c>wait_timeout</c>). A peer that is not found, or not in time, resolves to no
/// addresses, so the call fails as "no known address", the mesh DHT's usual verdict on an unreachable peer; only the
/// caller's own cancellation throws. A DHT that is already disposed (a shutdown race) resolves nothing.</para>
/// <para>Nothing is cached here: the lookup writes every address it learns into the host's peer store (bounded, with
/// eviction), which is where <see cref="PeerRoutingRpcTransport"/> looks before asking again. When a lookup times out
/// after a reply named the peer, the addresses already in the peer store are returned.</para>
/// </remarks>
public sealed partial class KadPeerAddressResolver : IPeerAddressResolver
{
    /// <summary>The default bound on one resolution: one kad request timeout (go and js: 10 s).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger;

    /// <param name="dht">A started kad DHT on the same host as the mesh DHT (client or server mode).</param>
    /// <param name="timeout">Bound on one resolution (default <see cref="DefaultTimeout"/>).</param>
    /// <param name="loggerFactory">For the debug lines saying why a peer did not resolve.</param>
    public KadPeerAddressResolver(KadDht dht, TimeSpan? timeout = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(dht);
        TimeSpan bound = timeout ?? DefaultTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bound, TimeSpan.Zero, nameof(timeout));
        Dht = dht;
        Timeout = bound;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Mesh.Kademlia.Libp2p.PeerRouting");
    }

    public KadDht Dht { get; }

    /// <summary>Bound on one resolution.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>
    /// The addresses the kad DHT finds for <paramref name="peer"/>; empty when it finds none within <see cref="Timeout"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<IReadOnlyList<Multiaddr>> ResolveAsync(PeerId peer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (peer == Dht.Host.PeerId)
        {
            return [];
        }
        using var timeout = new CancellationTokenSource(Timeout, Dht.Options.TimeProvider);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            KadPeerInfo? found = await Dht.FindPeerAsync(peer, bounded.Token).ConfigureAwait(false);
            if (found is { Addresses.Count: > 0 })
            {
                return found.Addresses;
            }
            Log.NotFound(_logger, peer.ToString());
            return [];
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our timeout, or the DHT stopping: not the caller's decision, so no exception. A reply that named the
            // peer before the deadline has left its addresses in the peer store.
            var known = Dht.Host.PeerStore.GetAddresses(peer);
            if (!known.IsEmpty)
            {
                return known;
            }
            Log.TimedOut(_logger, peer.ToString(), Timeout.TotalSeconds);
            return [];
        }
        catch (ObjectDisposedException)
        {
            Log.Stopped(_logger, peer.ToString());
            return [];
        }
        catch (Exception ex) when (ex is MeshProtocolException or IOException)
        {
            // The lookup treats each peer's failure as that peer's; anything that still escapes is the network's.
            Log.Failed(_logger, peer.ToString(), ex.Message);
            return [];
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3120, Level = LogLevel.Debug, Message = "Peer routing: the kad DHT knows no address for {PeerId}")]
        public static partial void NotFound(ILogger logger, string peerId);

        [LoggerMessage(EventId = 3121, Level = LogLevel.Debug, Message = "Peer routing: no address for {PeerId} within {Seconds} s")]
        public static partial void TimedOut(ILogger logger, string peerId, double seconds);

        [LoggerMessage(EventId = 3122, Level = LogLevel.Debug, Message = "Peer routing: the kad DHT is stopped; {PeerId} not resolved")]
        public static partial void Stopped(ILogger logger, string peerId);

        [LoggerMessage(EventId = 3123, Level = LogLevel.Debug, Message = "Peer routing: looking up {PeerId} failed: {Reason}")]
        public static partial void Failed(ILogger logger, string peerId, string reason);
    }
}
