namespace Mesh.Multistream;

/// <summary>Why a multistream-select exchange failed (<see cref="MultistreamException"/>).</summary>
public enum MultistreamError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>A message's declared length exceeds the limit (1024-byte protocol ids; 2-byte length prefix).</summary>
    MessageTooLarge,

    /// <summary>The uvarint length prefix is malformed.</summary>
    InvalidLengthPrefix,

    /// <summary>The message does not end with <c>'\n'</c> (a zero-length message included).</summary>
    MissingNewline,

    /// <summary>A protocol id that is empty, not UTF-8, or contains <c>'\n'</c>.</summary>
    InvalidProtocolId,

    /// <summary>The peer's first message is not <c>/multistream/1.0.0</c>.</summary>
    UnexpectedHeader,

    /// <summary>The responder answered neither with the proposed protocol nor with <c>na</c>.</summary>
    UnexpectedMessage,

    /// <summary>The responder declined every proposed protocol (<c>na</c>).</summary>
    ProtocolNotSupported,

    /// <summary>The initiator made more proposals (or <c>ls</c> requests) than the responder allows.</summary>
    TooManyAttempts,

    /// <summary>The stream ended before negotiation finished.</summary>
    UnexpectedEndOfStream,

    /// <summary>An <c>ls</c> response whose inner list is malformed.</summary>
    InvalidListResponse,
}
