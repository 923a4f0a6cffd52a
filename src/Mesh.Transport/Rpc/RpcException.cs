using Mesh.Multistream;

namespace Mesh.Transport.Rpc;

/// <summary>
/// An RPC call failed. Every failure of a call made through <c>RpcClient</c> or <c>RpcStub</c>
/// surfaces as this type (or a subclass), except cancellation, which is an <see cref="OperationCanceledException"/>.
/// It derives from <see cref="MeshProtocolException"/> because its cause is always on the other side of the wire.
/// </summary>
public class RpcException : MeshProtocolException
{
    public RpcException(RpcError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>The kind of failure.</summary>
    public RpcError Error { get; }
}

/// <summary>
/// The remote handler failed. <see cref="RemoteMessage"/> is the text the remote sent: for Python servicers the
/// <c>repr()</c> of the exception (e.g. <c>ValueError('boom')</c>), for streaming calls <c>str(exception)</c>.
/// </summary>
public class RpcHandlerException : RpcException
{
    public RpcHandlerException(string protocol, string remoteMessage)
        : this(RpcError.HandlerError, protocol, remoteMessage)
    {
    }

    private protected RpcHandlerException(RpcError error, string protocol, string remoteMessage)
        : base(error, $"handler {protocol} failed: {remoteMessage}")
    {
        Protocol = protocol;
        RemoteMessage = remoteMessage;
    }

    /// <summary>The protocol id (handler name) that was called.</summary>
    public string Protocol { get; }

    /// <summary>The error text the remote sent, decoded as UTF-8.</summary>
    public string RemoteMessage { get; }
}

/// <summary>
/// The remote servicer's authorizer rejected the request. Python servicers (and MeshCore ones by default) answer a
/// rejected request with <see cref="RpcWireErrors.RequestRejected"/>, the text Python produces when its auth wrapper
/// returns <c>None</c>; this exception is raised when a reply carries exactly that text.
/// </summary>
public sealed class RpcRequestRejectedException : RpcHandlerException
{
    public RpcRequestRejectedException(string protocol, string remoteMessage)
        : base(RpcError.RequestRejected, protocol, remoteMessage)
    {
    }
}

/// <summary>The remote peer does not serve the protocol id (multistream-select <c>na</c>).</summary>
public sealed class RpcProtocolNotSupportedException : RpcException
{
    public RpcProtocolNotSupportedException(string protocol, Exception? innerException = null)
        : base(RpcError.ProtocolNotSupported, $"the remote peer does not support protocol '{protocol}'", innerException)
    {
        Protocol = protocol;
    }

    public string Protocol { get; }
}

/// <summary>A message is larger than the message size limit.</summary>
public sealed class RpcMessageTooLargeException : RpcException
{
    public RpcMessageTooLargeException(long size, long limit, bool isLocal)
        : base(RpcError.MessageTooLarge, isLocal
            ? $"message of {size} bytes exceeds the {limit}-byte message size limit (not sent)"
            : $"the peer sent a message of {size} bytes, over the {limit}-byte message size limit")
    {
        Size = size;
        Limit = limit;
        IsLocal = isLocal;
    }

    /// <summary>The message size (for peer messages: the size its header declared).</summary>
    public long Size { get; }

    public long Limit { get; }

    /// <summary>True when our own outgoing message was refused before sending.</summary>
    public bool IsLocal { get; }
}

/// <summary>The response failed the client-side authorizer (bad signature, nonce mismatch, policy rejection).</summary>
public sealed class RpcAuthorizationException : RpcException
{
    public RpcAuthorizationException(string protocol, Auth.RpcAuthFailure failure, string? detail)
        : base(RpcError.ResponseUnauthorized, detail is null
            ? $"response from {protocol} failed authorization: {failure}"
            : $"response from {protocol} failed authorization: {failure} ({detail})")
    {
        Protocol = protocol;
        Failure = failure;
    }

    public string Protocol { get; }

    public Auth.RpcAuthFailure Failure { get; }
}
