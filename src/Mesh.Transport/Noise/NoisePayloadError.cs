using Mesh.Multistream.Protobuf;

namespace Mesh.Transport.Noise;

/// <summary>Why a NoiseHandshakePayload failed to decode.</summary>
internal enum NoisePayloadError
{
    None = 0,

    // The first four have the values of ProtobufReadError, so a reader error converts with a cast.

    /// <summary>A varint, length or field runs past the end of the message.</summary>
    Truncated = ProtobufReadError.Truncated,

    /// <summary>A varint longer than 10 bytes, or one that overflows 64 bits (32 for tags and lengths).</summary>
    MalformedVarint = ProtobufReadError.MalformedVarint,

    /// <summary>Field number 0, or a known field with a wire type its schema does not allow.</summary>
    InvalidTag = ProtobufReadError.InvalidTag,

    /// <summary>An unknown wire type (6, 7), an unmatched end-group, or groups nested too deep.</summary>
    InvalidWireType = ProtobufReadError.InvalidWireType,

    /// <summary>identity_key, identity_sig, a cert hash or a muxer id is longer than the limit.</summary>
    FieldTooLong,

    /// <summary>More stream muxers or cert hashes than the limit.</summary>
    TooManyEntries,

    /// <summary>A stream_muxers entry is not valid UTF-8.</summary>
    InvalidUtf8,
}
