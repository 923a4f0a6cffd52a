namespace Mesh.Kademlia.Libp2p.Messages;

/// <summary><c>Message.MessageType</c> (libp2p kad-dht spec, "RPC messages"). The numbers are the wire values.</summary>
public enum KadMessageType
{
    PutValue = 0,
    GetValue = 1,
    AddProvider = 2,
    GetProviders = 3,
    FindNode = 4,

    /// <summary>Deprecated: answered (echoed) when received, never sent (spec: "MAY answer, MUST NOT send").</summary>
    Ping = 5,
}
