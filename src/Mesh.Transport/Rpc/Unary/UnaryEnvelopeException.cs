namespace Mesh.Transport.Rpc.Unary;

/// <summary>A peer sent a unary RPC envelope that breaks the wire format or the message size limit.</summary>
public sealed class UnaryEnvelopeException : RpcException
{
    public UnaryEnvelopeException(UnaryEnvelopeError error, string message, Exception? innerException = null)
        : base(RpcError.MalformedFrame, message, innerException)
    {
        EnvelopeError = error;
    }

    /// <summary>The specific reason.</summary>
    public UnaryEnvelopeError EnvelopeError { get; }

    internal static string Describe(UnaryEnvelopeError error, long declaredLength, int maxMessageSize) => error switch
    {
        UnaryEnvelopeError.MalformedLengthPrefix => "unary envelope length prefix is not a minimal unsigned varint of at most 9 bytes",
        UnaryEnvelopeError.MessageTooLarge => $"unary envelope declares {declaredLength} bytes, over the {maxMessageSize}-byte message size limit",
        UnaryEnvelopeError.MalformedMessage => "unary envelope is not a valid PersistentConnectionRequest protobuf",
        _ => "unary envelope is malformed",
    };
}
