using Google.Protobuf;

namespace Mesh.Transport.Rpc;

/// <summary>The four call shapes (mesh: <c>stream_input</c> × <c>stream_output</c>).</summary>
public enum RpcMethodType
{
    /// <summary>One request, one response, over the unary envelope (the p2pd persistent-connection wire).</summary>
    Unary,

    /// <summary>One request, a stream of responses, over the streaming framing.</summary>
    UnaryStream,

    /// <summary>A stream of requests, one response, over the streaming framing.</summary>
    StreamUnary,

    /// <summary>Streams both ways, over the streaming framing.</summary>
    StreamStream,
}

/// <summary>
/// A typed description of one RPC (like gRPC's <c>Method&lt;TRequest, TResponse&gt;</c>): the handler name without
/// namespace, the shape and both parsers. Declare one per method as a static field and use it on both sides:
/// <code>
///   static readonly RpcMethod&lt;FindRequest, FindResponse&gt; Find =
///       RpcMethod.Unary("DHTProtocol.rpc_find", FindRequest.Parser, FindResponse.Parser);
///   servicer.AddUnary(Find, HandleFindAsync, authorizer);          // serve
///   FindResponse r = await stub.CallUnaryAsync(Find, request);      // call
/// </code>
/// </summary>
public sealed class RpcMethod<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public RpcMethod(RpcMethodType type, string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(requestParser);
        ArgumentNullException.ThrowIfNull(responseParser);
        Type = type;
        Name = name;
        RequestParser = requestParser;
        ResponseParser = responseParser;
    }

    public RpcMethodType Type { get; }

    /// <summary>The handler name, e.g. <c>DHTProtocol.rpc_find</c>; with a namespace the protocol id is <c>ns::</c> + this.</summary>
    public string Name { get; }

    public MessageParser<TRequest> RequestParser { get; }

    public MessageParser<TResponse> ResponseParser { get; }

    public override string ToString() => $"{Type} {Name}";
}

/// <summary>Factories for <see cref="RpcMethod{TRequest, TResponse}"/>.</summary>
public static class RpcMethod
{
    public static RpcMethod<TRequest, TResponse> Unary<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(RpcMethodType.Unary, name, requestParser, responseParser);

    public static RpcMethod<TRequest, TResponse> UnaryStream<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(RpcMethodType.UnaryStream, name, requestParser, responseParser);

    public static RpcMethod<TRequest, TResponse> StreamUnary<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(RpcMethodType.StreamUnary, name, requestParser, responseParser);

    public static RpcMethod<TRequest, TResponse> StreamStream<TRequest, TResponse>(string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(RpcMethodType.StreamStream, name, requestParser, responseParser);
}
