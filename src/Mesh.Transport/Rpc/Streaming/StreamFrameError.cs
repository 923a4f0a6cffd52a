namespace Mesh.Transport.Rpc.Streaming;

/// <summary>Why a streaming RPC frame was rejected.</summary>
public enum StreamFrameError
{
    None = 0,

    /// <summary>The marker byte is neither 0 (message) nor 1 (error).</summary>
    UnknownMarker,

    /// <summary>The declared payload length exceeds the message size limit (checked on the header, before the payload is buffered).</summary>
    MessageTooLarge,

    /// <summary>The stream ended inside a frame.</summary>
    Truncated,

    /// <summary>An error frame's payload is not an <c>RPCError</c> protobuf.</summary>
    MalformedError,
}
