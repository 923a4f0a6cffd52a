namespace Mesh.Transport.Rpc.Unary;

/// <summary>Why a unary envelope frame was rejected.</summary>
public enum UnaryEnvelopeError
{
    None = 0,

    /// <summary>The uvarint length prefix is non-minimal or longer than 9 bytes.</summary>
    MalformedLengthPrefix,

    /// <summary>The declared message length exceeds the message size limit (checked before the body is buffered).</summary>
    MessageTooLarge,

    /// <summary>The body is not a valid <c>PersistentConnectionRequest</c> protobuf.</summary>
    MalformedMessage,
}
