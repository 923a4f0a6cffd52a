namespace Mesh.Transport.Muxing;

/// <summary>
/// The multiplexed connection has ended or is closing: opening, accepting and pinging fail with it, and stream
/// directions that were still open when the connection ended fail with it. <see cref="Exception.InnerException"/> holds
/// the cause when the connection ended in error.
/// </summary>
public class MuxedConnectionClosedException : IOException
{
    public MuxedConnectionClosedException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
