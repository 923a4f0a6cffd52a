using System.Text.Json;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Rpc;

namespace Mesh.Node.Tests.Chain.Rpc;

/// <summary>The WebSocket JSON-RPC client against a fake server that answers, errs, stalls, disconnects and sends garbage.</summary>
public sealed class WebSocketChainRpcTests
{
    /// <summary>
    /// Quick reconnects (short back-off delays, few attempts). The deadlines stay generous: they bound requests and
    /// connects that the fake server does answer, which on a loaded 2-core machine can take well over the half second
    /// these tests once allowed (a late answer then became a ChainTimeoutException). Tests of the timeout itself set
    /// a short one on a client whose only slow requests are the stalled ones.
    /// </summary>
    private static readonly ChainRpcOptions s_fast = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(20),
        ConnectTimeout = TimeSpan.FromSeconds(20),
        ReconnectAttempts = 3,
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>For a client that must time out a stalled request and also get answers: long enough for the answers.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(5);

    private static CancellationToken Timeout30s()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts.Token;
    }

    private static FakeReply Echo(string method, JsonElement p) =>
        new FakeReply.Result(JsonSerializer.Serialize(method, FakeJson.Default.String));

    [Fact]
    public async Task Requests_and_batches_round_trip()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, p, _) => m == "bad"
            ? new FakeReply.Error(-32601, "Method not found")
            : new FakeReply.Result(p.GetRawText()));
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast);
        JsonElement r = await rpc.RequestAsync("echo", RpcParams.Of("0xab", 7, true, new byte[] { 1, 2 }, null, new RpcObject().Add("count", 3)), ct);
        Assert.Equal("[\"0xab\",7,true,\"0x0102\",null,{\"count\":3}]", r.GetRawText());
        RpcResult[] batch = await rpc.BatchAsync([new("a", RpcParams.Of(1)), new("bad", RpcParams.None), new("c", RpcParams.Of("x"))], ct);
        Assert.Equal("[1]", batch[0].Result.GetRawText());
        Assert.True(batch[1].IsError);
        Assert.Equal(-32601, batch[1].Error!.Code);
        Assert.Equal("[\"x\"]", batch[2].GetResultOrThrow().GetRawText());
    }

    [Fact]
    public async Task Error_objects_become_ChainRpcException_with_code_and_message()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((_, _, _) => new FakeReply.Error(1010, "Invalid Transaction"));
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast);
        ChainRpcException ex = await Assert.ThrowsAsync<ChainRpcException>(() => rpc.RequestAsync("author_submitExtrinsic", RpcParams.Of("0x00"), ct).AsTask());
        Assert.Equal(ChainRpcException.InvalidTransaction, ex.Code);
        Assert.Equal("Invalid Transaction", ex.RpcMessage);
        Assert.Equal("author_submitExtrinsic", ex.Method);
    }

    [Fact]
    public async Task A_stalled_request_times_out_and_the_connection_stays_usable()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, p, _) => m == "slow" ? new FakeReply.Stall() : Echo(m, p));
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast with { RequestTimeout = StallTimeout });
        ChainTimeoutException ex = await Assert.ThrowsAsync<ChainTimeoutException>(() => rpc.RequestAsync("slow", RpcParams.None, ct).AsTask());
        Assert.Equal("slow", ex.Operation);
        Assert.Equal("\"fast\"", (await rpc.RequestAsync("fast", RpcParams.None, ct)).GetRawText());
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_a_timeout()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((_, _, _) => new FakeReply.Stall());
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast with { RequestTimeout = TimeSpan.FromSeconds(20) });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rpc.RequestAsync("slow", RpcParams.None, cts.Token).AsTask());
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("42")]
    [InlineData("[1,2]")]
    [InlineData("{\"jsonrpc\":\"2.0\"}")]
    public async Task Garbage_drops_the_connection_with_a_typed_error_and_the_next_request_reconnects(string garbage)
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, p, conn) => conn == 0 ? new FakeReply.Raw(garbage) : Echo(m, p));
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast);
        ChainConnectionException ex = await Assert.ThrowsAsync<ChainConnectionException>(() => rpc.RequestAsync("x", RpcParams.None, ct).AsTask());
        Assert.IsType<ChainDecodeException>(ex.InnerException);
        Assert.Equal("\"y\"", (await rpc.RequestAsync("y", RpcParams.None, ct)).GetRawText());
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_response_without_result_or_error_fails_only_that_request()
    {
        CancellationToken ct = Timeout30s();
        int calls = 0;
        await using var server = new FakeJsonRpcServer((m, p, _) => Interlocked.Increment(ref calls) == 1
            ? new FakeReply.Raw("{\"jsonrpc\":\"2.0\",\"id\":1}")
            : Echo(m, p));
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast);
        await Assert.ThrowsAsync<ChainDecodeException>(() => rpc.RequestAsync("x", RpcParams.None, ct).AsTask());
        Assert.Equal("\"y\"", (await rpc.RequestAsync("y", RpcParams.None, ct)).GetRawText());
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_disconnect_is_a_connection_error_and_reads_retry_on_a_new_connection()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, p, conn) => conn == 0 ? new FakeReply.Disconnect() : Echo(m, p));
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast);
        var retry = new ChainRetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(10) };
        int attempts = 0;
        JsonElement r = await retry.ExecuteAsync(c =>
        {
            attempts++;
            return rpc.RequestAsync("state_getStorage", RpcParams.None, c);
        }, ct);
        Assert.Equal("\"state_getStorage\"", r.GetRawText());
        Assert.Equal(2, attempts);
        Assert.Equal(2, rpc.ConnectionCount);
    }

    [Fact]
    public async Task Retry_is_bounded_and_does_not_retry_rpc_errors()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, _, _) => m == "err" ? new FakeReply.Error(-32000, "no") : new FakeReply.Stall());
        // A short deadline only on the client whose requests all stall: the "err" answers must not race a deadline.
        await using var stalling = new WebSocketChainRpc(server.WebSocketUri, s_fast with { RequestTimeout = TimeSpan.FromMilliseconds(100) });
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast);
        var retry = new ChainRetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(10) };
        int attempts = 0;
        await Assert.ThrowsAsync<ChainTimeoutException>(() => retry.ExecuteAsync(c => { attempts++; return stalling.RequestAsync("slow", RpcParams.None, c); }, ct).AsTask());
        Assert.Equal(3, attempts);
        attempts = 0;
        await Assert.ThrowsAsync<ChainRpcException>(() => retry.ExecuteAsync(c => { attempts++; return rpc.RequestAsync("err", RpcParams.None, c); }, ct).AsTask());
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task No_server_gives_a_connection_error_after_bounded_attempts()
    {
        CancellationToken ct = Timeout30s();
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var rpc = new WebSocketChainRpc(new Uri($"ws://127.0.0.1:{port}"), s_fast);
        ChainConnectionException ex = await Assert.ThrowsAsync<ChainConnectionException>(() => rpc.RequestAsync("x", RpcParams.None, ct).AsTask());
        Assert.Contains("3 attempt", ex.Message);
    }

    [Fact]
    public async Task Oversized_messages_are_refused()
    {
        CancellationToken ct = Timeout30s();
        string big = "\"" + new string('a', 100_000) + "\"";
        await using var server = new FakeJsonRpcServer((_, _, _) => new FakeReply.Result(big));
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast with { MaxMessageBytes = 10_000 });
        ChainConnectionException ex = await Assert.ThrowsAsync<ChainConnectionException>(() => rpc.RequestAsync("x", RpcParams.None, ct).AsTask());
        Assert.IsType<ChainDecodeException>(ex.InnerException);
    }

    [Fact]
    public async Task Subscriptions_deliver_in_order_and_are_renewed_after_a_reconnect()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, _, conn) => m switch
        {
            "chain_subscribeNewHeads" => new FakeReply.Result($"\"sub{conn}\""),
            "chain_unsubscribeNewHeads" => new FakeReply.Result("true"),
            _ => new FakeReply.Result("null"),
        });
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast);
        RpcSubscription sub = await rpc.SubscribeAsync("chain_subscribeNewHeads", RpcParams.None, "chain_unsubscribeNewHeads", true, ct);
        Assert.Equal("sub0", sub.ServerId);
        await server.NotifyAsync("chain_newHead", "sub0", "{\"number\":\"0x1\"}");
        await server.NotifyAsync("chain_newHead", "other", "{\"number\":\"0x99\"}"); // not ours: ignored
        await server.NotifyAsync("chain_newHead", "sub0", "{\"number\":\"0x2\"}");
        Assert.Equal("0x1", (await sub.NextAsync(TimeSpan.FromSeconds(5), ct)).GetProperty("number").GetString());
        Assert.Equal("0x2", (await sub.NextAsync(TimeSpan.FromSeconds(5), ct)).GetProperty("number").GetString());

        server.DropAll();
        for (int i = 0; i < 200 && sub.ServerId != "sub1"; i++)
        {
            await Task.Delay(25, ct);
        }
        Assert.Equal("sub1", sub.ServerId);
        await server.NotifyAsync("chain_newHead", "sub1", "{\"number\":\"0x3\"}");
        Assert.Equal("0x3", (await sub.NextAsync(TimeSpan.FromSeconds(5), ct)).GetProperty("number").GetString());
        await sub.DisposeAsync();
        Assert.True(sub.IsCompleted);
        for (int i = 0; i < 100 && !server.Methods.Contains("chain_unsubscribeNewHeads"); i++)
        {
            await Task.Delay(20, ct);
        }
        Assert.Contains("chain_unsubscribeNewHeads", server.Methods);
    }

    [Fact]
    public async Task An_extrinsic_watch_is_ended_not_renewed_when_the_connection_drops()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, _, conn) => m == "author_submitAndWatchExtrinsic"
            ? new FakeReply.Result($"\"w{conn}\"")
            : new FakeReply.Result("null"));
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast);
        RpcSubscription watch = await rpc.SubscribeAsync("author_submitAndWatchExtrinsic", RpcParams.Of("0x00"), "author_unwatchExtrinsic", false, ct);
        await server.NotifyAsync("author_extrinsicUpdate", "w0", "\"ready\"");
        Assert.Equal("ready", (await watch.NextAsync(TimeSpan.FromSeconds(5), ct)).GetString());
        server.DropAll();
        await Assert.ThrowsAsync<ChainConnectionException>(() => watch.NextAsync(TimeSpan.FromSeconds(5), ct).AsTask());
        Assert.Single(server.Methods, "author_submitAndWatchExtrinsic");
    }

    [Fact]
    public async Task A_subscriber_that_falls_behind_is_ended_instead_of_buffering_forever()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, _, _) => m == "sub" ? new FakeReply.Result("\"s\"") : new FakeReply.Result("true"));
        await using var rpc = new WebSocketChainRpc(server.WebSocketUri, s_fast with { SubscriptionCapacity = 4 });
        RpcSubscription sub = await rpc.SubscribeAsync("sub", RpcParams.None, "unsub", true, ct);
        for (int i = 0; i < 10; i++)
        {
            await server.NotifyAsync("n", "s", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        for (int i = 0; i < 500 && !sub.IsCompleted; i++)
        {
            await Task.Delay(10, ct);
        }
        Assert.True(sub.IsCompleted);
        var seen = new List<int>();
        ChainException ex = await Assert.ThrowsAsync<ChainException>(async () =>
        {
            while (true)
            {
                seen.Add((await sub.NextAsync(TimeSpan.FromSeconds(5), ct)).GetInt32());
            }
        });
        Assert.Contains("fell more than 4", ex.Message);
        Assert.Equal([0, 1, 2, 3], seen);
    }
}
