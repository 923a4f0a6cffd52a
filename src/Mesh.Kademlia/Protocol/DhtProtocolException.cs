using System.Diagnostics.CodeAnalysis;
using Mesh.Multistream;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// A DHT request a peer sent is malformed (fields not aligned, a key that is not a DHTID, too many keys). The handler
/// throws it, so the caller gets an error reply and nothing is stored; the connection and every other call go on.
/// </summary>
public sealed class DhtProtocolException : MeshProtocolException
{
    public DhtProtocolException(string message)
        : base(message)
    {
    }

    [DoesNotReturn]
    internal static void Throw(string message) => throw new DhtProtocolException(message);
}

/// <summary>
/// mesh's <c>ValidationError</c>: a validating ping (bootstrap) found that the peer cannot reach us back, or that our
/// clocks disagree by more than <see cref="DhtProtocol.MaxDhtTimeDiscrepancySeconds"/>.
/// </summary>
public sealed class DhtValidationException : MeshProtocolException
{
    public DhtValidationException(string message)
        : base(message)
    {
    }
}
