namespace Mesh.Transport.Host;

/// <summary>Which side opened a connection or a stream.</summary>
public enum ConnectionDirection
{
    /// <summary>The remote side dialed (or opened the stream).</summary>
    Inbound,

    /// <summary>This host dialed (or opened the stream).</summary>
    Outbound,
}
