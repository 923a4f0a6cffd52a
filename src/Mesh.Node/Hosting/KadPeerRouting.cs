using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Protocol;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Hosting;

/// <summary>
/// The libp2p Kademlia DHT a mesh node runs next to its mesh DHT, as mesh's p2pd does (<c>dhtServer=1</c>,
/// <c>/ipfs/kad/1.0.0</c>): on the same host, bootstrapped from the same initial peers, as a server (so it shows in
/// identify, which p2pd peers expect) or as a client (DHT clients and the one-shot verbs). Its peer routing
/// (<see cref="Resolver"/>) turns the peer ids of the mesh DHT's <c>rpc_find</c> replies into addresses.
/// </summary>
/// <remarks>
/// Start it before the mesh DHT: the kad protocol is then in the first identify every peer sees, and the bootstrap
/// has filled the routing table (and the peer store, with the addresses the lookups learned) before the mesh DHT's
/// own bootstrap asks for a peer it only knows by id. This is p2pd's order too: the daemon, with its DHT and its
/// bootstrap connections, is up before hivemind's <c>DHTNode.create</c> runs.
/// </remarks>
public sealed partial class KadPeerRouting : IAsyncDisposable
{
    /// <summary>
    /// Bound on the kad bootstrap (joins, then the refresh lookups). An initial peer that does not answer in time is
    /// left to the mesh DHT's bootstrap, which reports it; the kad table keeps filling from identify afterwards.
    /// </summary>
    public static readonly TimeSpan BootstrapTimeout = TimeSpan.FromSeconds(15);

    private KadPeerRouting(KadDht dht, KadPeerAddressResolver resolver)
    {
        Dht = dht;
        Resolver = resolver;
    }

    public KadDht Dht { get; }

    /// <summary>What to give the mesh DHT (<c>DhtNodeOptions.PeerAddressResolver</c>, <see cref="PeerRoutingRpcTransport"/>).</summary>
    public IPeerAddressResolver Resolver { get; }

    /// <summary>Starts the kad DHT on <paramref name="host"/> (running) and bootstraps it from <paramref name="initialPeers"/>.</summary>
    public static async Task<KadPeerRouting> StartAsync(MeshHost host, KadDhtMode mode, IReadOnlyList<Multiaddr> initialPeers, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(initialPeers);
        ArgumentNullException.ThrowIfNull(loggers);
        var dht = new KadDht(host, new KadDhtOptions { Mode = mode }, loggers);
        try
        {
            await dht.StartAsync(cancellationToken).ConfigureAwait(false);
            if (initialPeers.Count > 0)
            {
                ILogger logger = loggers.CreateLogger("Mesh.Kademlia.Libp2p.PeerRouting");
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bounded.CancelAfter(BootstrapTimeout);
                try
                {
                    int joined = await dht.BootstrapAsync(initialPeers, bounded.Token).ConfigureAwait(false);
                    Log.Bootstrapped(logger, joined, initialPeers.Count, dht.RoutingTable.Count);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    Log.BootstrapTimedOut(logger, BootstrapTimeout.TotalSeconds, dht.RoutingTable.Count);
                }
            }
            return new KadPeerRouting(dht, new KadPeerAddressResolver(dht, loggerFactory: loggers));
        }
        catch
        {
            await dht.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync() => Dht.DisposeAsync();

    private static partial class Log
    {
        [LoggerMessage(EventId = 3130, Level = LogLevel.Debug, Message = "Kad DHT bootstrapped: {Joined} of {Given} initial peers serve it, {Count} peers in the routing table")]
        public static partial void Bootstrapped(ILogger logger, int joined, int given, int count);

        [LoggerMessage(EventId = 3131, Level = LogLevel.Debug, Message = "Kad DHT bootstrap not finished within {Seconds} s ({Count} peers in the routing table); continuing")]
        public static partial void BootstrapTimedOut(ILogger logger, double seconds, int count);
    }
}
