using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Validation;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Kademlia.Node;

/// <summary>How a <see cref="DhtNode"/> authorizes its RPCs.</summary>
public enum DhtAuthorization
{
    /// <summary>
    /// mesh's <c>SignatureAuthorizer</c> with the node's identity key (or <see cref="DhtNodeOptions.Authorizer"/> when
    /// set, e.g. one with a proof-of-stake <see cref="IRpcSignerPolicy"/>): every request and response is signed and
    /// checked.
    /// </summary>
    Signature,

    /// <summary>No authorization, as <c>mesh-dht</c> runs (interoperates with unauthenticated Python DHTs only).</summary>
    None,
}

/// <summary>
/// Everything <see cref="DhtNode.CreateAsync(Mesh.Transport.Host.MeshHost, DhtNodeOptions?, Microsoft.Extensions.Logging.ILoggerFactory?, CancellationToken)"/>
/// takes (mesh-reference §1.5, <c>DHTNode.create</c>), with mesh's defaults.
/// </summary>
public sealed record DhtNodeOptions
{
    /// <summary>This node's DHTID; random by default.</summary>
    public DhtId? NodeId { get; init; }

    /// <summary>
    /// Multiaddrs ending in <c>/p2p/&lt;peer id&gt;</c> of nodes already in the DHT. Empty: start a new DHT. (In memory,
    /// <c>/p2p/&lt;peer id&gt;</c> alone is enough.)
    /// </summary>
    public IReadOnlyList<Multiaddr> InitialPeers { get; init; } = [];

    /// <summary>Kademlia k (default 20).</summary>
    public int BucketSize { get; init; } = 20;

    /// <summary>Store every value on this many nearest nodes (default 5).</summary>
    public int NumReplicas { get; init; } = 5;

    /// <summary>Kademlia b (default 5).</summary>
    public int DepthModulo { get; init; } = 5;

    /// <summary>Most outgoing RPCs at once (default: unbounded).</summary>
    public int? ParallelRpc { get; init; }

    /// <summary>An RPC without a reply by then is lost (default 3 s).</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Look up a random id in every bucket not updated for this long, periodically (default: never, as mesh).</summary>
    public TimeSpan? RefreshTimeout { get; init; }

    /// <summary>After the first initial peer answers, wait this long for the others (default: <see cref="WaitTimeout"/>).</summary>
    public TimeSpan? BootstrapTimeout { get; init; }

    /// <summary>Cache every value found by a get (default true).</summary>
    public bool CacheLocally { get; init; } = true;

    /// <summary>After a get, cache the value on this many nearest visited nodes other than its source (default 1).</summary>
    public int CacheNearest { get; init; } = 1;

    /// <summary>Most records in the local cache (default: unbounded count, 64 MiB).</summary>
    public int? CacheSize { get; init; }

    /// <summary>Re-get a cached key that was used this long before it expires (default 5 s; zero disables).</summary>
    public TimeSpan CacheRefreshBeforeExpiry { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After a store, cache the value locally or refresh a cache entry the store proved stale (default true).</summary>
    public bool CacheOnStore { get; init; } = true;

    /// <summary>Concurrent gets of one key share one search (default true).</summary>
    public bool ReuseGetRequests { get; init; } = true;

    /// <summary>Concurrent calls per lookup (default: <c>MESH_DHT_NUM_WORKERS</c> or 4).</summary>
    public int NumWorkers { get; init; } = DefaultNumWorkers;

    /// <summary>Most keys per find call and per cache-refresh batch (default 16).</summary>
    public int ChunkSize { get; init; } = 16;

    /// <summary>A peer that does not answer a find is skipped for this long, doubling per failure (default 5 s; zero disables).</summary>
    public TimeSpan BlacklistTime { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Growth of the blacklist time per consecutive failure (default 2).</summary>
    public double BackoffRate { get; init; } = 2.0;

    /// <summary>Serve nothing and stay out of other nodes' routing tables (default false).</summary>
    public bool ClientMode { get; init; }

    /// <summary>Fail <c>CreateAsync</c> when no initial peer answers a validating ping (default true).</summary>
    public bool EnsureBootstrapSuccess { get; init; } = true;

    /// <summary>Fail <c>CreateAsync</c> when a bootstrap ping fails validation, instead of logging it (default true).</summary>
    public bool Strict { get; init; } = true;

    /// <summary>Record validators (signatures, schemas, predicates); more can be added with <see cref="DhtNode.AddValidators"/>.</summary>
    public IReadOnlyList<IRecordValidator> RecordValidators { get; init; } = [];

    /// <summary>RPC authorization (default: signatures with the node's identity).</summary>
    public DhtAuthorization Authorization { get; init; } = DhtAuthorization.Signature;

    /// <summary>
    /// The authorizer for <see cref="DhtAuthorization.Signature"/> (e.g. a <see cref="SignatureAuthorizer"/> whose
    /// options carry a proof-of-stake signer policy). Default: <c>new SignatureAuthorizer(Identity)</c>.
    /// </summary>
    public IRpcAuthorizer? Authorizer { get; init; }

    /// <summary>The key that signs RPCs by default (default: the host's <c>HostOptions.Identity</c>).</summary>
    public PrivateKey? Identity { get; init; }

    /// <summary>Finds addresses of peers the host never met (the libp2p Kademlia front-end's peer routing); optional.</summary>
    public IPeerAddressResolver? PeerAddressResolver { get; init; }

    /// <summary>Limits the mesh DHT lacks (keys per request, expiration horizon, per-peer quotas, store sizes); defaults are generous.</summary>
    public DhtProtocolOptions? ProtocolLimits { get; init; }

    /// <summary>Time for expirations, timeouts, bans and refreshes (default: the system clock).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary><c>get_dht_time</c> (default: <see cref="TimeProvider"/>'s wall clock).</summary>
    public DhtClock? Clock { get; init; }

    /// <summary><c>MESH_DHT_NUM_WORKERS</c> when set to a positive number, else 4 (hivemind's default).</summary>
    public static int DefaultNumWorkers { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("MESH_DHT_NUM_WORKERS"), out int n) && n > 0 ? n : 4;

    internal DhtProtocolOptions ToProtocolOptions() => (ProtocolLimits ?? new DhtProtocolOptions()) with
    {
        BucketSize = BucketSize,
        DepthModulo = DepthModulo,
        NumReplicas = NumReplicas,
        WaitTimeout = WaitTimeout,
        ParallelRpc = ParallelRpc,
        ClientMode = ClientMode,
        CacheSize = CacheSize,
        TimeProvider = TimeProvider,
        Clock = Clock,
    };

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(InitialPeers);
        foreach (Multiaddr peer in InitialPeers)
        {
            ArgumentNullException.ThrowIfNull(peer, nameof(InitialPeers));
            if (!peer.TryGetPeerId(out ReadOnlySpan<byte> id) || !PeerId.TryFromBytes(id, out _))
            {
                throw new ArgumentException($"initial peer {peer} has no /p2p/<peer id> part", nameof(InitialPeers));
            }
        }
        ArgumentNullException.ThrowIfNull(RecordValidators);
        ArgumentOutOfRangeException.ThrowIfLessThan(NumWorkers, 1, nameof(NumWorkers));
        ArgumentOutOfRangeException.ThrowIfLessThan(ChunkSize, 1, nameof(ChunkSize));
        ArgumentOutOfRangeException.ThrowIfNegative(CacheNearest, nameof(CacheNearest));
        ArgumentOutOfRangeException.ThrowIfLessThan(CacheRefreshBeforeExpiry, TimeSpan.Zero, nameof(CacheRefreshBeforeExpiry));
        ArgumentOutOfRangeException.ThrowIfLessThan(BlacklistTime, TimeSpan.Zero, nameof(BlacklistTime));
        if (RefreshTimeout is { } refresh && refresh <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RefreshTimeout), refresh, "must be positive");
        }
        if (BootstrapTimeout is { } bootstrap && bootstrap < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(BootstrapTimeout), bootstrap, "must not be negative");
        }
        ToProtocolOptions().Validate();
    }
}
