using System.Runtime.CompilerServices;
using Google.Protobuf;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Transport.Rpc;

/// <summary>
/// Typed calls to one peer (mesh <c>StubBase</c>), optionally under a namespace and an authorizer (mesh
/// <c>AuthRPCWrapper(stub, AuthRole.CLIENT, authorizer, service_public_key)</c>). Create with
/// <see cref="RpcClient.CreateStub"/>; immutable and thread-safe.
/// </summary>
/// <remarks>
/// With an authorizer, unary-input calls (unary, unary-stream) sign the request and validate every response: a
/// response that fails raises <see cref="RpcAuthorizationException"/> (mesh returns <c>None</c> for unary calls and, for
/// streams, checks only the first response). Both request and response types must then carry an <c>auth</c> field
/// (<see cref="IAuthorizedRequest"/>, <see cref="IAuthorizedResponse"/>). Stream-input calls are not signed: mesh's
/// wrapper cannot sign a request stream, and its servicers cannot validate one.
/// </remarks>
public sealed class RpcStub
{
    internal RpcStub(RpcClient client, PeerId peer, string? @namespace, IRpcAuthorizer? authorizer, PublicKey? servicePublicKey)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (peer.IsEmpty)
        {
            throw new ArgumentException("the peer id is empty", nameof(peer));
        }
        Client = client;
        Peer = peer;
        Namespace = @namespace;
        Authorizer = authorizer;
        ServicePublicKey = servicePublicKey;
    }

    public RpcClient Client { get; }

    public PeerId Peer { get; }

    public string? Namespace { get; }

    public IRpcAuthorizer? Authorizer { get; }

    public PublicKey? ServicePublicKey { get; }

    /// <summary>The protocol id of <paramref name="methodName"/> under this stub's namespace.</summary>
    public string GetProtocolId(string methodName) => RpcHandlerName.Qualify(Namespace, methodName);

    public async ValueTask<TResponse> CallUnaryAsync<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Require(method, RpcMethodType.Unary);
        string protocol = GetProtocolId(method.Name);
        if (Authorizer is null)
        {
            return await Client.CallUnaryAsync(Peer, protocol, request, method.ResponseParser, cancellationToken).ConfigureAwait(false);
        }
        var context = new RpcContext(protocol, Client.LocalPeer, Peer, cancellationToken);
        IAuthorizedRequest signed = AsAuthorized(request, method);
        await Authorizer.SignRequestAsync(signed, ServicePublicKey, context).ConfigureAwait(false);
        TResponse response = await Client.CallUnaryAsync(Peer, protocol, request, method.ResponseParser, cancellationToken).ConfigureAwait(false);
        await ValidateAsync(response, signed, context, method).ConfigureAwait(false);
        return response;
    }

    public IAsyncEnumerable<TResponse> CallUnaryStreamAsync<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Require(method, RpcMethodType.UnaryStream);
        string protocol = GetProtocolId(method.Name);
        return Authorizer is null
            ? Client.CallUnaryStreamAsync(Peer, protocol, request, method.ResponseParser, cancellationToken)
            : AuthorizedStreamAsync(method, protocol, request, cancellationToken);
    }

    public ValueTask<TResponse> CallStreamUnaryAsync<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Require(method, RpcMethodType.StreamUnary);
        return Client.CallStreamUnaryAsync(Peer, GetProtocolId(method.Name), requests, method.ResponseParser, cancellationToken);
    }

    public IAsyncEnumerable<TResponse> CallStreamStreamAsync<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Require(method, RpcMethodType.StreamStream);
        return Client.CallStreamStreamAsync(Peer, GetProtocolId(method.Name), requests, method.ResponseParser, cancellationToken);
    }

    public override string ToString() => $"stub for {Peer}{(Namespace is null ? "" : " in " + Namespace)}{(Authorizer is null ? "" : " (authorized)")}";

    private async IAsyncEnumerable<TResponse> AuthorizedStreamAsync<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, string protocol, TRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var context = new RpcContext(protocol, Client.LocalPeer, Peer, cancellationToken);
        IAuthorizedRequest signed = AsAuthorized(request, method);
        await Authorizer!.SignRequestAsync(signed, ServicePublicKey, context).ConfigureAwait(false);
        await foreach (TResponse response in Client.CallUnaryStreamAsync(Peer, protocol, request, method.ResponseParser, cancellationToken).ConfigureAwait(false))
        {
            await ValidateAsync(response, signed, context, method).ConfigureAwait(false);
            yield return response;
        }
    }

    private async ValueTask ValidateAsync<TRequest, TResponse>(TResponse response, IAuthorizedRequest request, RpcContext context, RpcMethod<TRequest, TResponse> method)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        if (response is not IAuthorizedResponse authorized)
        {
            throw new InvalidOperationException($"{method}: {typeof(TResponse).Name} has no auth field (IAuthorizedResponse), so it cannot be authorized");
        }
        RpcAuthResult verdict = await Authorizer!.ValidateResponseAsync(authorized, request, context).ConfigureAwait(false);
        if (!verdict.IsSuccess)
        {
            throw new RpcAuthorizationException(context.Protocol, verdict.Failure, verdict.Detail);
        }
    }

    private static IAuthorizedRequest AsAuthorized<TRequest, TResponse>(TRequest request, RpcMethod<TRequest, TResponse> method)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        return request as IAuthorizedRequest
            ?? throw new InvalidOperationException($"{method}: {typeof(TRequest).Name} has no auth field (IAuthorizedRequest), so it cannot be signed");
    }

    private static void Require<TRequest, TResponse>(RpcMethod<TRequest, TResponse> method, RpcMethodType type)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Type != type)
        {
            throw new ArgumentException($"{method} is not a {type} method", nameof(method));
        }
    }
}
