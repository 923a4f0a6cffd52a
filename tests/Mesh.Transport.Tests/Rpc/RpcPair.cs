using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Servicer;
using Mesh.Transport.Yamux;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Tests.Rpc;

/// <summary>What an RPC test runs over.</summary>
public enum RpcTransportKind
{
    /// <summary>Yamux sessions over in-memory pipes, multistream-select on every stream (no sockets).</summary>
    Yamux,

    /// <summary>Two <see cref="MeshHost"/>s on 127.0.0.1: TCP, Noise, yamux, lazy multistream-select.</summary>
    Host,
}

/// <summary>A client transport and a server transport, connected, with a servicer on the server.</summary>
internal sealed class RpcPair : IAsyncDisposable
{
    private readonly Func<ValueTask> _dispose;

    private RpcPair(IRpcTransport client, CountingTransport server, RpcOptions options, string? @namespace, Func<ValueTask> dispose, MeshHost? clientHost = null)
    {
        ClientHost = clientHost;
        ClientTransport = client;
        ServerTransport = server;
        _dispose = dispose;
        Client = new RpcClient(client, options);
        Servicer = new RpcServicer(server, @namespace, options, NullLoggerFactory.Instance);
    }

    public IRpcTransport ClientTransport { get; }

    /// <summary>The client's host (Host pairs only).</summary>
    public MeshHost? ClientHost { get; }

    /// <summary>The server side, counting the inbound streams its handlers are serving.</summary>
    public CountingTransport ServerTransport { get; }

    public RpcClient Client { get; }

    public RpcServicer Servicer { get; }

    public PeerId ClientPeer => ClientTransport.LocalPeer;

    public PeerId ServerPeer => ServerTransport.LocalPeer;

    public static async Task<RpcPair> CreateAsync(RpcTransportKind kind, RpcOptions? options = null, string? @namespace = null, YamuxOptions? yamux = null,
        PrivateKey? clientKey = null, PrivateKey? serverKey = null)
    {
        clientKey ??= TestKeys.Client;
        serverKey ??= TestKeys.Server;
        options ??= RpcOptions.Default;
        if (kind == RpcTransportKind.Yamux)
        {
            var network = new InMemoryRpcNetwork(yamux);
            InMemoryRpcNetwork.Endpoint client = network.AddEndpoint(clientKey.PublicKey.PeerId);
            InMemoryRpcNetwork.Endpoint server = network.AddEndpoint(serverKey.PublicKey.PeerId);
            return new RpcPair(client, new CountingTransport(server), options, @namespace, network.DisposeAsync);
        }
        MeshHost serverHost = await StartHostAsync(serverKey, yamux);
        MeshHost clientHost = await StartHostAsync(clientKey, yamux);
        await clientHost.ConnectAsync(serverHost.GetFullListenAddresses()[0], TestTimeout.Token());
        return new RpcPair(new MeshHostRpcTransport(clientHost), new CountingTransport(new MeshHostRpcTransport(serverHost)), options, @namespace, async () =>
        {
            await clientHost.DisposeAsync();
            await serverHost.DisposeAsync();
        }, clientHost);
    }

    private static async Task<MeshHost> StartHostAsync(PrivateKey identity, YamuxOptions? yamux)
    {
        var options = new HostOptions { Identity = identity, EnablePing = false };
        options.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        if (yamux is not null)
        {
            options.Yamux = yamux;
        }
        var host = new MeshHost(options);
        await host.StartAsync();
        return host;
    }

    /// <summary>
    /// Host pairs: waits until the client's peer store (fed by identify and identify push) says whether the server
    /// serves <paramref name="protocol"/>, since the host negotiates lazily on that belief.
    /// </summary>
    public async Task ClientSeesServerSupportAsync(string protocol, bool supported, CancellationToken cancellationToken)
    {
        while (ClientHost is not null && ClientHost.PeerStore.Get(ServerPeer)?.SupportsProtocol(protocol) != supported)
        {
            await Task.Delay(5, cancellationToken);
        }
    }

    /// <summary>Waits until the server has no stream in progress (its handlers have returned).</summary>
    public async Task ServerIdleAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref ServerTransport.ActiveInbound) != 0)
        {
            await Task.Delay(5, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Servicer.DisposeAsync();
        await _dispose();
    }
}

/// <summary>Wraps a transport and counts the inbound streams whose handler has not returned yet.</summary>
internal sealed class CountingTransport(IRpcTransport inner) : IRpcTransport
{
    public int ActiveInbound;

    public PeerId LocalPeer => inner.LocalPeer;

    public void SetHandler(string protocol, RpcStreamHandler handler) => inner.SetHandler(protocol, async (stream, cancellationToken) =>
    {
        Interlocked.Increment(ref ActiveInbound);
        try
        {
            await handler(stream, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref ActiveInbound);
        }
    });

    public bool RemoveHandler(string protocol) => inner.RemoveHandler(protocol);

    public ValueTask<IRpcStream> OpenStreamAsync(PeerId peer, string protocol, CancellationToken cancellationToken) => inner.OpenStreamAsync(peer, protocol, cancellationToken);
}

/// <summary>Base of the test classes that run over both transports (one concrete subclass per <see cref="RpcTransportKind"/>).</summary>
public abstract class RpcTransportTests
{
    private protected abstract RpcTransportKind Kind { get; }

    private protected Task<RpcPair> CreatePairAsync(RpcOptions? options = null, string? @namespace = null, YamuxOptions? yamux = null,
        PrivateKey? clientKey = null, PrivateKey? serverKey = null) =>
        RpcPair.CreateAsync(Kind, options, @namespace, yamux, clientKey, serverKey);
}
