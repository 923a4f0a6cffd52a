using Google.Protobuf;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Streaming;
using Mesh.Transport.Rpc.Unary;

namespace Mesh.Transport.Rpc;

/// <summary>
/// Calls handlers on other peers (mesh <c>P2P.call_protobuf_handler</c> / <c>iterate_protobuf_handler</c>). One libp2p
/// stream per call, protocol id = handler name. Unary calls use the p2pd unary envelope; the other shapes the
/// streaming framing. Thread-safe; keep one per transport.
/// </summary>
/// <remarks>
/// Every failure is an <see cref="RpcException"/>: <see cref="RpcHandlerException"/> (the remote handler's error),
/// <see cref="RpcRequestRejectedException"/>, <see cref="RpcProtocolNotSupportedException"/>,
/// <see cref="RpcMessageTooLargeException"/>, or <see cref="RpcError.TransportFailure"/> and friends. Cancelling the
/// token resets the stream, which cancels the handler at the callee, and throws <see cref="OperationCanceledException"/>.
/// Use <see cref="CreateStub"/> for typed calls with namespaces and authorization.
/// </remarks>
public sealed class RpcClient
{
    public RpcClient(IRpcTransport transport, RpcOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        Transport = transport;
        Options = options ?? RpcOptions.Default;
        Options.Validate();
    }

    public IRpcTransport Transport { get; }

    public RpcOptions Options { get; }

    public PeerId LocalPeer => Transport.LocalPeer;

    /// <summary>
    /// One request, one response. <paramref name="protocol"/> is the full handler name, e.g. <c>DHTProtocol.rpc_find</c>
    /// or <c>ns::DHTProtocol.rpc_find</c>.
    /// </summary>
    public ValueTask<TResponse> CallUnaryAsync<TRequest, TResponse>(PeerId peer, string protocol, TRequest request, MessageParser<TResponse> responseParser,
        CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Validate(peer, protocol, request, responseParser);
        return UnaryCall.InvokeAsync(Transport, Options, peer, protocol, request, responseParser, cancellationToken);
    }

    /// <summary>One request, a stream of responses (read as you enumerate; stopping early resets the stream).</summary>
    public IAsyncEnumerable<TResponse> CallUnaryStreamAsync<TRequest, TResponse>(PeerId peer, string protocol, TRequest request, MessageParser<TResponse> responseParser,
        CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Validate(peer, protocol, request, responseParser);
        return StreamCall.InvokeAsync(Transport, Options, peer, protocol, new SingleItem<TRequest>(request), responseParser, cancellationToken);
    }

    /// <summary>A stream of requests, one response (anything but exactly one response is a <see cref="RpcError.ProtocolViolation"/>).</summary>
    public async ValueTask<TResponse> CallStreamUnaryAsync<TRequest, TResponse>(PeerId peer, string protocol, IAsyncEnumerable<TRequest> requests,
        MessageParser<TResponse> responseParser, CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Validate(peer, protocol, requests, responseParser);
        TResponse? single = null;
        await foreach (TResponse response in StreamCall.InvokeAsync(Transport, Options, peer, protocol, requests, responseParser, cancellationToken).ConfigureAwait(false))
        {
            if (single is not null)
            {
                // mesh's asingle() raises here, at the second item, without reading further.
                throw new RpcException(RpcError.ProtocolViolation, $"{protocol}: asingle() expected an iterable with exactly one item, but got two or more items");
            }
            single = response;
        }
        return single ?? throw new RpcException(RpcError.ProtocolViolation, $"{protocol}: asingle() expected an iterable with exactly one item, but got an empty iterable");
    }

    /// <summary>Streams both ways: requests are sent as <paramref name="requests"/> yields them, responses read as you enumerate.</summary>
    public IAsyncEnumerable<TResponse> CallStreamStreamAsync<TRequest, TResponse>(PeerId peer, string protocol, IAsyncEnumerable<TRequest> requests,
        MessageParser<TResponse> responseParser, CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Validate(peer, protocol, requests, responseParser);
        return StreamCall.InvokeAsync(Transport, Options, peer, protocol, requests, responseParser, cancellationToken);
    }

    /// <summary>
    /// A stub for calls to <paramref name="peer"/> (mesh <c>ServicerBase.get_stub</c>, wrapped in <c>AuthRPCWrapper</c>
    /// when an authorizer is given): <paramref name="namespace"/> prefixes every method name with <c>namespace::</c>;
    /// <paramref name="authorizer"/> signs requests and validates responses of unary-input calls;
    /// <paramref name="servicePublicKey"/> is the key requests are addressed to (<c>auth.service_public_key</c>), if known.
    /// </summary>
    public RpcStub CreateStub(PeerId peer, string? @namespace = null, IRpcAuthorizer? authorizer = null, PublicKey? servicePublicKey = null) =>
        new(this, peer, @namespace, authorizer, servicePublicKey);

    private static void Validate(PeerId peer, string protocol, object request, object responseParser)
    {
        if (peer.IsEmpty)
        {
            throw new ArgumentException("the peer id is empty", nameof(peer));
        }
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseParser);
    }

    /// <summary>A one-item request stream for the unary-input streaming shape, without an async state machine.</summary>
    private sealed class SingleItem<T>(T item) : IAsyncEnumerable<T>, IAsyncEnumerator<T>
    {
        private int _state;

        public T Current => item;

        public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            Interlocked.CompareExchange(ref _state, 1, 0) == 0 ? this : new SingleItem<T>(item) { _state = 1 };

        public ValueTask<bool> MoveNextAsync() => ValueTask.FromResult(++_state == 2);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
