using Mesh.Multistream;

namespace Mesh.Kademlia.Keys;

/// <summary>A node id or key from the network or a user does not fit the keyspace (too long, not hex, ...).</summary>
public sealed class KadKeyFormatException : MeshProtocolException
{
    public KadKeyFormatException(string message)
        : base(message)
    {
    }
}
