namespace Mesh.Transport.Rpc.Streaming;

/// <summary>The first byte of a streaming RPC frame (mesh <c>P2P.MESSAGE_MARKER</c> / <c>P2P.ERROR_MARKER</c>).</summary>
internal enum StreamFrameMarker : byte
{
    /// <summary>The payload is a request or response protobuf.</summary>
    Message = 0,

    /// <summary>The payload is an <see cref="RPCError"/>; an empty one from the caller is END_OF_STREAM.</summary>
    Error = 1,
}
