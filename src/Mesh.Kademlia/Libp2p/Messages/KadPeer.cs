using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p.Messages;

/// <summary>
/// <c>Message.Peer</c>: a peer id and the addresses to reach it at (closer peers, providers). Immutable.
/// </summary>
/// <param name="Id">The peer (field 1, the binary peer id multihash).</param>
/// <param name="Addresses">Field 2, each a binary multiaddr. Entries that do not decode are dropped by the codec.</param>
/// <param name="Connection">Field 3, advisory.</param>
public sealed record KadPeer(PeerId Id, IReadOnlyList<Multiaddr> Addresses, KadConnectionType Connection = KadConnectionType.NotConnected)
{
    public override string ToString() => $"{Id} ({Addresses.Count} addrs)";
}
