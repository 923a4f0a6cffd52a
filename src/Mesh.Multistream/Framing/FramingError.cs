namespace Mesh.Multistream;

/// <summary>Why a length-prefixed message was rejected (<see cref="LengthPrefixed"/>).</summary>
public enum FramingError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The uvarint length prefix is malformed (non-minimal or longer than 9 bytes).</summary>
    InvalidLengthPrefix,

    /// <summary>The declared length exceeds the caller's maximum; detected from the prefix, before any body is buffered.</summary>
    MessageTooLarge,
}
