using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Servicer;
using Mesh.Transport.Tests.Rpc.Messages;

namespace Mesh.Transport.Tests.Rpc.Servicer;

public sealed class RpcServicerTests
{
    private static ValueTask<EchoResponse> EchoAsync(EchoRequest request, RpcContext context) => ValueTask.FromResult(new EchoResponse { Text = request.Text });

    [Fact]
    public void Handler_names_are_class_dot_method_with_an_optional_namespace()
    {
        Assert.Equal("DHTProtocol.rpc_find", RpcHandlerName.Format(null, "DHTProtocol", "rpc_find"));
        Assert.Equal("subnet::DHTProtocol.rpc_find", RpcHandlerName.Format("subnet", "DHTProtocol", "rpc_find"));
        Assert.Equal("ns::MathProtocol.rpc_math", RpcHandlerName.Qualify("ns", "MathProtocol.rpc_math"));
    }

    [Fact]
    public async Task A_namespaced_servicer_serves_namespace_qualified_protocol_ids()
    {
        await using RpcPair pair = await RpcPair.CreateAsync(RpcTransportKind.Yamux, @namespace: "subnet-7");
        var method = RpcMethod.Unary("Echo.rpc_echo", EchoRequest.Parser, EchoResponse.Parser);
        pair.Servicer.AddUnary(method, EchoAsync);
        Assert.Equal(["subnet-7::Echo.rpc_echo"], pair.Servicer.Protocols);

        EchoResponse response = await pair.Client.CreateStub(pair.ServerPeer, "subnet-7").CallUnaryAsync(method, new EchoRequest { Text = "ns" }, TestTimeout.Token());
        Assert.Equal("ns", response.Text);
        await Assert.ThrowsAsync<RpcProtocolNotSupportedException>(async () =>
            await pair.Client.CreateStub(pair.ServerPeer).CallUnaryAsync(method, new EchoRequest(), TestTimeout.Token()));
    }

    [Fact]
    public async Task Registering_a_name_twice_is_refused_and_removal_frees_it()
    {
        await using RpcPair pair = await RpcPair.CreateAsync(RpcTransportKind.Yamux);
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>("Echo.rpc_echo", EchoRequest.Parser, EchoAsync);
        Assert.Throws<InvalidOperationException>(() => pair.Servicer.AddUnary<EchoRequest, EchoResponse>("Echo.rpc_echo", EchoRequest.Parser, EchoAsync));
        Assert.True(pair.Servicer.Remove("Echo.rpc_echo"));
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>("Echo.rpc_echo", EchoRequest.Parser, EchoAsync);
    }

    [Fact]
    public async Task Disposing_the_servicer_removes_every_handler_it_added()
    {
        await using RpcPair pair = await RpcPair.CreateAsync(RpcTransportKind.Yamux);
        var servicer = new RpcServicer(pair.ServerTransport);
        servicer.AddUnary<EchoRequest, EchoResponse>("A.rpc_a", EchoRequest.Parser, EchoAsync);
        servicer.AddStreamStream<EchoRequest, EchoResponse>("A.rpc_b", EchoRequest.Parser, (requests, _) => Empty());
        await pair.Client.CallUnaryAsync(pair.ServerPeer, "A.rpc_a", new EchoRequest(), EchoResponse.Parser, TestTimeout.Token());
        await servicer.DisposeAsync();
        Assert.Empty(servicer.Protocols);
        await Assert.ThrowsAsync<RpcProtocolNotSupportedException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, "A.rpc_a", new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()));

        static async IAsyncEnumerable<EchoResponse> Empty()
        {
            await Task.Yield();
            yield break;
        }
    }

    [Fact]
    public async Task A_method_descriptor_of_the_wrong_shape_is_refused()
    {
        await using RpcPair pair = await RpcPair.CreateAsync(RpcTransportKind.Yamux);
        var streaming = RpcMethod.StreamStream("X.rpc_x", EchoRequest.Parser, EchoResponse.Parser);
        Assert.Throws<ArgumentException>(() => pair.Servicer.AddUnary(streaming, EchoAsync));
        RpcStub stub = pair.Client.CreateStub(pair.ServerPeer);
        await Assert.ThrowsAsync<ArgumentException>(async () => await stub.CallUnaryAsync(streaming, new EchoRequest(), TestTimeout.Token()));
    }

    [Fact]
    public void Options_outside_their_ranges_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RpcClient(new NoTransport(), new RpcOptions { StreamPrefetch = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RpcClient(new NoTransport(), new RpcOptions { MaxUnaryMessageSize = 10 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RpcClient(new NoTransport(), new RpcOptions { MaxStreamMessageSize = RpcOptions.MaxMessageSizeLimit + 1 }));
        Assert.Throws<ArgumentException>(() => new RpcServicer(new NoTransport(), ""));
    }

    [Theory]
    [InlineData("boom", "InvalidOperationException('boom')")]
    [InlineData("it's", "InvalidOperationException(\"it's\")")]
    [InlineData("a\nb\\", "InvalidOperationException('a\\nb\\\\')")]
    [InlineData("", "InvalidOperationException()")]
    [InlineData("é ✓", "InvalidOperationException('é ✓')")]
    [InlineData("\u0000\u200b", "InvalidOperationException('\\x00\\u200b')")]
    public void Handler_exceptions_are_formatted_like_python_repr(string message, string expected)
    {
        Assert.Equal(expected, RpcWireErrors.FormatException(new InvalidOperationException(message)));
    }

    private sealed class NoTransport : IRpcTransport
    {
        public global::Mesh.Transport.Identity.PeerId LocalPeer => TestKeys.Client.PublicKey.PeerId;

        public void SetHandler(string protocol, RpcStreamHandler handler)
        {
        }

        public bool RemoveHandler(string protocol) => false;

        public ValueTask<IRpcStream> OpenStreamAsync(global::Mesh.Transport.Identity.PeerId peer, string protocol, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
