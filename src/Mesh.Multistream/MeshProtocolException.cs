namespace Mesh.Multistream;

/// <summary>
/// Base type of every typed error raised for bad input from the network or from a user-supplied text form
/// (multiaddr, peer id, key, frame, message). Catching this type, and only this type, is how a connection handler or
/// a fuzz target distinguishes "the peer sent garbage" from a bug. Subclasses live next to the codec they belong to
/// and carry the wire error code where the protocol has one.
/// </summary>
public class MeshProtocolException : Exception
{
    public MeshProtocolException(string message)
        : base(message)
    {
    }

    public MeshProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
