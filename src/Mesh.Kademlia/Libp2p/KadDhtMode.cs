namespace Mesh.Kademlia.Libp2p;

/// <summary>
/// Client or server (libp2p kad-dht spec "Client and server mode"): a server advertises the kad protocol through
/// identify and answers requests, so others put it in their routing tables; a client only asks.
/// </summary>
public enum KadDhtMode
{
    Server,
    Client,
}
