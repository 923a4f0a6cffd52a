namespace Mesh.Transport.Host;

/// <summary>
/// A host limit refused a stream or a connection (see <see cref="HostOptions"/> and <see cref="StreamHandlerOptions"/>).
/// Nothing is wrong with the peer or the connection; retry later.
/// </summary>
public sealed class ResourceLimitExceededException : IOException
{
    public ResourceLimitExceededException(string message)
        : base(message)
    {
    }
}
