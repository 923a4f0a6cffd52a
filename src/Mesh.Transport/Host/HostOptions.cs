using Mesh.Multistream;
using Mesh.Transport.Identity;
using Mesh.Transport.Tcp;
using Mesh.Transport.Yamux;

namespace Mesh.Transport.Host;

/// <summary>
/// Everything a <see cref="MeshHost"/> is configured with. Limits have go-libp2p/js-libp2p-like defaults; every one of
/// them is enforced before the resource is committed (a connection over the limit is closed before its handshake, a
/// stream over the limit is reset before its protocol handler runs).
/// </summary>
public sealed class HostOptions
{
    /// <summary>The host's identity. A fresh Ed25519 key when null.</summary>
    public PrivateKey? Identity { get; set; }

    /// <summary>TCP multiaddrs to listen on, e.g. <c>/ip4/0.0.0.0/tcp/4001</c> or <c>/ip4/127.0.0.1/tcp/0</c>. Empty: dial-only.</summary>
    public IList<Multiaddr> ListenAddresses { get; } = [];

    /// <summary>
    /// Addresses to advertise instead of the listen addresses (identify's listenAddrs, the host's
    /// <see cref="MeshHost.AdvertisedAddresses"/>), e.g. the public address of a node behind a NAT or in a container.
    /// They replace the listen addresses rather than add to them, as go-libp2p's <c>AddrsFactory</c> does for p2pd's
    /// <c>-announceAddrs</c> (what mesh's <c>--announce_maddrs</c> sets) and js-libp2p's <c>addresses.announce</c>.
    /// A trailing <c>/p2p/</c> must name this host. Empty: advertise the listen addresses.
    /// </summary>
    public IList<Multiaddr> AnnounceAddresses { get; } = [];

    /// <summary>Identify's agentVersion. Default <c>meshcore/&lt;assembly version&gt;</c>.</summary>
    public string AgentVersion { get; set; } = HostVersion.AgentVersion;

    /// <summary>Identify's protocolVersion (the value every libp2p implementation sends).</summary>
    public string ProtocolVersion { get; set; } = "ipfs/0.1.0";

    /// <summary>Bound on the whole connection upgrade (multistream-select, Noise, muxer selection). Default 10 s (go: 15 s).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on multistream-select for one stream, inbound and outbound. Default 10 s.</summary>
    public TimeSpan StreamNegotiationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <see cref="MeshHost.StopAsync"/> lets open streams drain after GoAway before aborting. Default 5 s.</summary>
    public TimeSpan GracefulCloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most established connections at once (inbound + outbound). Default 10,000.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Most connections to one peer (a second one only exists while a simultaneous open is resolved). Default 2.</summary>
    public int MaxConnectionsPerPeer { get; set; } = 2;

    /// <summary>Most inbound connections in their handshake at once; more are closed on accept. Default 256.</summary>
    public int MaxPendingInboundHandshakes { get; set; } = 256;

    /// <summary>Most inbound streams open on one connection (all protocols, including ones still negotiating). Default 1024.</summary>
    public int MaxInboundStreamsPerConnection { get; set; } = 1024;

    /// <summary>Most outbound streams open on one connection. Default 1024.</summary>
    public int MaxOutboundStreamsPerConnection { get; set; } = 1024;

    /// <summary>Per-protocol inbound stream limit per connection when the handler does not set one. Default 256 (js: 32).</summary>
    public int DefaultMaxInboundStreamsPerProtocol { get; set; } = 256;

    /// <summary>Per-protocol outbound stream limit per connection when the handler does not set one. Default 256 (js: 64).</summary>
    public int DefaultMaxOutboundStreamsPerProtocol { get; set; } = 256;

    /// <summary>Peers the peer store remembers (least recently seen, unconnected ones are evicted first). Default 10,000.</summary>
    public int MaxKnownPeers { get; set; } = 10_000;

    /// <summary>Addresses remembered per peer. Default 32.</summary>
    public int MaxAddressesPerPeer { get; set; } = 32;

    /// <summary>Run identify on every new connection and answer identify requests. Default true.</summary>
    public bool EnableIdentify { get; set; } = true;

    /// <summary>Answer <c>/ipfs/ping/1.0.0</c>. Default true.</summary>
    public bool EnablePing { get; set; } = true;

    /// <summary>Answer <c>/perf/1.0.0</c> (a benchmark protocol: it sends as many bytes as asked). Default false.</summary>
    public bool EnablePerf { get; set; }

    /// <summary>TCP socket and pipe settings.</summary>
    public TcpTransportOptions Tcp { get; set; } = new();

    /// <summary>yamux settings.</summary>
    public YamuxOptions Yamux { get; set; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StreamNegotiationTimeout, TimeSpan.Zero, nameof(StreamNegotiationTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(GracefulCloseTimeout, TimeSpan.Zero, nameof(GracefulCloseTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnections, 1, nameof(MaxConnections));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnectionsPerPeer, 1, nameof(MaxConnectionsPerPeer));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingInboundHandshakes, 1, nameof(MaxPendingInboundHandshakes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInboundStreamsPerConnection, 1, nameof(MaxInboundStreamsPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOutboundStreamsPerConnection, 1, nameof(MaxOutboundStreamsPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultMaxInboundStreamsPerProtocol, 1, nameof(DefaultMaxInboundStreamsPerProtocol));
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultMaxOutboundStreamsPerProtocol, 1, nameof(DefaultMaxOutboundStreamsPerProtocol));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKnownPeers, 1, nameof(MaxKnownPeers));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAddressesPerPeer, 1, nameof(MaxAddressesPerPeer));
    }
}
