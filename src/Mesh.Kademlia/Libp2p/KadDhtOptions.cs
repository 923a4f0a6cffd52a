using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Kademlia.Libp2p.Providers;
using Mesh.Kademlia.Libp2p.Records;

namespace Mesh.Kademlia.Libp2p;

/// <summary>
/// Parameters of a <see cref="KadDht"/> (libp2p kad-dht spec; libp2p-specs.md §2i and the §4 checklist). Defaults are
/// the spec's and go-libp2p-kad-dht's unless a comment says otherwise.
/// </summary>
public sealed record KadDhtOptions
{
    /// <summary>The default protocol id, <c>/ipfs/kad/1.0.0</c> (go amino, js, rust).</summary>
    public const string DefaultProtocolId = "/ipfs/kad/1.0.0";

    /// <summary>
    /// The protocol prefix: the protocol id is <c>{prefix}/kad/1.0.0</c> (js <c>protocol</c>, go
    /// <c>ProtocolPrefix</c>; e.g. <c>/ipfs/lan</c> for a separate LAN DHT). Default <c>/ipfs</c>.
    /// </summary>
    public string ProtocolPrefix { get; init; } = "/ipfs";

    /// <summary>The protocol id this DHT speaks.</summary>
    public string ProtocolId => ProtocolPrefix + "/kad/1.0.0";

    public KadDhtMode Mode { get; init; } = KadDhtMode.Server;

    /// <summary>Kademlia k: bucket size, closer peers per answer, replication of values and provider records. 20.</summary>
    public int BucketSize { get; init; } = 20;

    /// <summary>Kademlia α: requests in flight per lookup (spec: 10; rust uses 3).</summary>
    public int Alpha { get; init; } = 10;

    /// <summary>
    /// S/Kademlia disjoint lookup paths (rust <c>disjoint_query_paths</c>, js <c>disjointPaths</c>): 0 or 1 is one
    /// path; d &gt; 1 splits the seed peers over d paths that never share a peer, each with ⌈α/d⌉ requests in flight, so
    /// one path of Sybils cannot capture the result. Off by default (go has no such option).
    /// </summary>
    public int DisjointPaths { get; init; }

    /// <summary>
    /// Most routing-table peers sharing one IP group (/16 of IPv4, /32 of IPv6; go's <c>RTPeerDiversityFilter</c>
    /// limit is 3), counting the replacements waiting for a slot (the table promotes them on its own). Loopback and
    /// private addresses are exempt. Null: off (the default, as in go's plain DHT).
    /// </summary>
    public int? MaxPeersPerIpGroup { get; init; }

    /// <summary>Bound on one request/response exchange with one peer (go and js read timeouts: 10 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on one lookup (go has none but its caller's context; js 180 s; dotnet 30 s). Default 60 s.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an inbound stream may stay idle between requests (js <c>incomingMessageTimeout</c> 10 s; go 1 min). Default 60 s.</summary>
    public TimeSpan InboundIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest message read or written (go and js: 4 MiB).</summary>
    public int MaxMessageSize { get; init; } = KadMessageCodec.DefaultMaxMessageSize;

    /// <summary>Inbound kad streams per connection (js: 32 in, 64 out).</summary>
    public int MaxInboundStreamsPerConnection { get; init; } = 32;

    /// <summary>Outbound kad streams per connection.</summary>
    public int MaxOutboundStreamsPerConnection { get; init; } = 64;

    /// <summary>Routing-table refresh period (go <c>RefreshInterval</c>, spec: every 10 min). Zero disables the timer.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Below this many routing-table peers a refresh first refills the table (go-libp2p-kad-dht's <c>fixLowPeers</c>
    /// and its <c>minRTRefreshThreshold</c> of 10): every connected peer that identify says serves the protocol, and,
    /// when the table is still empty, the peers <see cref="KadDht.BootstrapAsync"/> was given, dialled again.
    /// </summary>
    public int LowPeersThreshold { get; init; } = 10;

    /// <summary>Bound on each refresh lookup (go: 10 s).</summary>
    public TimeSpan RefreshQueryTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Deepest bucket refreshed with a random-key lookup (go <c>maxCplForRefresh</c> is 15): finding a key whose
    /// SHA-256 falls in a bucket of depth d takes about 2^d hashes.
    /// </summary>
    public int MaxRefreshDepth { get; init; } = 15;

    /// <summary>How often this node re-announces what it provides (IPFS: 22 h, before the 48 h validity ends).</summary>
    public TimeSpan ProviderRepublishInterval { get; init; } = TimeSpan.FromHours(22);

    /// <summary>How often expired provider and value records are swept (go: 1 h).</summary>
    public TimeSpan CleanupInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Default GET_VALUE quorum: 0 runs the lookup to the end (go <c>defaultQuorum</c>); n stops after n values (the local one counts).</summary>
    public int DefaultQuorum { get; init; }

    /// <summary>Providers a FindProviders returns at most by default (js: k).</summary>
    public int DefaultMaxProviders { get; init; } = 20;

    public KadRecordStoreOptions Records { get; init; } = new();

    public KadProviderStoreOptions Providers { get; init; } = new();

    /// <summary>Clock for record ages, provider expiry and IPNS validity. Default the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(ProtocolPrefix);
        if (!ProtocolPrefix.StartsWith('/') || ProtocolPrefix.EndsWith('/'))
        {
            throw new ArgumentException("The protocol prefix starts with '/' and does not end with one (e.g. /ipfs).", nameof(ProtocolPrefix));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(BucketSize, 1, nameof(BucketSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Alpha, 1, nameof(Alpha));
        ArgumentOutOfRangeException.ThrowIfNegative(DisjointPaths, nameof(DisjointPaths));
        if (MaxPeersPerIpGroup is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPeersPerIpGroup));
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(QueryTimeout, TimeSpan.Zero, nameof(QueryTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(InboundIdleTimeout, TimeSpan.Zero, nameof(InboundIdleTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessageSize, 1024, nameof(MaxMessageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(RefreshInterval, TimeSpan.Zero, nameof(RefreshInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RefreshQueryTimeout, TimeSpan.Zero, nameof(RefreshQueryTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRefreshDepth, nameof(MaxRefreshDepth));
        ArgumentOutOfRangeException.ThrowIfNegative(LowPeersThreshold, nameof(LowPeersThreshold));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRefreshDepth, 24, nameof(MaxRefreshDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(ProviderRepublishInterval, TimeSpan.Zero, nameof(ProviderRepublishInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(CleanupInterval, TimeSpan.Zero, nameof(CleanupInterval));
        ArgumentOutOfRangeException.ThrowIfNegative(DefaultQuorum, nameof(DefaultQuorum));
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultMaxProviders, 1, nameof(DefaultMaxProviders));
        ArgumentNullException.ThrowIfNull(Records);
        ArgumentNullException.ThrowIfNull(Providers);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
