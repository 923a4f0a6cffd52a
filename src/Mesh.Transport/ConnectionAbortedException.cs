namespace Mesh.Transport;

/// <summary>
/// This side aborted the connection (a limit was hit, a handshake timed out, the host is shutting down, or the peer
/// broke the protocol one layer up). Reads pending at that moment and any later reads fail with this exception; its
/// <see cref="Exception.InnerException"/> carries the reason when there is one.
/// </summary>
public sealed class ConnectionAbortedException : OperationCanceledException
{
    public ConnectionAbortedException()
        : base("The connection was aborted.")
    {
    }

    public ConnectionAbortedException(string message)
        : base(message)
    {
    }

    public ConnectionAbortedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
