using Mesh.Multistream;

namespace Mesh.Kademlia.Node;

/// <summary>
/// <see cref="DhtNode.CreateAsync(Mesh.Transport.Host.MeshHost, DhtNodeOptions?, Microsoft.Extensions.Logging.ILoggerFactory?, CancellationToken)"/>
/// with <see cref="DhtNodeOptions.EnsureBootstrapSuccess"/>: none of the initial peers answered a ping (mesh: "DHTNode
/// bootstrap failed: none of the initial_peers responded to a ping").
/// </summary>
public sealed class DhtBootstrapException : MeshProtocolException
{
    public DhtBootstrapException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A value to store is larger than one DHT message can carry (the 4 MiB unary limit), so no peer could accept it.
/// Thrown before anything is sent.
/// </summary>
public sealed class DhtValueTooLargeException : ArgumentException
{
    public DhtValueTooLargeException(int size, int limit)
        : base($"the serialized value is {size} bytes; a DHT store carries at most {limit}")
    {
        Size = size;
        Limit = limit;
    }

    public int Size { get; }

    public int Limit { get; }
}
