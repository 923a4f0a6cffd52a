using Mesh.Kademlia.Keys;

namespace Mesh.Kademlia.Routing;

/// <summary>A node the routing table knows: its Kademlia id and how to reach it (mesh: the libp2p peer id).</summary>
public readonly record struct RoutingEntry<TKey, TPeer>(TKey NodeId, TPeer Peer)
    where TKey : struct, IKadKey<TKey>
    where TPeer : notnull;
