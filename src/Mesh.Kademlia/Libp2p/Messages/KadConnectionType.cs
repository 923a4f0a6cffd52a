namespace Mesh.Kademlia.Libp2p.Messages;

/// <summary>
/// <c>Message.ConnectionType</c>: what the sender believes about its connection to a peer it lists. Advisory only:
/// nothing here decides on it, and js-libp2p never sets it.
/// </summary>
public enum KadConnectionType
{
    NotConnected = 0,
    Connected = 1,
    CanConnect = 2,
    CannotConnect = 3,
}
