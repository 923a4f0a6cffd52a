using Mesh.Multistream;

namespace Mesh.Transport.Identity;

/// <summary>
/// An identity file that cannot be used: the message names the file and the reason; <see cref="Error"/> classifies
/// it and <see cref="Exception.InnerException"/> holds the underlying <see cref="KeyFormatException"/> when there is one.
/// I/O failures (missing file, permissions) are not wrapped: they surface as the usual <see cref="IOException"/> types.
/// </summary>
public sealed class IdentityFileException : MeshProtocolException
{
    public IdentityFileException(string path, IdentityFileError error, string reason, Exception? innerException = null)
        : base($"identity file '{path}': {reason}", innerException)
    {
        Path = path;
        Error = error;
        Reason = reason;
    }

    /// <summary>The file (or the description given for in-memory contents).</summary>
    public string Path { get; }

    /// <summary>The classified reason.</summary>
    public IdentityFileError Error { get; }

    /// <summary>The reason, without the path.</summary>
    public string Reason { get; }
}
