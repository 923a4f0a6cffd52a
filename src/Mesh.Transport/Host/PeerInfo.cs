using System.Collections.Immutable;
using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Host;

/// <summary>
/// What the host knows about one peer: addresses to dial it at and, once identify ran, its protocols, agent and key.
/// Immutable snapshot; the <see cref="PeerStore"/> replaces it on every change.
/// </summary>
public sealed record PeerInfo
{
    public required PeerId PeerId { get; init; }

    /// <summary>Dialable addresses, most recently learned first, without <c>/p2p/</c>.</summary>
    public ImmutableArray<Multiaddr> Addresses { get; init; } = [];

    /// <summary>Protocols the peer advertised in identify (empty until identify ran).</summary>
    public ImmutableArray<string> Protocols { get; init; } = [];

    public string? AgentVersion { get; init; }

    public string? ProtocolVersion { get; init; }

    /// <summary>The peer's key (from the handshake or identify; always verified against <see cref="PeerId"/>).</summary>
    public PublicKey? PublicKey { get; init; }

    /// <summary>How the peer last told us it sees us (identify observedAddr).</summary>
    public Multiaddr? ObservedAddress { get; init; }

    /// <summary>When identify last completed with this peer; null if never.</summary>
    public DateTimeOffset? IdentifiedAt { get; init; }

    /// <summary>When this entry last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    public bool SupportsProtocol(string protocol) => Protocols.Contains(protocol, StringComparer.Ordinal);
}
