namespace Mesh.Transport.Rpc.Servicer;

/// <summary>A unary handler: one request, one response (mesh <c>async def rpc_x(self, request, context) -> Response</c>).</summary>
/// <remarks>Throwing sends an <c>error</c> reply (see <see cref="RpcOptions.FormatUnaryError"/>); returning null sends
/// <see cref="RpcOptions.RejectedRequestError"/>, as Python's <c>None</c> would.</remarks>
public delegate ValueTask<TResponse> UnaryHandler<TRequest, TResponse>(TRequest request, RpcContext context);

/// <summary>One request, a stream of responses.</summary>
public delegate IAsyncEnumerable<TResponse> UnaryStreamHandler<TRequest, TResponse>(TRequest request, RpcContext context);

/// <summary>A stream of requests, one response.</summary>
public delegate ValueTask<TResponse> StreamUnaryHandler<TRequest, TResponse>(IAsyncEnumerable<TRequest> requests, RpcContext context);

/// <summary>A stream of requests, a stream of responses.</summary>
public delegate IAsyncEnumerable<TResponse> StreamStreamHandler<TRequest, TResponse>(IAsyncEnumerable<TRequest> requests, RpcContext context);
