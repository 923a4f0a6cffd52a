using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc.Auth;

/// <summary>
/// Request/response authorization as mesh defines it (<c>AuthorizerBase</c>): the client signs its request, the
/// servicer validates it, the servicer signs its response, the client validates that. <see cref="Servicer.RpcServicer"/>
/// and <see cref="RpcStub"/> drive it the way mesh's <c>AuthRPCWrapper</c> does (servicer: validate request → handler →
/// sign response; client: sign request → call → validate response) for every unary-input call whose messages carry an
/// <c>auth</c> field.
/// </summary>
/// <remarks>
/// <para>Composition: wrap one authorizer in another (<see cref="RateLimitAuthorizer"/> wraps any
/// <see cref="IRpcAuthorizer"/>), or add checks on the verified signer with an <see cref="IRpcSignerPolicy"/> (proof of
/// stake) on <see cref="SignatureAuthorizerOptions.SignerPolicy"/>, which runs after every signature check and before the
/// request's nonce is remembered, exactly where mesh's <c>ProofOfStakeAuthorizer</c> runs.</para>
/// <para>Implementations are called concurrently from many calls and must be thread-safe. They return failures as
/// <see cref="RpcAuthResult"/>; they throw only for cancellation or bugs.</para>
/// </remarks>
public interface IRpcAuthorizer
{
    /// <summary>
    /// Client: fills <c>request.auth</c> (token, optional service key, time, nonce, signature). <paramref name="servicePublicKey"/>
    /// is the key the request is meant for (mesh's stub <c>service_public_key</c>), or null.
    /// </summary>
    ValueTask SignRequestAsync(IAuthorizedRequest request, PublicKey? servicePublicKey, RpcContext context);

    /// <summary>Servicer: checks <c>request.auth</c>; on success <see cref="RpcAuthResult.Signer"/> is the client's key.</summary>
    ValueTask<RpcAuthResult> ValidateRequestAsync(IAuthorizedRequest request, RpcContext context);

    /// <summary>Servicer: fills <c>response.auth</c> (token, the request's nonce, signature).</summary>
    ValueTask SignResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context);

    /// <summary>Client: checks <c>response.auth</c> against the request it answers; on success <see cref="RpcAuthResult.Signer"/> is the service's key.</summary>
    ValueTask<RpcAuthResult> ValidateResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context);
}

/// <summary>The outcome of a validation: success with the verified signer, or the reason for the rejection.</summary>
public readonly struct RpcAuthResult
{
    private RpcAuthResult(RpcAuthFailure failure, PublicKey? signer, string? detail)
    {
        Failure = failure;
        Signer = signer;
        Detail = detail;
    }

    /// <summary><see cref="RpcAuthFailure.None"/> on success.</summary>
    public RpcAuthFailure Failure { get; }

    public bool IsSuccess => Failure == RpcAuthFailure.None;

    /// <summary>The key that signed the message (set on success; on failure when it was known).</summary>
    public PublicKey? Signer { get; }

    /// <summary>Extra words for the log (never sent to the peer).</summary>
    public string? Detail { get; }

    public static RpcAuthResult Success(PublicKey signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return new RpcAuthResult(RpcAuthFailure.None, signer, null);
    }

    public static RpcAuthResult Fail(RpcAuthFailure failure, string? detail = null, PublicKey? signer = null)
    {
        if (failure == RpcAuthFailure.None)
        {
            throw new ArgumentException("a failure needs a reason", nameof(failure));
        }
        return new RpcAuthResult(failure, signer, detail);
    }

    public override string ToString() => IsSuccess ? $"accepted ({Signer})" : Detail is null ? Failure.ToString() : $"{Failure}: {Detail}";
}

/// <summary>Which side signed the message a policy is asked about.</summary>
public enum RpcSignerRole
{
    /// <summary>The client that signed a request (checked by the servicer).</summary>
    Client,

    /// <summary>The service that signed a response (checked by the client).</summary>
    Service,
}

/// <summary>A verified signer, as an <see cref="IRpcSignerPolicy"/> sees it.</summary>
public readonly record struct RpcSigner(PublicKey PublicKey, RpcSignerRole Role)
{
    /// <summary>The signer key's peer id (what proof of stake looks up on chain).</summary>
    public PeerId PeerId => PublicKey.PeerId;
}

/// <summary>
/// A decision about a signer whose signature has already been verified: the hook for proof of stake (mesh
/// <c>ProofOfStakeAuthorizer</c>: servicer side on the request's client key, client side on the response's service key).
/// </summary>
public interface IRpcSignerPolicy
{
    /// <summary>True to accept. Exceptions count as a rejection (mesh logs and returns False).</summary>
    ValueTask<bool> IsAllowedAsync(RpcSigner signer, RpcContext context);
}
