namespace Mesh.Transport.Protocols.Identify;

/// <summary>Why an identify message was rejected.</summary>
public enum IdentifyError
{
    None = 0,

    /// <summary>The length prefix is not a valid unsigned varint.</summary>
    BadLengthPrefix,

    /// <summary>The length prefix announces more than the read limit (8 KiB, as go).</summary>
    MessageTooLarge,

    /// <summary>The protobuf body is malformed: a truncated field, a bad tag, a varint over 10 bytes, a group.</summary>
    MalformedProtobuf,

    /// <summary>A known field has the wrong wire type.</summary>
    WrongWireType,

    /// <summary>A string field is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>More protocols, listen addresses or bytes in one field than the limits allow.</summary>
    TooManyEntries,

    /// <summary>More length-prefixed messages on one stream than the limit (10, as go).</summary>
    TooManyMessages,
}
