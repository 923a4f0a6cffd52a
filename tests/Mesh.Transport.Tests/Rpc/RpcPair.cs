using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Servicer;
using Mesh.Transport.Yamux;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Tests.Rpc;

/// <summary>A client endpoint and a server endpoint on one in-memory network, with a servicer on the server.</summary>
internal sealed class RpcPair : IAsyncDisposable
{
    private RpcPair(InMemoryRpcNetwork network, InMemoryRpcNetwork.Endpoint clientEndpoint, InMemoryRpcNetwork.Endpoint serverEndpoint, RpcOptions options, string? @namespace)
    {
        Network = network;
        ClientEndpoint = clientEndpoint;
        ServerEndpoint = serverEndpoint;
        Client = new RpcClient(clientEndpoint, options);
        Servicer = new RpcServicer(serverEndpoint, @namespace, options, NullLoggerFactory.Instance);
    }

    public InMemoryRpcNetwork Network { get; }

    public InMemoryRpcNetwork.Endpoint ClientEndpoint { get; }

    public InMemoryRpcNetwork.Endpoint ServerEndpoint { get; }

    public RpcClient Client { get; }

    public RpcServicer Servicer { get; }

    public PeerId ClientPeer => ClientEndpoint.LocalPeer;

    public PeerId ServerPeer => ServerEndpoint.LocalPeer;

    public static RpcPair Create(RpcOptions? options = null, string? @namespace = null, YamuxOptions? yamux = null, PrivateKey? clientKey = null, PrivateKey? serverKey = null)
    {
        var network = new InMemoryRpcNetwork(yamux);
        InMemoryRpcNetwork.Endpoint client = network.AddEndpoint((clientKey ?? TestKeys.Client).PublicKey.PeerId);
        InMemoryRpcNetwork.Endpoint server = network.AddEndpoint((serverKey ?? TestKeys.Server).PublicKey.PeerId);
        return new RpcPair(network, client, server, options ?? RpcOptions.Default, @namespace);
    }

    /// <summary>Waits until the server has no stream in progress (its handlers have returned).</summary>
    public async Task ServerIdleAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref ServerEndpoint.ActiveInbound) != 0)
        {
            await Task.Delay(5, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Servicer.DisposeAsync();
        await Network.DisposeAsync();
    }
}
