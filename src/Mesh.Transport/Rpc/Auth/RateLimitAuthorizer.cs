using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc.Auth;

/// <summary>
/// Rate limiting in front of another authorizer (mesh <c>RateLimitAuthorizer</c>, CR limiter.py / MT rate_limit.py):
/// incoming requests are charged to the client (its access-token key, or the connection's peer) before the inner
/// authorizer validates them; signing and response validation pass straight through. Token buckets per client
/// (defaults 10/s with bursts of 20, 100/min, 1000/h) and a 300 s block for a client that exhausts its per-minute or
/// per-hour budget; see <see cref="RateLimitOptions"/>. Time is the injected <see cref="TimeProvider"/>'s monotonic
/// timestamp.
/// </summary>
/// <remarks>Thread-safe. Memory is bounded by <see cref="RateLimitOptions.MaxTrackedClients"/>.</remarks>
public sealed class RateLimitAuthorizer : IRpcAuthorizer
{
    private readonly IRpcAuthorizer _inner;
    private readonly TokenBucketLimiter<PeerId> _limiter;

    public RateLimitAuthorizer(IRpcAuthorizer inner, RateLimitOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        Options = options ?? new RateLimitOptions();
        _limiter = new TokenBucketLimiter<PeerId>(Options, timeProvider ?? TimeProvider.System);
    }

    public RateLimitOptions Options { get; }

    /// <summary>The authorizer requests go to once admitted.</summary>
    public IRpcAuthorizer Inner => _inner;

    /// <summary>Clients currently tracked.</summary>
    public int TrackedClients => _limiter.TrackedClients;

    public ValueTask SignRequestAsync(IAuthorizedRequest request, PublicKey? servicePublicKey, RpcContext context) =>
        _inner.SignRequestAsync(request, servicePublicKey, context);

    public ValueTask<RpcAuthResult> ValidateRequestAsync(IAuthorizedRequest request, RpcContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        PeerId client;
        if (Options.Partition == RateLimitPartition.RemotePeer)
        {
            client = context.RemotePeer;
        }
        else if (request.Auth?.ClientAccessToken is { } token && SignerKeyCache.TryGet(token.PublicKey, out PublicKey? key))
        {
            // The canonical key, not its text: an OpenSSH comment must not buy a fresh budget.
            client = key.PeerId;
        }
        else
        {
            return ValueTask.FromResult(RpcAuthResult.Fail(request.Auth?.ClientAccessToken is null ? RpcAuthFailure.MissingAuth : RpcAuthFailure.MalformedSignerKey));
        }
        return _limiter.TryAcquire(client) switch
        {
            RateDecision.Allowed => _inner.ValidateRequestAsync(request, context),
            RateDecision.Blocked => ValueTask.FromResult(RpcAuthResult.Fail(RpcAuthFailure.Blocked, $"client {client} is blocked")),
            _ => ValueTask.FromResult(RpcAuthResult.Fail(RpcAuthFailure.RateLimited, $"client {client} is over its rate limit")),
        };
    }

    public ValueTask SignResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context) =>
        _inner.SignResponseAsync(response, request, context);

    public ValueTask<RpcAuthResult> ValidateResponseAsync(IAuthorizedResponse response, IAuthorizedRequest request, RpcContext context) =>
        _inner.ValidateResponseAsync(response, request, context);
}
