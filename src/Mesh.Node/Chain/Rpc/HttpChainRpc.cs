using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Mesh.Node.Chain.Rpc;

/// <summary>
/// JSON-RPC 2.0 over HTTP POST (one request or one batch per POST). No subscriptions: HTTP has no server push.
/// The response body is read with the <see cref="ChainRpcOptions.MaxMessageBytes"/> limit enforced as it streams in
/// (and up front from Content-Length when the server sends one). A 5xx, 408 or 429 status without a JSON-RPC body,
/// or a failed connection, is a <see cref="ChainConnectionException"/> (transient).
/// </summary>
public sealed class HttpChainRpc : IChainRpc
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    private readonly HttpClient _http;
    private readonly bool _ownsClient;
    private readonly ChainRpcOptions _options;
    private long _nextId;

    public HttpChainRpc(Uri endpoint, ChainRpcOptions? options = null, HttpClient? httpClient = null)
    {
        if (endpoint.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"an HTTP endpoint is http:// or https://, got {endpoint}", nameof(endpoint));
        }
        Endpoint = endpoint;
        _options = options ?? new ChainRpcOptions();
        _ownsClient = httpClient is null;
        _http = httpClient ?? new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // per-request budgets below
        };
    }

    public Uri Endpoint { get; }

    public bool SupportsSubscriptions => false;

    public async ValueTask<JsonElement> RequestAsync(string method, RpcParams parameters, CancellationToken cancellationToken = default)
    {
        long id = Interlocked.Increment(ref _nextId);
        using JsonDocument doc = await PostAsync(method, JsonRpcMessages.Request(id, method, parameters), cancellationToken).ConfigureAwait(false);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ChainDecodeException($"{method}: the HTTP body is not a JSON-RPC response object");
        }
        return JsonRpcMessages.ToResult(method, doc.RootElement).GetResultOrThrow();
    }

    public async ValueTask<RpcResult[]> BatchAsync(IReadOnlyList<RpcRequest> requests, CancellationToken cancellationToken = default)
    {
        if (requests.Count == 0)
        {
            return [];
        }
        long first = Interlocked.Add(ref _nextId, requests.Count) - requests.Count + 1;
        string what = $"batch of {requests.Count} ({requests[0].Method}, …)";
        using JsonDocument doc = await PostAsync(what, JsonRpcMessages.Batch(first, requests), cancellationToken).ConfigureAwait(false);
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            // JSON-RPC 2.0 §6: a batch that fails as a whole is answered by a single error object.
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                JsonRpcMessages.ToResult(what, doc.RootElement).GetResultOrThrow();
            }
            throw new ChainDecodeException($"{what}: the answer is not a JSON array");
        }
        var results = new RpcResult?[requests.Count];
        foreach (JsonElement item in doc.RootElement.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && JsonRpcMessages.IdOf(item) is long id && id >= first && id < first + requests.Count)
            {
                int i = (int)(id - first);
                results[i] = JsonRpcMessages.ToResult(requests[i].Method, item);
            }
        }
        var final = new RpcResult[requests.Count];
        for (int i = 0; i < final.Length; i++)
        {
            final[i] = results[i] ?? throw new ChainDecodeException($"{what}: no answer for request {i} ({requests[i].Method})");
        }
        return final;
    }

    public ValueTask<RpcSubscription> SubscribeAsync(string subscribeMethod, RpcParams parameters, string unsubscribeMethod,
        bool resubscribable = true, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{subscribeMethod}: subscriptions need a WebSocket endpoint (ws:// or wss://)");

    private async Task<JsonDocument> PostAsync(string what, byte[] body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = s_json;
            using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint) { Content = content };
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            long? length = response.Content.Headers.ContentLength;
            if (length > _options.MaxMessageBytes)
            {
                throw new ChainDecodeException($"{what}: answer of {length} bytes exceeds {_options.MaxMessageBytes}");
            }
            byte[] bytes = await ReadLimitedAsync(response.Content, timeout.Token).ConfigureAwait(false);
            try
            {
                return JsonDocument.Parse(bytes);
            }
            catch (JsonException ex)
            {
                if (IsTransientStatus(response.StatusCode))
                {
                    throw new ChainConnectionException($"{what}: HTTP {(int)response.StatusCode} from {Endpoint}", ex);
                }
                throw new ChainDecodeException($"{what}: HTTP {(int)response.StatusCode} with a body that is not JSON: {ex.Message}", ex);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new ChainTimeoutException(what, _options.RequestTimeout);
        }
        catch (HttpRequestException ex)
        {
            throw new ChainConnectionException($"{what}: {Endpoint}: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new ChainConnectionException($"{what}: {Endpoint}: {ex.Message}", ex);
        }
    }

    private async Task<byte[]> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using Stream stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var ms = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + n > _options.MaxMessageBytes)
            {
                throw new ChainDecodeException($"answer from {Endpoint} exceeds {_options.MaxMessageBytes} bytes");
            }
            ms.Write(chunk, 0, n);
        }
        return ms.ToArray();
    }

    private static bool IsTransientStatus(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    public ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
