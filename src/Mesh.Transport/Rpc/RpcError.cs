namespace Mesh.Transport.Rpc;

/// <summary>Why an RPC call failed (carried by every <see cref="RpcException"/>).</summary>
public enum RpcError
{
    /// <summary>The remote handler failed: a unary <c>error</c> reply or a streaming <c>RPCError</c> frame (<see cref="RpcHandlerException"/>).</summary>
    HandlerError,

    /// <summary>The remote servicer's authorizer rejected the request (<see cref="RpcRequestRejectedException"/>).</summary>
    RequestRejected,

    /// <summary>The remote peer has no handler for the protocol id: multistream-select answered <c>na</c> (<see cref="RpcProtocolNotSupportedException"/>).</summary>
    ProtocolNotSupported,

    /// <summary>A message exceeds the message size limit, locally before sending or as declared by the peer (<see cref="RpcMessageTooLargeException"/>).</summary>
    MessageTooLarge,

    /// <summary>The peer sent bytes that are not a valid envelope or frame.</summary>
    MalformedFrame,

    /// <summary>The peer broke the call protocol (wrong envelope kind, end of stream before the reply, a wrong number of messages).</summary>
    ProtocolViolation,

    /// <summary>The stream or connection failed underneath the call (reset, connection lost, could not connect).</summary>
    TransportFailure,

    /// <summary>The response did not pass the client-side authorizer (<see cref="RpcAuthorizationException"/>).</summary>
    ResponseUnauthorized,
}
