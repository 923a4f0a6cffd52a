using System.Diagnostics.CodeAnalysis;

namespace Mesh.Multistream;

/// <summary>
/// A multistream-select negotiation failed because of what the peer sent (or did not send). <see cref="Error"/> is
/// the reason; <see cref="Protocol"/> the protocol involved, when there is one. Timeouts are the caller's
/// cancellation token and surface as <see cref="OperationCanceledException"/>, not as this type.
/// </summary>
public sealed class MultistreamException : MeshProtocolException
{
    public MultistreamException(MultistreamError error, string message, string? protocol = null)
        : base(message)
    {
        Error = error;
        Protocol = protocol;
    }

    /// <summary>The specific reason.</summary>
    public MultistreamError Error { get; }

    /// <summary>The protocol id concerned (the declined proposal, the one that could not be decoded…), if any.</summary>
    public string? Protocol { get; }

    [DoesNotReturn]
    internal static void Throw(MultistreamError error, string? protocol = null)
    {
        string message = error switch
        {
            MultistreamError.MessageTooLarge => $"multistream-select: message longer than {MultistreamCodec.MaxProtocolLength} bytes",
            MultistreamError.InvalidLengthPrefix => "multistream-select: malformed length prefix",
            MultistreamError.MissingNewline => "multistream-select: message does not end with a newline",
            MultistreamError.InvalidProtocolId => "multistream-select: protocol id is empty, not UTF-8, or contains a newline",
            MultistreamError.UnexpectedHeader => $"multistream-select: peer did not start with {MultistreamCodec.ProtocolId}",
            MultistreamError.UnexpectedMessage => "multistream-select: responder answered neither with the proposal nor with na",
            MultistreamError.ProtocolNotSupported => protocol is null
                ? "multistream-select: the responder supports none of the proposed protocols"
                : $"multistream-select: the responder does not support {protocol}",
            MultistreamError.TooManyAttempts => "multistream-select: too many proposals",
            MultistreamError.UnexpectedEndOfStream => "multistream-select: stream ended during negotiation",
            MultistreamError.InvalidListResponse => "multistream-select: malformed ls response",
            _ => "multistream-select: negotiation failed",
        };
        throw new MultistreamException(error, message, protocol);
    }
}
