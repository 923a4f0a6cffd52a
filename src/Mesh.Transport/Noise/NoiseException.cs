using Mesh.Multistream;

namespace Mesh.Transport.Noise;

/// <summary>
/// A Noise handshake or secure channel failed because of what the peer sent (or did not send). Subtypes say in which
/// phase; <see cref="Error"/> says why.
/// </summary>
public class NoiseException : MeshProtocolException
{
    public NoiseException(NoiseError error, string message)
        : base(message)
    {
        Error = error;
    }

    public NoiseException(NoiseError error, string message, Exception? innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>Why the handshake or channel failed.</summary>
    public NoiseError Error { get; }
}

/// <summary>The XX handshake failed: malformed or undecryptable message, bad payload, bad signature, closed connection.</summary>
public class NoiseHandshakeException : NoiseException
{
    public NoiseHandshakeException(NoiseError error, string message)
        : base(error, message)
    {
    }

    public NoiseHandshakeException(NoiseError error, string message, Exception? innerException)
        : base(error, message, innerException)
    {
    }
}

/// <summary>A transport message failed AEAD authentication: the channel is compromised or corrupted and ends.</summary>
public sealed class NoiseDecryptException : NoiseException
{
    public NoiseDecryptException(string message)
        : base(NoiseError.DecryptFailed, message)
    {
    }
}

/// <summary>The transport framing is broken: a frame shorter than the tag, or a connection that ends inside a frame.</summary>
public sealed class NoiseFrameException : NoiseException
{
    public NoiseFrameException(NoiseError error, string message)
        : base(error, message)
    {
    }
}
