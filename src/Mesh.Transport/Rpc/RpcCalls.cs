using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc;

/// <summary>Stream opening and failure mapping shared by the unary and streaming callers.</summary>
internal static class RpcCalls
{
    /// <summary>Opens a stream; every failure but cancellation becomes an <see cref="RpcException"/>.</summary>
    public static async ValueTask<IRpcStream> OpenAsync(IRpcTransport transport, PeerId peer, string protocol, CancellationToken cancellationToken)
    {
        try
        {
            return await transport.OpenStreamAsync(peer, protocol, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException && ex is not OperationCanceledException && ex is not OutOfMemoryException)
        {
            throw new RpcException(RpcError.TransportFailure, $"could not open a stream to {peer} for {protocol}: {ex.Message}", ex);
        }
    }

    /// <summary>The exception a call reports for a failure of its stream (reset, connection lost) or of the peer's framing.</summary>
    public static Exception Map(Exception exception, string protocol, PeerId peer, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return exception;
        }
        if (exception is RpcException)
        {
            return exception;
        }
        if (exception is Mesh.Multistream.MultistreamException { Error: Mesh.Multistream.MultistreamError.ProtocolNotSupported })
        {
            // A lazily negotiated stream learns of the refusal on its first read.
            return new RpcProtocolNotSupportedException(protocol, exception);
        }
        return new RpcException(RpcError.TransportFailure, $"the stream to {peer} for {protocol} failed: {exception.Message}", exception);
    }
}
