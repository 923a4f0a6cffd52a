using Google.Protobuf;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Streaming;
using Mesh.Transport.Rpc.Unary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Rpc.Servicer;

/// <summary>
/// Serves RPC handlers on a transport (mesh <c>ServicerBase.add_p2p_handlers</c>): each handler is registered under its
/// name, which is the libp2p protocol id (<c>Class.method</c>, prefixed with <c>namespace::</c> when the servicer has a
/// namespace). Registration is explicit and typed, so nothing is discovered by reflection:
/// <code>
///   var servicer = new RpcServicer(transport);
///   servicer.AddUnary("DHTProtocol.rpc_find", FindRequest.Parser, HandleFindAsync, authorizer);
///   servicer.AddUnaryStream&lt;InferenceRequest, InferenceResponse&gt;("MockProtocol.rpc_inference_stream", InferenceRequest.Parser, StreamAsync);
/// </code>
/// </summary>
/// <remarks>
/// <para>Handler exceptions become error replies (unary: <see cref="RpcOptions.FormatUnaryError"/>, default Python's
/// <c>repr(e)</c> shape; streaming: one RPCError frame); they never break the connection. A handler's
/// <see cref="RpcContext.CancellationToken"/> fires when the caller goes away.</para>
/// <para>With an authorizer (unary-input handlers whose messages carry an <c>auth</c> field), requests are validated
/// before the handler runs and responses signed after, as mesh's <c>AuthRPCWrapper</c> does; a rejected unary request
/// gets <see cref="RpcOptions.RejectedRequestError"/>, a rejected unary-stream request an empty response stream.</para>
/// <para>Thread-safe. Disposing removes every handler this servicer added.</para>
/// </remarks>
public sealed class RpcServicer : IAsyncDisposable
{
    private readonly IRpcTransport _transport;
    private readonly ServicerEnvironment _environment;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RpcHandlerEntry> _entries = new(StringComparer.Ordinal);

    public RpcServicer(IRpcTransport transport, string? @namespace = null, RpcOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (@namespace is { Length: 0 })
        {
            throw new ArgumentException("the namespace is empty (use null for none)", nameof(@namespace));
        }
        _transport = transport;
        Namespace = @namespace;
        Options = options ?? RpcOptions.Default;
        Options.Validate();
        ILogger logger = (ILogger?)loggerFactory?.CreateLogger("Mesh.Transport.Rpc") ?? NullLogger.Instance;
        _environment = new ServicerEnvironment(Options, logger, transport.LocalPeer);
    }

    /// <summary>The namespace every handler name is prefixed with (<c>namespace::</c>), or null.</summary>
    public string? Namespace { get; }

    public RpcOptions Options { get; }

    /// <summary>The protocol ids currently served, in no particular order.</summary>
    public IReadOnlyList<string> Protocols
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries.Keys];
            }
        }
    }

    /// <summary>The protocol id a handler name is served under.</summary>
    public string GetProtocolId(string name) => RpcHandlerName.Qualify(Namespace, name);

    // ---- unary ------------------------------------------------------------------------------------------------

    /// <summary>Serves a unary handler under <paramref name="name"/> (e.g. <c>DHTProtocol.rpc_find</c>).</summary>
    public void AddUnary<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, UnaryHandler<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Register(name, protocol => new UnaryHandlerEntry<TRequest, TResponse>(protocol, Required(requestParser), Required(handler), null, _environment));

    /// <summary>Serves a unary handler behind <paramref name="authorizer"/>: validate the request, run, sign the response.</summary>
    public void AddUnary<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, UnaryHandler<TRequest, TResponse> handler, IRpcAuthorizer authorizer)
        where TRequest : class, IMessage<TRequest>, IAuthorizedRequest
        where TResponse : class, IMessage<TResponse>, IAuthorizedResponse =>
        Register(name, protocol => new UnaryHandlerEntry<TRequest, TResponse>(protocol, Required(requestParser), Required(handler), Required(authorizer), _environment));

    public void AddUnary<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, UnaryHandler<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        AddUnary(Require(method, RpcMethodType.Unary).Name, method.RequestParser, handler);

    public void AddUnary<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, UnaryHandler<TRequest, TResponse> handler, IRpcAuthorizer authorizer)
        where TRequest : class, IMessage<TRequest>, IAuthorizedRequest
        where TResponse : class, IMessage<TResponse>, IAuthorizedResponse =>
        AddUnary(Require(method, RpcMethodType.Unary).Name, method.RequestParser, handler, authorizer);

    // ---- unary → stream ---------------------------------------------------------------------------------------

    public void AddUnaryStream<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, UnaryStreamHandler<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Register(name, protocol => StreamHandlerEntry<TRequest, TResponse>.UnaryStream(protocol, Required(requestParser), Required(handler), null, _environment));

    /// <summary>Serves a unary-stream handler behind <paramref name="authorizer"/>: validate the request, sign every response.</summary>
    public void AddUnaryStream<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, UnaryStreamHandler<TRequest, TResponse> handler, IRpcAuthorizer authorizer)
        where TRequest : class, IMessage<TRequest>, IAuthorizedRequest
        where TResponse : class, IMessage<TResponse>, IAuthorizedResponse =>
        Register(name, protocol => StreamHandlerEntry<TRequest, TResponse>.UnaryStream(protocol, Required(requestParser), Required(handler), Required(authorizer), _environment));

    public void AddUnaryStream<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, UnaryStreamHandler<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        AddUnaryStream(Require(method, RpcMethodType.UnaryStream).Name, method.RequestParser, handler);

    public void AddUnaryStream<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, UnaryStreamHandler<TRequest, TResponse> handler, IRpcAuthorizer authorizer)
        where TRequest : class, IMessage<TRequest>, IAuthorizedRequest
        where TResponse : class, IMessage<TResponse>, IAuthorizedResponse =>
        AddUnaryStream(Require(method, RpcMethodType.UnaryStream).Name, method.RequestParser, handler, authorizer);

    // ---- stream → unary, stream → stream ----------------------------------------------------------------------

    public void AddStreamUnary<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, StreamUnaryHandler<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Register(name, protocol => StreamHandlerEntry<TRequest, TResponse>.StreamUnary(protocol, Required(requestParser), Required(handler), _environment));

    public void AddStreamUnary<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, StreamUnaryHandler<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        AddStreamUnary(Require(method, RpcMethodType.StreamUnary).Name, method.RequestParser, handler);

    public void AddStreamStream<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, StreamStreamHandler<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Register(name, protocol => StreamHandlerEntry<TRequest, TResponse>.StreamStream(protocol, Required(requestParser), Required(handler), _environment));

    public void AddStreamStream<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, StreamStreamHandler<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        AddStreamStream(Require(method, RpcMethodType.StreamStream).Name, method.RequestParser, handler);

    // ---- removal ------------------------------------------------------------------------------------------------

    /// <summary>Stops serving <paramref name="name"/> (mesh <c>remove_p2p_handlers</c>); calls in progress finish. False if it was not served.</summary>
    public bool Remove(string name)
    {
        string protocol = GetProtocolId(name);
        lock (_lock)
        {
            if (!_entries.Remove(protocol))
            {
                return false;
            }
            _transport.RemoveHandler(protocol);
            return true;
        }
    }

    /// <summary>Removes every handler this servicer added.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            foreach (string protocol in _entries.Keys)
            {
                _transport.RemoveHandler(protocol);
            }
            _entries.Clear();
        }
        return ValueTask.CompletedTask;
    }

    private void Register(string name, Func<string, RpcHandlerEntry> create)
    {
        string protocol = GetProtocolId(name);
        RpcHandlerEntry entry = create(protocol);
        lock (_lock)
        {
            if (_entries.ContainsKey(protocol))
            {
                // mesh: "Handler for protocol … already registered"
                throw new InvalidOperationException($"a handler for protocol {protocol} is already registered");
            }
            _transport.SetHandler(protocol, entry.HandleAsync);
            _entries.Add(protocol, entry);
        }
    }

    private static T Required<T>(T value)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(value);
        return value;
    }

    private static RpcMethod<TRequest, TResponse> Require<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, RpcMethodType type)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Type != type)
        {
            throw new ArgumentException($"{method} is not a {type} method", nameof(method));
        }
        return method;
    }
}
