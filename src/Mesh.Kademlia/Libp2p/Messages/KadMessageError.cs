namespace Mesh.Kademlia.Libp2p.Messages;

/// <summary>Why the codec rejected a kad message.</summary>
public enum KadMessageError
{
    None = 0,

    /// <summary>The uvarint length prefix is malformed (non-minimal, over 9 bytes).</summary>
    BadLengthPrefix,

    /// <summary>The length prefix announces more than the limit (4 MiB by default, as go and js).</summary>
    MessageTooLarge,

    /// <summary>The protobuf body is malformed: truncated field, bad tag, varint over 10 bytes, unpaired group.</summary>
    MalformedProtobuf,

    /// <summary>A known field has the wrong wire type.</summary>
    WrongWireType,

    /// <summary>The message type is not one of the six defined values.</summary>
    UnknownMessageType,

    /// <summary>A peer entry has no id or an id that is not a peer id multihash.</summary>
    InvalidPeerId,

    /// <summary><c>Record.timeReceived</c> is not valid UTF-8.</summary>
    InvalidUtf8,

    /// <summary>More peers per list or addresses per peer than the limits allow.</summary>
    TooManyEntries,
}
