using System.Diagnostics.CodeAnalysis;
using Mesh.Multistream;

namespace Mesh.Transport.Identity;

/// <summary>
/// A malformed key from a peer, a file or the user. Every key decoder in this namespace reports bad input with this
/// type (never a <see cref="System.Security.Cryptography.CryptographicException"/> or a BouncyCastle exception), so a
/// connection handler or a fuzz target can tell "the peer sent a bad key" from a bug.
/// </summary>
public sealed class KeyFormatException : MeshProtocolException
{
    public KeyFormatException(KeyFormatError error, string message)
        : base(message)
    {
        Error = error;
    }

    public KeyFormatException(KeyFormatError error, string message, Exception? innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>The specific reason.</summary>
    public KeyFormatError Error { get; }

    [DoesNotReturn]
    internal static void Throw(KeyFormatError error, string message) => throw new KeyFormatException(error, message);

    [DoesNotReturn]
    internal static void Throw(KeyFormatError error, string message, Exception innerException) =>
        throw new KeyFormatException(error, message, innerException);

    [DoesNotReturn]
    internal static T Throw<T>(KeyFormatError error, string message) => throw new KeyFormatException(error, message);
}
