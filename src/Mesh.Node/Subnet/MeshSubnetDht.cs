using Mesh.Kademlia.Node;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Serialization;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;

namespace Mesh.Node.Subnet;

/// <summary>
/// The subnet node's DHT: a mesh <see cref="DhtNode"/> on the server's host, with the server's record validators and
/// proof-of-stake authorizer, its RPCs going through the server's metered transport (behind a
/// <see cref="PeerRoutingRpcTransport"/> when the setup has a peer address resolver, so a peer named by id only is
/// looked up before it is dialed, and every call is still counted). <see cref="CreateAsync"/> is the
/// <see cref="SubnetDhtFactory"/> <c>mesh server</c> uses.
/// </summary>
public sealed class MeshSubnetDht : ISubnetDhtNode
{
    private readonly RpcDhtTransport _transport;

    private MeshSubnetDht(DhtNode node, RpcDhtTransport transport)
    {
        Node = node;
        _transport = transport;
    }

    public DhtNode Node { get; }

    public PeerId LocalPeer => Node.PeerId;

    /// <summary>Creates the node and bootstraps it from the initial peers (a <see cref="DhtBootstrapException"/> if none answers).</summary>
    public static async Task<ISubnetDhtNode> CreateAsync(SubnetDhtSetup setup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(setup);
        foreach (Multiaddr address in setup.InitialPeers)
        {
            // As DhtNode.CreateAsync(MeshHost) does: the host dials peers at the addresses its peer store knows.
            if (address.TryGetPeerId(out ReadOnlySpan<byte> multihash) && PeerId.TryFromBytes(multihash, out PeerId peer))
            {
                Multiaddr dialable = address.Decapsulate(MultiaddrProtocol.P2p);
                if (!dialable.IsEmpty)
                {
                    setup.Host.PeerStore.AddAddresses(peer, [dialable]);
                }
            }
        }
        IRpcTransport rpc = setup.PeerAddressResolver is { } resolver ? new PeerRoutingRpcTransport(setup.Host, resolver, setup.Transport) : setup.Transport;
        var transport = new RpcDhtTransport(rpc, setup.Authorizer, null, setup.LoggerFactory);
        try
        {
            var options = new DhtNodeOptions
            {
                InitialPeers = setup.InitialPeers,
                RecordValidators = setup.Validators,
                Authorizer = setup.Authorizer,
                Identity = setup.Identity,
            };
            if (setup.WaitTimeout is TimeSpan wait)
            {
                options = options with { WaitTimeout = wait };
            }
            DhtNode node = await DhtNode.CreateAsync(transport, options, setup.LoggerFactory, cancellationToken).ConfigureAwait(false);
            return new MeshSubnetDht(node, transport);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask<bool> StoreAsync(string key, MsgValue subkey, MsgValue value, double expirationTime, CancellationToken cancellationToken) =>
        await Node.StoreAsync(key, value, expirationTime, subkey, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<DhtSubkeyEntry>> GetDictionaryAsync(string key, bool latest, CancellationToken cancellationToken)
    {
        DhtValue? found = await Node.GetAsync(key, latest, cancellationToken).ConfigureAwait(false);
        if (found?.Subkeys is not { } subkeys)
        {
            return [];
        }
        return [.. subkeys.Select(kv => new DhtSubkeyEntry(kv.Key, kv.Value.Value, kv.Value.ExpirationTime))];
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
    }
}
