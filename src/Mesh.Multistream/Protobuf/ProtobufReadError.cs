namespace Mesh.Multistream.Protobuf;

/// <summary>Why <see cref="ProtobufSpanReader"/> could not read the next item of a protobuf message.</summary>
public enum ProtobufReadError
{
    None = 0,

    /// <summary>A varint, length or field runs past the end of the message.</summary>
    Truncated = 1,

    /// <summary>A varint longer than 10 bytes, or one that overflows 64 bits (32 for tags).</summary>
    MalformedVarint = 2,

    /// <summary>Field number 0.</summary>
    InvalidTag = 3,

    /// <summary>An unknown wire type (6, 7), an unmatched end-group, or groups nested too deep.</summary>
    InvalidWireType = 4,
}
