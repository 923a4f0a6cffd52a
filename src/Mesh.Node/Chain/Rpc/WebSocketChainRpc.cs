using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Node.Chain.Rpc;

/// <summary>
/// JSON-RPC 2.0 over one WebSocket (<see cref="ClientWebSocket"/>), the transport Substrate nodes and chopsticks serve
/// subscriptions on.
/// <para>
/// Ownership: one receive loop per connection parses every frame and is the only code that completes pending
/// requests and feeds subscriptions; it registers a subscription's server id before it reads the next frame, so no
/// notification can overtake its own subscription. Requests from any thread register in <c>_pending</c> under
/// <c>_gate</c> (a short lock around dictionary updates only; never held across an await). Sends are serialised
/// by the connection's send lock because a WebSocket allows one outstanding send.
/// </para>
/// <para>
/// Failure model: a dropped connection or a malformed frame ends the connection; its pending requests fail with
/// <see cref="ChainConnectionException"/> (transient: reads retry through <see cref="ChainRetryPolicy"/>). The next
/// request reconnects with exponential backoff, and resubscribable subscriptions are renewed on the new connection;
/// an extrinsic watch is ended instead (renewing it would resubmit).
/// </para>
/// </summary>
public sealed partial class WebSocketChainRpc : IChainRpc
{
    private readonly ChainRpcOptions _options;
    private readonly ILogger _logger;
    private readonly Func<ClientWebSocket> _socketFactory;
    private readonly object _gate = new();
    private readonly Dictionary<long, Pending> _pending = [];
    private readonly List<RpcSubscription> _subscriptions = [];
    private readonly Dictionary<string, RpcSubscription> _byServerId = [];
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private Connection? _connection;
    private Task _reconnect = Task.CompletedTask;
    private long _nextId;

    public WebSocketChainRpc(Uri endpoint, ChainRpcOptions? options = null, ILogger? logger = null,
        Func<ClientWebSocket>? socketFactory = null)
    {
        if (endpoint.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"a WebSocket endpoint is ws:// or wss://, got {endpoint}", nameof(endpoint));
        }
        Endpoint = endpoint;
        _options = options ?? new ChainRpcOptions();
        _logger = logger ?? NullLogger.Instance;
        _socketFactory = socketFactory ?? (() => new ClientWebSocket());
    }

    public Uri Endpoint { get; }

    public bool SupportsSubscriptions => true;

    /// <summary>Number of successful connections so far (the first one and every reconnect).</summary>
    public int ConnectionCount { get; private set; }

    private sealed class Connection(ClientWebSocket socket)
    {
        public ClientWebSocket Socket { get; } = socket;

        public SemaphoreSlim SendLock { get; } = new(1, 1);

        public CancellationTokenSource Stop { get; } = new();

        public Task ReceiveLoop { get; set; } = Task.CompletedTask;

        public volatile bool Dead;
    }

    private sealed class Pending(string method, Connection connection)
    {
        public string Method { get; } = method;

        public Connection Connection { get; } = connection;

        public TaskCompletionSource<RpcResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public RpcSubscription? Subscription { get; init; }
    }

    // ------------------------------------------------------------------ requests

    public async ValueTask<JsonElement> RequestAsync(string method, RpcParams parameters, CancellationToken cancellationToken = default)
    {
        RpcResult result = await SendAndWaitAsync(method, parameters, null, cancellationToken).ConfigureAwait(false);
        return result.GetResultOrThrow();
    }

    public async ValueTask<RpcResult[]> BatchAsync(IReadOnlyList<RpcRequest> requests, CancellationToken cancellationToken = default)
    {
        if (requests.Count == 0)
        {
            return [];
        }
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Connection c = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        long first = Interlocked.Add(ref _nextId, requests.Count) - requests.Count + 1;
        var pendings = new Pending[requests.Count];
        lock (_gate)
        {
            for (int i = 0; i < requests.Count; i++)
            {
                pendings[i] = new Pending(requests[i].Method, c);
                _pending[first + i] = pendings[i];
            }
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            await SendAsync(c, JsonRpcMessages.Batch(first, requests), timeout.Token).ConfigureAwait(false);
            var results = new RpcResult[requests.Count];
            for (int i = 0; i < pendings.Length; i++)
            {
                results[i] = await pendings[i].Completion.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            return results;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new ChainTimeoutException($"batch of {requests.Count} ({requests[0].Method}, …)", _options.RequestTimeout);
        }
        finally
        {
            lock (_gate)
            {
                for (int i = 0; i < requests.Count; i++)
                {
                    _pending.Remove(first + i);
                }
            }
        }
    }

    private async ValueTask<RpcResult> SendAndWaitAsync(string method, RpcParams parameters, RpcSubscription? subscription,
        CancellationToken cancellationToken, Connection? onConnection = null)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Connection c = onConnection ?? await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        long id = Interlocked.Increment(ref _nextId);
        var pending = new Pending(method, c) { Subscription = subscription };
        lock (_gate)
        {
            if (c.Dead)
            {
                throw new ChainConnectionException($"{method}: connection to {Endpoint} lost");
            }
            _pending[id] = pending;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            await SendAsync(c, JsonRpcMessages.Request(id, method, parameters), timeout.Token).ConfigureAwait(false);
            return await pending.Completion.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            Log.RequestTimedOut(_logger, method, Endpoint);
            throw new ChainTimeoutException(method, _options.RequestTimeout);
        }
        finally
        {
            lock (_gate)
            {
                _pending.Remove(id);
            }
        }
    }

    private async ValueTask SendAsync(Connection c, byte[] json, CancellationToken cancellationToken)
    {
        await c.SendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await c.Socket.SendAsync(json, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            Abort(c);
            throw new ChainConnectionException($"send to {Endpoint} failed: {ex.Message}", ex);
        }
        finally
        {
            c.SendLock.Release();
        }
    }

    // ------------------------------------------------------------------ subscriptions

    public async ValueTask<RpcSubscription> SubscribeAsync(string subscribeMethod, RpcParams parameters, string unsubscribeMethod,
        bool resubscribable = true, CancellationToken cancellationToken = default)
    {
        var subscription = new RpcSubscription(subscribeMethod, parameters, unsubscribeMethod, resubscribable,
            _options.SubscriptionCapacity, UnsubscribeAsync);
        lock (_gate)
        {
            _subscriptions.Add(subscription);
        }
        try
        {
            await SubscribeOnAsync(subscription, null, cancellationToken).ConfigureAwait(false);
            return subscription;
        }
        catch
        {
            lock (_gate)
            {
                _subscriptions.Remove(subscription);
            }
            subscription.Complete(null);
            throw;
        }
    }

    private async ValueTask SubscribeOnAsync(RpcSubscription subscription, Connection? connection, CancellationToken cancellationToken)
    {
        RpcResult result = await SendAndWaitAsync(subscription.SubscribeMethod, subscription.Params, subscription,
            cancellationToken, connection).ConfigureAwait(false);
        result.GetResultOrThrow();
        if (subscription.ServerId is null)
        {
            throw new ChainDecodeException($"{subscription.SubscribeMethod}: the subscription id is not a string or number");
        }
    }

    private async ValueTask UnsubscribeAsync(RpcSubscription subscription)
    {
        Connection? c;
        string? serverId;
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
            serverId = subscription.ServerId;
            if (serverId is not null)
            {
                _byServerId.Remove(serverId);
            }
            c = _connection;
        }
        if (serverId is null || c is null || c.Dead || _disposed.IsCancellationRequested)
        {
            return;
        }
        try
        {
            await SendAndWaitAsync(subscription.UnsubscribeMethod, RpcParams.Of(serverId), null, CancellationToken.None, c).ConfigureAwait(false);
        }
        catch (ChainException ex)
        {
            Log.UnsubscribeFailed(_logger, subscription.UnsubscribeMethod, ex.Message);
        }
    }

    // ------------------------------------------------------------------ connection lifecycle

    private async ValueTask<Connection> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        Connection? c = _connection;
        if (c is not null && !c.Dead)
        {
            return c;
        }
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            c = _connection;
            if (c is not null && !c.Dead)
            {
                return c;
            }
            TimeSpan delay = _options.ReconnectInitialDelay;
            for (int attempt = 1; ; attempt++)
            {
                ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
                try
                {
                    c = await ConnectOnceAsync(cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or HttpRequestException
                    && !cancellationToken.IsCancellationRequested)
                {
                    Log.ConnectFailed(_logger, Endpoint, attempt, ex.Message);
                    if (attempt >= _options.ReconnectAttempts)
                    {
                        throw new ChainConnectionException($"cannot connect to {Endpoint} after {attempt} attempt(s): {ex.Message}", ex);
                    }
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
                }
            }
            lock (_gate)
            {
                _connection = c;
            }
            ConnectionCount++;
            c.ReceiveLoop = ReceiveLoopAsync(c);
            Log.Connected(_logger, Endpoint, ConnectionCount);
            await ResubscribeAsync(c, cancellationToken).ConfigureAwait(false);
            return c;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task<Connection> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        ClientWebSocket socket = _socketFactory();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(Endpoint, timeout.Token).ConfigureAwait(false);
            return new Connection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Renews, on a fresh connection, every subscription that survived the previous one.</summary>
    private async ValueTask ResubscribeAsync(Connection c, CancellationToken cancellationToken)
    {
        RpcSubscription[] toRenew;
        lock (_gate)
        {
            toRenew = _subscriptions.Where(s => s.ServerId is null && !s.IsCompleted && s.Resubscribable).ToArray();
        }
        foreach (RpcSubscription s in toRenew)
        {
            try
            {
                await SubscribeOnAsync(s, c, cancellationToken).ConfigureAwait(false);
            }
            catch (ChainException ex)
            {
                lock (_gate)
                {
                    _subscriptions.Remove(s);
                }
                s.Complete(ex);
            }
        }
    }

    private async Task ReceiveLoopAsync(Connection c)
    {
        await Task.Yield();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        int count = 0;
        Exception? error = null;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxMessageBytes + 1));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                ValueWebSocketReceiveResult r = await c.Socket.ReceiveAsync(buffer.AsMemory(count), c.Stop.Token).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    error = new ChainConnectionException($"{Endpoint} closed the connection ({c.Socket.CloseStatus} {c.Socket.CloseStatusDescription})");
                    break;
                }
                count += r.Count;
                if (count > _options.MaxMessageBytes)
                {
                    error = new ChainDecodeException($"message from {Endpoint} exceeds {_options.MaxMessageBytes} bytes");
                    break;
                }
                if (!r.EndOfMessage)
                {
                    continue;
                }
                Dispatch(c, buffer.AsMemory(0, count));
                count = 0;
            }
        }
        catch (ChainDecodeException ex)
        {
            error = ex;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            error = ex;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            OnConnectionLost(c, error);
        }
    }

    private void Dispatch(Connection c, ReadOnlyMemory<byte> frame)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(frame);
        }
        catch (JsonException ex)
        {
            throw new ChainDecodeException($"malformed JSON-RPC frame from {Endpoint}: {ex.Message}", ex);
        }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement item in root.EnumerateArray())
                {
                    DispatchOne(item);
                }
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                DispatchOne(root);
            }
            else
            {
                throw new ChainDecodeException($"JSON-RPC frame from {Endpoint} is neither an object nor a batch array");
            }
        }
    }

    private void DispatchOne(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw new ChainDecodeException($"JSON-RPC batch from {Endpoint} holds a non-object");
        }
        if (JsonRpcMessages.IdOf(message) is long id)
        {
            Pending? p;
            lock (_gate)
            {
                _pending.TryGetValue(id, out p);
            }
            if (p is null)
            {
                Log.UnknownResponse(_logger, id);
                return;
            }
            RpcResult result;
            try
            {
                result = JsonRpcMessages.ToResult(p.Method, message);
            }
            catch (ChainDecodeException ex)
            {
                p.Completion.TrySetException(ex);
                return;
            }
            if (p.Subscription is RpcSubscription s && !result.IsError)
            {
                // Register before the next frame is read, so the first notification finds its subscription.
                string? serverId = JsonRpcMessages.SubscriptionId(result.Result);
                if (serverId is not null)
                {
                    lock (_gate)
                    {
                        s.ServerId = serverId;
                        if (!s.IsCompleted)
                        {
                            _byServerId[serverId] = s;
                        }
                    }
                }
            }
            p.Completion.TrySetResult(result);
            return;
        }
        if (JsonRpcMessages.TryGetNotification(message, out string subscription, out JsonElement payload))
        {
            RpcSubscription? s;
            lock (_gate)
            {
                _byServerId.TryGetValue(subscription, out s);
            }
            if (s is null)
            {
                return; // late notification of an ended subscription
            }
            s.Deliver(payload);
            if (s.IsCompleted)
            {
                lock (_gate)
                {
                    _byServerId.Remove(subscription);
                }
            }
            return;
        }
        if (message.TryGetProperty("error"u8, out _))
        {
            // An error with a null id (JSON-RPC 2.0 §5: the request could not be parsed): nothing to correlate.
            Log.UncorrelatedError(_logger, message.GetRawText());
            return;
        }
        throw new ChainDecodeException($"JSON-RPC message from {Endpoint} is neither a response nor a notification");
    }

    private void OnConnectionLost(Connection c, Exception? error)
    {
        List<Pending> failed = [];
        bool renew;
        RpcSubscription[] ended;
        lock (_gate)
        {
            c.Dead = true;
            if (_connection == c)
            {
                _connection = null;
            }
            foreach (Pending p in _pending.Values)
            {
                if (p.Connection == c)
                {
                    failed.Add(p);
                }
            }
            _byServerId.Clear();
            foreach (RpcSubscription s in _subscriptions)
            {
                s.ServerId = null;
            }
            ended = _subscriptions.Where(s => !s.Resubscribable).ToArray();
            _subscriptions.RemoveAll(s => !s.Resubscribable || s.IsCompleted);
            renew = _subscriptions.Count > 0 && !_disposed.IsCancellationRequested;
        }
        string reason = error?.Message ?? "closed";
        if (!_disposed.IsCancellationRequested)
        {
            Log.ConnectionLost(_logger, Endpoint, reason);
        }
        var lost = new ChainConnectionException($"connection to {Endpoint} lost: {reason}", error);
        foreach (Pending p in failed)
        {
            p.Completion.TrySetException(lost);
        }
        foreach (RpcSubscription s in ended)
        {
            s.Complete(new ChainConnectionException(
                $"{s.SubscribeMethod}: connection to {Endpoint} lost while watching; not resubmitted (check the extrinsic by hash)", error));
        }
        c.Socket.Abort();
        c.Socket.Dispose();
        if (renew)
        {
            // Supervised background reconnect: awaited by DisposeAsync, never throws.
            _reconnect = RenewSubscriptionsAsync();
        }
    }

    private async Task RenewSubscriptionsAsync()
    {
        try
        {
            await EnsureConnectedAsync(_disposed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChainException or OperationCanceledException or ObjectDisposedException)
        {
            RpcSubscription[] orphans;
            lock (_gate)
            {
                orphans = [.. _subscriptions];
                _subscriptions.Clear();
            }
            foreach (RpcSubscription s in orphans)
            {
                s.Complete(ex as ChainException ?? new ChainConnectionException($"{Endpoint}: client disposed", ex));
            }
        }
    }

    private static void Abort(Connection c)
    {
        c.Dead = true;
        c.Socket.Abort();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        _disposed.Cancel();
        Connection? c;
        lock (_gate)
        {
            c = _connection;
        }
        if (c is not null)
        {
            try
            {
                using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await c.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", closeTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
            c.Stop.Cancel();
            await c.ReceiveLoop.ConfigureAwait(false);
        }
        await _reconnect.ConfigureAwait(false);
        RpcSubscription[] subs;
        lock (_gate)
        {
            subs = [.. _subscriptions];
            _subscriptions.Clear();
        }
        foreach (RpcSubscription s in subs)
        {
            s.Complete(null);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Connected to {Endpoint} (connection #{Count})")]
        public static partial void Connected(ILogger logger, Uri endpoint, int count);

        [LoggerMessage(2, LogLevel.Warning, "Connecting to {Endpoint} failed (attempt {Attempt}): {Reason}")]
        public static partial void ConnectFailed(ILogger logger, Uri endpoint, int attempt, string reason);

        [LoggerMessage(3, LogLevel.Warning, "Connection to {Endpoint} lost: {Reason}")]
        public static partial void ConnectionLost(ILogger logger, Uri endpoint, string reason);

        [LoggerMessage(4, LogLevel.Debug, "Response for unknown request id {Id} (timed out or cancelled)")]
        public static partial void UnknownResponse(ILogger logger, long id);

        [LoggerMessage(5, LogLevel.Warning, "JSON-RPC error without a request id: {Message}")]
        public static partial void UncorrelatedError(ILogger logger, string message);

        [LoggerMessage(6, LogLevel.Debug, "{Method} failed: {Reason}")]
        public static partial void UnsubscribeFailed(ILogger logger, string method, string reason);

        [LoggerMessage(7, LogLevel.Debug, "{Method} to {Endpoint} timed out")]
        public static partial void RequestTimedOut(ILogger logger, string method, Uri endpoint);
    }
}
