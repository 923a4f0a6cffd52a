using Mesh.Kademlia.Serialization;
using Mesh.Multistream;
using Mesh.Node.App;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Servicer;

namespace Mesh.Node.Tests.App;

/// <summary>
/// The sample app protocol over two hosts on 127.0.0.1: signed calls are answered (and the answer's signature
/// checked), handler errors reach the caller as errors, unsigned calls are refused, and the servicer keeps serving.
/// </summary>
public sealed class MathProtocolTests
{
    [Fact]
    public async Task Signed_calls_compute_errors_travel_back_and_unsigned_calls_are_refused()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        PrivateKey serverKey = PrivateKey.Generate(KeyType.Ed25519), clientKey = PrivateKey.Generate(KeyType.Rsa);
        var serverOptions = new HostOptions { Identity = serverKey };
        serverOptions.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        await using var server = new MeshHost(serverOptions);
        await server.StartAsync(ct);
        await using var client = new MeshHost(new HostOptions { Identity = clientKey });
        await client.StartAsync(ct);
        await using var servicer = new RpcServicer(new MeshHostRpcTransport(server));
        MathProtocol.Serve(servicer, new SignatureAuthorizer(serverKey), () => MsgValue.Map(new MsgMapEntry("peer_id", server.PeerId.ToString())));
        Assert.Contains("MathProtocol.rpc_math", server.Protocols);
        Assert.Contains("MathProtocol.rpc_info", server.Protocols);

        await client.ConnectAsync(server.GetFullListenAddresses()[0], ct);
        var rpc = new RpcClient(new MeshHostRpcTransport(client));
        RpcStub signed = rpc.CreateStub(server.PeerId, authorizer: new SignatureAuthorizer(clientKey));
        Assert.Equal(5.5, (await signed.CallUnaryAsync(MathProtocol.Math, new MathRequest { Op = "add", A = 2, B = 3.5 }, ct)).Result);
        Assert.Equal(-1.5, (await signed.CallUnaryAsync(MathProtocol.Math, new MathRequest { Op = "sub", A = 2, B = 3.5 }, ct)).Result);
        Assert.Equal(7, (await signed.CallUnaryAsync(MathProtocol.Math, new MathRequest { Op = "mul", A = 2, B = 3.5 }, ct)).Result);
        NodeData info = await signed.CallUnaryAsync(MathProtocol.Info, new InfoRequest(), ct);
        Assert.True(MsgPackSerializer.Deserialize(info.SerializedInfo.Memory).TryGetMapValue("peer_id", out MsgValue peer));
        Assert.Equal(server.PeerId.ToString(), peer.AsString());

        RpcHandlerException divide = await Assert.ThrowsAsync<RpcHandlerException>(
            async () => await signed.CallUnaryAsync(MathProtocol.Math, new MathRequest { Op = "div", A = 1, B = 0 }, ct));
        Assert.Contains("division by zero", divide.Message);
        RpcHandlerException unknown = await Assert.ThrowsAsync<RpcHandlerException>(
            async () => await signed.CallUnaryAsync(MathProtocol.Math, new MathRequest { Op = "pow", A = 1, B = 2 }, ct));
        Assert.Contains("unknown operation 'pow'", unknown.Message);

        RpcStub unsigned = rpc.CreateStub(server.PeerId);
        await Assert.ThrowsAnyAsync<RpcException>(async () => await unsigned.CallUnaryAsync(MathProtocol.Math, new MathRequest { Op = "add", A = 1, B = 1 }, ct));
        Assert.Equal(2, (await signed.CallUnaryAsync(MathProtocol.Math, new MathRequest { Op = "add", A = 1, B = 1 }, ct)).Result);
    }

    [Theory]
    [InlineData("add", 1, 2, 3)]
    [InlineData("div", 1, 4, 0.25)]
    public void Compute_is_plain_arithmetic(string op, double a, double b, double expected) => Assert.Equal(expected, MathProtocol.Compute(op, a, b));

    [Fact]
    public void Compute_refuses_what_has_no_finite_answer()
    {
        Assert.Throws<MathProtocolException>(() => MathProtocol.Compute("mul", double.MaxValue, 10));
        Assert.Throws<MathProtocolException>(() => MathProtocol.Compute("div", 1, 0));
        Assert.Throws<MathProtocolException>(() => MathProtocol.Compute("", 1, 0));
    }
}
