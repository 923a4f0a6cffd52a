using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p;

/// <summary>A peer and the addresses known for it.</summary>
public sealed record KadPeerInfo(PeerId Peer, IReadOnlyList<Multiaddr> Addresses);

/// <summary>The best value a GET found.</summary>
/// <param name="Value">The value the namespace's Select ranked first.</param>
/// <param name="Responses">How many valid values were seen (the local one included).</param>
/// <param name="From">The peers that held the best value (this node included when it did).</param>
/// <param name="Corrected">Peers among the nearest that had an older value or none and were sent the best one.</param>
public sealed record KadValueResult(ReadOnlyMemory<byte> Value, int Responses, IReadOnlyList<PeerId> From, int Corrected);

/// <summary>What a PUT or a provide reached.</summary>
/// <param name="Peers">The nearest peers the lookup found (the ones asked to store).</param>
/// <param name="Succeeded">How many of them accepted.</param>
public sealed record KadPublishResult(IReadOnlyList<PeerId> Peers, int Succeeded);

/// <summary>A local PUT or provide was refused (invalid value, held value better, too large, bad key).</summary>
public sealed class KadRecordRejectedException(string message) : Mesh.Multistream.MeshProtocolException(message);
