namespace Mesh.Transport.Rpc.Streaming;

/// <summary>A peer sent a streaming RPC frame that breaks the framing or the message size limit.</summary>
public sealed class StreamFrameException : RpcException
{
    public StreamFrameException(StreamFrameError error, string message)
        : base(RpcError.MalformedFrame, message)
    {
        FrameError = error;
    }

    /// <summary>The specific reason.</summary>
    public StreamFrameError FrameError { get; }

    internal static string Describe(StreamFrameError error, ulong declaredLength, long maxMessageSize) => error switch
    {
        StreamFrameError.UnknownMarker => "streaming RPC frame has an unknown marker byte (expected 0 or 1)",
        StreamFrameError.MessageTooLarge => $"streaming RPC frame declares {declaredLength} bytes, over the {maxMessageSize}-byte message size limit",
        StreamFrameError.Truncated => "the stream ended inside a streaming RPC frame",
        StreamFrameError.MalformedError => "streaming RPC error frame does not hold an RPCError protobuf",
        _ => "streaming RPC frame is malformed",
    };
}
