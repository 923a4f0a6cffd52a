using System.Text.Json;

namespace Mesh.Node.Chain.Rpc;

/// <summary>
/// A JSON-RPC 2.0 connection to a Substrate node. Every call has a timeout (<see cref="ChainTimeoutException"/>), honours
/// cancellation, and surfaces the node's error objects as <see cref="ChainRpcException"/>; a dropped connection is a
/// <see cref="ChainConnectionException"/>, and a frame that is not valid JSON-RPC a <see cref="ChainDecodeException"/>.
/// Calls are not retried here: <see cref="ChainRetryPolicy"/> decides which calls may be repeated.
/// </summary>
public interface IChainRpc : IAsyncDisposable
{
    /// <summary>The endpoint, for logs and errors.</summary>
    Uri Endpoint { get; }

    /// <summary>Whether <see cref="SubscribeAsync"/> is available (WebSocket yes, HTTP no).</summary>
    bool SupportsSubscriptions { get; }

    /// <summary>Sends one request and returns its <c>result</c>.</summary>
    ValueTask<JsonElement> RequestAsync(string method, RpcParams parameters, CancellationToken cancellationToken = default);

    /// <summary>Sends a batch (JSON-RPC 2.0 §6) and returns one answer per request, in request order.</summary>
    ValueTask<RpcResult[]> BatchAsync(IReadOnlyList<RpcRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>Starts a subscription (<c>chain_subscribeNewHeads</c>, <c>state_subscribeStorage</c>,
    /// <c>author_submitAndWatchExtrinsic</c>, …). Pass <c>resubscribable: false</c> for an extrinsic watch, so that a
    /// reconnect ends it instead of renewing it (renewing would submit the extrinsic again).</summary>
    ValueTask<RpcSubscription> SubscribeAsync(string subscribeMethod, RpcParams parameters, string unsubscribeMethod,
        bool resubscribable = true, CancellationToken cancellationToken = default);
}

/// <summary>Connection settings shared by the WebSocket and HTTP clients.</summary>
public sealed record ChainRpcOptions
{
    /// <summary>Per-request time budget (default 30 s).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time budget of one connection attempt (default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connection attempts per outage before a request fails with <see cref="ChainConnectionException"/>.</summary>
    public int ReconnectAttempts { get; init; } = 5;

    /// <summary>First reconnect delay; doubles per attempt up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectInitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest message accepted from the node (metadata is ~0.4 MB of hex; default 32 MiB). Checked while
    /// frames arrive, before the message is buffered further.</summary>
    public int MaxMessageBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Notifications queued per subscription before a slow consumer's subscription is ended.</summary>
    public int SubscriptionCapacity { get; init; } = 1024;
}
