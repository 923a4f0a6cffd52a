using System.Text.Json;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Rpc;

namespace Mesh.Node.Tests.Chain.Rpc;

public sealed class HttpChainRpcTests
{
    /// <summary>
    /// A generous deadline for requests the fake server answers (on a loaded 2-core machine a half-second one turned late
    /// answers into ChainTimeoutException); the stall test sets a short one on a client used only for the stall.
    /// </summary>
    private static readonly ChainRpcOptions s_answered = new() { RequestTimeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Timeout30s()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts.Token;
    }

    [Fact]
    public async Task Request_batch_and_error()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, p, _) => m == "bad" ? new FakeReply.Error(-32602, "Invalid params") : new FakeReply.Result(p.GetRawText()));
        await using var rpc = new HttpChainRpc(server.HttpUri, s_answered);
        Assert.Equal("[1,\"a\"]", (await rpc.RequestAsync("x", RpcParams.Of(1, "a"), ct)).GetRawText());
        RpcResult[] batch = await rpc.BatchAsync([new("x", RpcParams.Of(2)), new("bad", RpcParams.None)], ct);
        Assert.Equal("[2]", batch[0].Result.GetRawText());
        Assert.Equal(-32602, batch[1].Error!.Code);
        ChainRpcException ex = await Assert.ThrowsAsync<ChainRpcException>(() => rpc.RequestAsync("bad", RpcParams.None, ct).AsTask());
        Assert.Equal("Invalid params", ex.RpcMessage);
        await Assert.ThrowsAsync<NotSupportedException>(() => rpc.SubscribeAsync("chain_subscribeNewHeads", RpcParams.None, "x", true, ct).AsTask());
    }

    [Theory]
    [InlineData("garbage", typeof(ChainDecodeException))]
    [InlineData("[]", typeof(ChainDecodeException))]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":1}", typeof(ChainDecodeException))]
    public async Task Malformed_bodies_are_decode_errors(string body, Type expected)
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((_, _, _) => new FakeReply.Raw(body));
        await using var rpc = new HttpChainRpc(server.HttpUri, s_answered);
        Exception ex = await Assert.ThrowsAnyAsync<ChainException>(() => rpc.RequestAsync("x", RpcParams.None, ct).AsTask());
        Assert.IsType(expected, ex);
    }

    [Fact]
    public async Task Server_errors_disconnects_and_stalls_are_transient_typed_errors()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, _, _) => m switch
        {
            "503" => new FakeReply.Status(503, "busy"),
            "drop" => new FakeReply.Disconnect(),
            _ => new FakeReply.Stall(),
        });
        await using var rpc = new HttpChainRpc(server.HttpUri, s_answered);
        await using var stalling = new HttpChainRpc(server.HttpUri, s_answered with { RequestTimeout = TimeSpan.FromMilliseconds(500) });
        await Assert.ThrowsAsync<ChainConnectionException>(() => rpc.RequestAsync("503", RpcParams.None, ct).AsTask());
        await Assert.ThrowsAsync<ChainConnectionException>(() => rpc.RequestAsync("drop", RpcParams.None, ct).AsTask());
        await Assert.ThrowsAsync<ChainTimeoutException>(() => stalling.RequestAsync("stall", RpcParams.None, ct).AsTask());
    }

    [Fact]
    public async Task Oversized_bodies_are_refused()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((_, _, _) => new FakeReply.Result("\"" + new string('b', 50_000) + "\""));
        await using var rpc = new HttpChainRpc(server.HttpUri, s_answered with { MaxMessageBytes = 1000 });
        await Assert.ThrowsAsync<ChainDecodeException>(() => rpc.RequestAsync("x", RpcParams.None, ct).AsTask());
    }
}
