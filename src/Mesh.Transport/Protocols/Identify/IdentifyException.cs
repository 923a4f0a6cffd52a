using Mesh.Multistream;

namespace Mesh.Transport.Protocols.Identify;

/// <summary>A peer sent an identify message that breaks the wire format or our limits.</summary>
public sealed class IdentifyException : MeshProtocolException
{
    public IdentifyException(IdentifyError error, string message)
        : base(message)
    {
        Error = error;
    }

    public IdentifyError Error { get; }
}
