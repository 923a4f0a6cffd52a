namespace Mesh.Transport.Muxing;

/// <summary>
/// A muxed stream was reset (abortively closed) by this side or by the peer. Pending and later reads and writes on the
/// stream fail with it. Muxers throw a subclass that carries their wire details (e.g. yamux's error code).
/// </summary>
public class StreamResetException : IOException
{
    public StreamResetException(string message, bool isRemote)
        : base(message)
    {
        IsRemote = isRemote;
    }

    /// <summary>True if the peer reset the stream; false if this side did.</summary>
    public bool IsRemote { get; }
}
