using System.Collections.Concurrent;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Validation;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Kademlia.Tests.Protocol;

/// <summary>What a DHT test runs over.</summary>
public enum DhtNetworkKind
{
    /// <summary><see cref="InMemoryDhtNetwork"/>: messages serialized and parsed, no sockets.</summary>
    InMemory,

    /// <summary>One <see cref="MeshHost"/> per node on 127.0.0.1 (TCP, Noise, yamux), <see cref="RpcDhtTransport"/> on top.</summary>
    Tcp,
}

/// <summary>
/// Stands in for libp2p peer routing in TCP tests (mesh's p2pd resolves peer ids through the libp2p DHT, which is the
/// kad front-end's job here): maps every test host's peer id to its listen addresses.
/// </summary>
internal sealed class TestPeerDirectory : IPeerAddressResolver
{
    private readonly ConcurrentDictionary<PeerId, IReadOnlyList<Multiaddr>> _addresses = new();

    public int Lookups;

    public void Register(MeshHost host) => _addresses[host.PeerId] = [.. host.ListenAddresses];

    public void Unregister(PeerId peer) => _addresses.TryRemove(peer, out _);

    public ValueTask<IReadOnlyList<Multiaddr>> ResolveAsync(PeerId peer, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Lookups);
        return ValueTask.FromResult(_addresses.TryGetValue(peer, out IReadOnlyList<Multiaddr>? a) ? a : []);
    }
}

/// <summary>One DHT protocol instance of a <see cref="DhtTestNetwork"/>.</summary>
internal sealed class DhtTestPeer(DhtProtocol protocol, PrivateKey identity, InMemoryDhtTransport? endpoint, MeshHost? host)
{
    public DhtProtocol Protocol { get; } = protocol;

    public PrivateKey Identity { get; } = identity;

    public PeerId PeerId => Protocol.PeerId;

    public DhtId NodeId => Protocol.NodeId;

    public InMemoryDhtTransport? Endpoint { get; } = endpoint;

    public MeshHost? Host { get; } = host;

    public bool Stopped { get; set; }
}

/// <summary>DHT protocols on one network (in memory or TCP), disposed together.</summary>
internal sealed class DhtTestNetwork(DhtNetworkKind kind) : IAsyncDisposable
{
    private readonly List<DhtTestPeer> _peers = [];
    private readonly InMemoryDhtNetwork _memory = new();

    public DhtNetworkKind Kind { get; } = kind;

    public TestPeerDirectory Directory { get; } = new();

    public IReadOnlyList<DhtTestPeer> Peers => _peers;

    public static CancellationToken Timeout(int seconds = 60)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    public async Task<DhtTestPeer> AddAsync(DhtProtocolOptions? options = null, IEnumerable<IRecordValidator>? validators = null, DhtId? nodeId = null,
        PrivateKey? identity = null, bool authorize = false)
    {
        identity ??= Ed25519PrivateKey.Generate();
        IRpcAuthorizer? authorizer = authorize ? new SignatureAuthorizer(identity) : null;
        DhtId id = nodeId ?? DhtId.CreateRandom();
        DhtTestPeer peer;
        if (Kind == DhtNetworkKind.InMemory)
        {
            InMemoryDhtTransport endpoint = _memory.CreateEndpoint(identity.PeerId, authorizer);
            peer = new DhtTestPeer(new DhtProtocol(endpoint, id, options, validators), identity, endpoint, null);
        }
        else
        {
            var hostOptions = new HostOptions { Identity = identity };
            hostOptions.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
            var host = new MeshHost(hostOptions);
            await host.StartAsync();
            Directory.Register(host);
            var transport = new RpcDhtTransport(new PeerRoutingRpcTransport(host, Directory), authorizer);
            peer = new DhtTestPeer(new DhtProtocol(transport, id, options, validators), identity, null, host);
        }
        _peers.Add(peer);
        return peer;
    }

    /// <summary>Takes a peer off the network the way a crash would: calls to it fail from now on.</summary>
    public async Task StopAsync(DhtTestPeer peer)
    {
        peer.Stopped = true;
        await peer.Protocol.DisposeAsync();
        if (peer.Endpoint is not null)
        {
            await peer.Endpoint.DisposeAsync();
        }
        if (peer.Host is not null)
        {
            Directory.Unregister(peer.PeerId);
            await peer.Host.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (DhtTestPeer peer in _peers)
        {
            if (!peer.Stopped)
            {
                await StopAsync(peer);
            }
        }
    }
}
