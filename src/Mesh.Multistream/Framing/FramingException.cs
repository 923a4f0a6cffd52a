using System.Diagnostics.CodeAnalysis;

namespace Mesh.Multistream;

/// <summary>
/// A length-prefixed message the peer sent was malformed or larger than allowed. Thrown by callers that turn an
/// <see cref="System.Buffers.OperationStatus.InvalidData"/> from <see cref="LengthPrefixed"/> into an exception
/// (<see cref="Throw"/>); the codec itself never throws on peer input.
/// </summary>
public sealed class FramingException : MeshProtocolException
{
    public FramingException(FramingError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>The specific reason.</summary>
    public FramingError Error { get; }

    /// <summary>Throws the exception matching an error reported by <see cref="LengthPrefixed"/>.</summary>
    [DoesNotReturn]
    public static void Throw(FramingError error, int maxLength) => throw new FramingException(error, error switch
    {
        FramingError.MessageTooLarge => $"length-prefixed message declares more than the {maxLength}-byte limit",
        FramingError.InvalidLengthPrefix => "length-prefixed message has a malformed uvarint length",
        _ => "length-prefixed message is malformed",
    });
}
