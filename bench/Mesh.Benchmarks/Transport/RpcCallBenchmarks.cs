using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Mesh.Kademlia.Protocol;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Servicer;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// Unary mesh RPC calls between two hosts over one loopback connection (TCP + Noise + yamux), the way mesh nodes call
/// each other: one stream per call, the p2pd unary envelope, a DHT-shaped request (a FindRequest of 3 keys) answered
/// with a FindResponse. <see cref="Callers"/> = 1 gives the latency of one call (Mean/Median/P95 per call);
/// <see cref="Callers"/> = 64 runs 64 concurrent callers on the same connection, so the mean per call is
/// 1 / throughput. <see cref="Signed"/> adds the Ed25519 <see cref="SignatureAuthorizer"/> on both sides (request and
/// response signed and verified, nonce checks), as mesh's DHTProtocol does.
/// </summary>
[MedianColumn, Config(typeof(PercentileConfig))]
public class RpcCallBenchmarks
{
    private const string Method = "DHTProtocol.rpc_find";
    private const int CallsPerInvoke = 256;

    private static readonly RpcMethod<FindRequest, FindResponse> s_find = RpcMethod.Unary(Method, FindRequest.Parser, FindResponse.Parser);

    private MeshHost _server = null!;
    private MeshHost _client = null!;
    private RpcServicer _servicer = null!;
    private RpcStub _stub = null!;
    private FindRequest _template = null!;
    private FindResponse _response = null!;

    [Params(1, 64)]
    public int Callers { get; set; }

    [Params(false, true)]
    public bool Signed { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        PrivateKey serverKey = PrivateKey.Generate(KeyType.Ed25519);
        PrivateKey clientKey = PrivateKey.Generate(KeyType.Ed25519);
        var serverOptions = new HostOptions { Identity = serverKey, EnablePing = false };
        serverOptions.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        _server = new MeshHost(serverOptions);
        await _server.StartAsync();
        _client = new MeshHost(new HostOptions { Identity = clientKey, EnablePing = false });
        await _client.ConnectAsync(_server.GetFullListenAddresses()[0]);

        _template = new FindRequest { Peer = new NodeInfo { NodeId = ByteString.CopyFrom(new byte[20]) } };
        _response = new FindResponse { Peer = new NodeInfo { NodeId = ByteString.CopyFrom(new byte[20]) } };
        for (int i = 0; i < 3; i++)
        {
            _template.Keys.Add(ByteString.CopyFrom(Enumerable.Range(i, 20).Select(b => (byte)b).ToArray()));
            _response.Results.Add(new FindResult { Type = ResultType.FoundRegular, Value = ByteString.CopyFrom(new byte[64]), ExpirationTime = 1.7e9 });
        }
        _servicer = new RpcServicer(new MeshHostRpcTransport(_server));
        var client = new RpcClient(new MeshHostRpcTransport(_client));
        if (Signed)
        {
            var serverAuth = new SignatureAuthorizer(serverKey);
            _servicer.AddUnary(s_find, (request, context) => ValueTask.FromResult(_response.Clone()), serverAuth);
            _stub = client.CreateStub(_server.PeerId, authorizer: new SignatureAuthorizer(clientKey));
        }
        else
        {
            _servicer.AddUnary(s_find, (request, context) => ValueTask.FromResult(_response));
            _stub = client.CreateStub(_server.PeerId);
        }
        // Identify has told the client the server speaks the protocol (so calls negotiate lazily, no extra round trip),
        // and the call path is warm.
        for (int i = 0; i < 200; i++)
        {
            await CallAsync();
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _servicer.DisposeAsync();
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = CallsPerInvoke, Description = "unary call (FindRequest of 3 keys)")]
    public async Task UnaryCalls()
    {
        var callers = new Task[Callers];
        for (int c = 0; c < Callers; c++)
        {
            callers[c] = CallManyAsync(CallsPerInvoke / Callers + (c < CallsPerInvoke % Callers ? 1 : 0));
        }
        await Task.WhenAll(callers);
    }

    private async Task CallManyAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            await CallAsync();
        }
    }

    private async ValueTask CallAsync()
    {
        // A signed request carries its own auth field (nonce, time, signature): one request object per call.
        FindRequest request = Signed ? _template.Clone() : _template;
        FindResponse response = await _stub.CallUnaryAsync(s_find, request);
        if (response.Results.Count != 3)
        {
            throw new InvalidOperationException("unexpected response");
        }
    }

    private sealed class PercentileConfig : BenchmarkDotNet.Configs.ManualConfig
    {
        public PercentileConfig() => AddColumn(BenchmarkDotNet.Columns.StatisticColumn.P95);
    }
}
