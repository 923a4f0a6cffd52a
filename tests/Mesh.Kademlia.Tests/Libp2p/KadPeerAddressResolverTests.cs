using Mesh.Kademlia.Libp2p;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Kademlia.Tests.Libp2p;

/// <summary>
/// <see cref="KadPeerAddressResolver"/> over real kad nodes on 127.0.0.1: a peer two hops away is found and its
/// addresses land in the host's peer store; an unknown peer, a lookup that runs out of time on a peer that never
/// answers, and a disposed DHT all give no addresses; only the caller's cancellation throws.
/// </summary>
public sealed class KadPeerAddressResolverTests
{
    private const string KadProtocol = KadDhtOptions.DefaultProtocolId;

    private static CancellationToken Timeout(int seconds = 120)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    /// <summary>A client-mode kad node whose routing table holds <paramref name="peer"/> only: connected, identified, no lookup run.</summary>
    private static async Task<(MeshHost Host, KadDht Dht)> ClientNextToAsync(MeshHost peer, CancellationToken ct, TimeProvider? clock = null)
    {
        (MeshHost host, KadDht dht) = await KadSwarm.StartNodeAsync(new KadDhtOptions
        {
            Mode = KadDhtMode.Client,
            RefreshInterval = TimeSpan.Zero,
            TimeProvider = clock ?? TimeProvider.System,
        });
        await host.ConnectAsync(peer.GetFullListenAddresses()[0], ct);
        await UntilInTableAsync(dht, peer.PeerId, ct); // identify of the new connection puts the server peer in the table
        return (host, dht);
    }

    /// <summary>Waits (bounded by <paramref name="ct"/>) until <paramref name="peer"/> is in <paramref name="dht"/>'s routing table.</summary>
    private static async Task UntilInTableAsync(KadDht dht, PeerId peer, CancellationToken ct)
    {
        while (true)
        {
            await dht.FlushRoutingAsync(ct);
            if (dht.RoutingTable.ContainsPeer(peer))
            {
                return;
            }
            await Task.Delay(10, ct);
        }
    }

    [Fact]
    public async Task A_peer_two_hops_away_is_found_and_its_addresses_go_to_the_peer_store()
    {
        CancellationToken ct = Timeout();
        // A, B joined through A, C joined through B only: C is known to A (it looked A up through B), not to the client.
        (MeshHost a, KadDht dhtA) = await KadSwarm.StartNodeAsync();
        (MeshHost b, KadDht dhtB) = await KadSwarm.StartNodeAsync();
        (MeshHost c, KadDht dhtC) = await KadSwarm.StartNodeAsync();
        await using (dhtA)
        await using (a)
        await using (dhtB)
        await using (b)
        await using (dhtC)
        await using (c)
        {
            Assert.Equal(1, await dhtB.BootstrapAsync([a.GetFullListenAddresses()[0]], ct));
            Assert.Equal(1, await dhtC.BootstrapAsync([b.GetFullListenAddresses()[0]], ct));
            // C's lookup through B reached A; A puts C in its table once identify of that connection is done.
            await UntilInTableAsync(dhtA, c.PeerId, ct);

            (MeshHost clientHost, KadDht client) = await ClientNextToAsync(a, ct);
            await using (client)
            await using (clientHost)
            {
                Assert.True(clientHost.PeerStore.GetAddresses(c.PeerId).IsEmpty);
                var resolver = new KadPeerAddressResolver(client);
                IReadOnlyList<Multiaddr> found = await resolver.ResolveAsync(c.PeerId, ct);
                Assert.Contains(c.ListenAddresses[0], found);
                Assert.Contains(c.ListenAddresses[0], clientHost.PeerStore.GetAddresses(c.PeerId));
                Assert.Empty(await resolver.ResolveAsync(clientHost.PeerId, ct)); // never itself
            }
        }
    }

    [Fact]
    public async Task An_unknown_peer_resolves_to_nothing()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(3, cancellationToken: ct);
        var resolver = new KadPeerAddressResolver(swarm.Nodes[1].Dht);
        PeerId nobody = PrivateKey.Generate(KeyType.Ed25519).PeerId;
        Assert.Empty(await resolver.ResolveAsync(nobody, ct));
        Assert.True(swarm.Nodes[1].Host.PeerStore.GetAddresses(nobody).IsEmpty);
    }

    /// <summary>A host that advertises the kad protocol and reads requests but never answers one.</summary>
    private static async Task<(MeshHost Host, TaskCompletionSource Asked)> StartSilentPeerAsync()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new HostOptions();
        options.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        var host = new MeshHost(options);
        host.SetHandler(KadProtocol, async (stream, cancellationToken) =>
        {
            asked.TrySetResult();
            // Hold the stream open until the asker gives up (resets or closes it) or the host stops.
            while (!cancellationToken.IsCancellationRequested)
            {
                System.IO.Pipelines.ReadResult read = await stream.Input.ReadAsync(cancellationToken);
                stream.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }
            }
        });
        await host.StartAsync();
        return (host, asked);
    }

    [Fact]
    public async Task A_lookup_that_runs_out_of_time_resolves_to_nothing()
    {
        CancellationToken ct = Timeout();
        (MeshHost silent, TaskCompletionSource asked) = await StartSilentPeerAsync();
        await using (silent)
        {
            // The resolver's deadline runs on the DHT's clock: a fake one, moved past the deadline once the lookup waits.
            var clock = new FakeTimeProvider();
            (MeshHost host, KadDht dht) = await ClientNextToAsync(silent, ct, clock);
            await using (dht)
            await using (host)
            {
                var resolver = new KadPeerAddressResolver(dht, TimeSpan.FromSeconds(5));
                Task<IReadOnlyList<Multiaddr>> pending = resolver.ResolveAsync(PrivateKey.Generate(KeyType.Ed25519).PeerId, ct).AsTask();
                await asked.Task.WaitAsync(ct); // the lookup is waiting on the silent peer
                Assert.False(pending.IsCompleted);
                clock.Advance(TimeSpan.FromSeconds(6)); // past the resolver's 5 s, short of the kad request timeout (10 s)
                Assert.Empty(await pending.WaitAsync(ct));
            }
        }
    }

    [Fact]
    public async Task The_callers_cancellation_throws()
    {
        CancellationToken ct = Timeout();
        (MeshHost silent, TaskCompletionSource asked) = await StartSilentPeerAsync();
        await using (silent)
        {
            (MeshHost host, KadDht dht) = await ClientNextToAsync(silent, ct);
            await using (dht)
            await using (host)
            {
                var resolver = new KadPeerAddressResolver(dht, TimeSpan.FromMinutes(10));
                PeerId target = PrivateKey.Generate(KeyType.Ed25519).PeerId;
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await resolver.ResolveAsync(target, new CancellationToken(canceled: true)));

                using var caller = CancellationTokenSource.CreateLinkedTokenSource(ct);
                Task<IReadOnlyList<Multiaddr>> pending = resolver.ResolveAsync(target, caller.Token).AsTask();
                await asked.Task.WaitAsync(ct); // the lookup is waiting on the silent peer
                Assert.False(pending.IsCompleted);
                await caller.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
            }
        }
    }

    [Fact]
    public async Task A_disposed_dht_resolves_to_nothing_and_bad_arguments_are_refused()
    {
        CancellationToken ct = Timeout();
        await using KadSwarm swarm = await KadSwarm.StartAsync(2, cancellationToken: ct);
        (MeshHost host, KadDht dht) = await KadSwarm.StartNodeAsync();
        await using (host)
        {
            Assert.Equal(1, await dht.BootstrapAsync([swarm.Nodes[0].Host.GetFullListenAddresses()[0]], ct));
            var resolver = new KadPeerAddressResolver(dht);
            await dht.DisposeAsync();
            Assert.Empty(await resolver.ResolveAsync(swarm.Nodes[1].Host.PeerId, ct));
        }
        Assert.Throws<ArgumentNullException>(() => new KadPeerAddressResolver(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KadPeerAddressResolver(swarm.Nodes[0].Dht, TimeSpan.Zero));
        Assert.Equal(KadPeerAddressResolver.DefaultTimeout, new KadPeerAddressResolver(swarm.Nodes[0].Dht).Timeout);
    }
}
