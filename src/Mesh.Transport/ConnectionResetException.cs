namespace Mesh.Transport;

/// <summary>
/// The remote end (or the network) tore the connection down: TCP RST, broken pipe, or a reset of the layer below.
/// Raised from reads of a transport's <see cref="System.IO.Pipelines.IDuplexPipe.Input"/>. Not a protocol error: the
/// peer did nothing malformed, it just went away.
/// </summary>
public sealed class ConnectionResetException : IOException
{
    public ConnectionResetException(string message)
        : base(message)
    {
    }

    public ConnectionResetException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
