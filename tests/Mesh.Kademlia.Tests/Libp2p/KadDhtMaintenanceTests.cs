using System.Threading.Channels;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Kademlia.Libp2p.Network;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Kademlia.Routing;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Kademlia.Tests.Libp2p;

/// <summary>
/// The DHT's timers on a fake clock: routing-table refresh (10 min), provider republish (22 h) and the hourly sweep of
/// expired records.
/// </summary>
public sealed class KadDhtMaintenanceTests
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Timeout(int seconds = 60)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (int i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        Assert.True(condition());
    }

    [Fact]
    public async Task Provided_keys_are_republished_before_their_records_expire_elsewhere()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new KadDhtOptions { TimeProvider = clock, RefreshInterval = TimeSpan.Zero };
        (MeshHost h1, KadDht d1) = await KadSwarm.StartNodeAsync(options);
        (MeshHost h2, KadDht d2) = await KadSwarm.StartNodeAsync(options);
        await using (d1)
        await using (h1)
        await using (d2)
        await using (h2)
        {
            await d2.BootstrapAsync([h1.GetFullListenAddresses()[0]], TestContext.Current.CancellationToken);
            byte[] key = Multihash.ComputeSha2_256("republished"u8);
            Assert.Equal(1, (await d2.ProvideAsync(key, TestContext.Current.CancellationToken)).Succeeded);
            // ADD_PROVIDER has no reply: "succeeded" means sent, so wait for node 1 to have stored it.
            await Eventually(() => d1.Providers.Get(key).Count == 1);
            DateTimeOffset firstExpiry = Assert.Single(d1.Providers.Get(key)).Expires;
            // 22 h later the provider re-announces: node 1's record now expires 22 h later than the first one.
            clock.Advance(TimeSpan.FromHours(22));
            await Eventually(() => d1.Providers.Get(key) is [{ } r] && r.Expires > firstExpiry);
            // A key no longer provided is not republished and its record lapses after 48 h; the sweep removes it.
            Assert.True(d2.StopProviding(key));
            clock.Advance(TimeSpan.FromHours(49));
            Assert.Empty(d1.Providers.Get(key));
            clock.Advance(TimeSpan.FromHours(1));
            await Eventually(() => d1.Providers.KeyCount == 0);
        }
    }

    // ------------------------------------------------------------------ routing-table refresh

    /// <summary>
    /// A kad server that records every request it gets and answers FIND_NODE with no closer peers, or, while
    /// <see cref="Failing"/>, resets the stream instead of answering.
    /// </summary>
    private sealed class RecordingKadServer : IAsyncDisposable
    {
        private readonly ChannelWriter<(PeerId Server, byte[] Key)> _requests;

        private RecordingKadServer(MeshHost host, ChannelWriter<(PeerId, byte[])> requests)
        {
            Host = host;
            _requests = requests;
        }

        public MeshHost Host { get; }

        public volatile bool Failing;

        public static async Task<RecordingKadServer> StartAsync(KadKey256 dhtKey, bool near, ChannelWriter<(PeerId, byte[])> requests)
        {
            PrivateKey identity = PrivateKey.Generate(KeyType.Ed25519);
            for (int attempt = 0; attempt < 256 && (KadKey256.Hash(identity.PeerId.Bytes).GetBit(0) == dhtKey.GetBit(0)) != near; attempt++)
            {
                identity = PrivateKey.Generate(KeyType.Ed25519);
            }
            Assert.Equal(near, KadKey256.Hash(identity.PeerId.Bytes).GetBit(0) == dhtKey.GetBit(0));
            var options = new HostOptions { Identity = identity };
            options.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
            var host = new MeshHost(options);
            var server = new RecordingKadServer(host, requests);
            host.SetHandler(KadDhtOptions.DefaultProtocolId, server.HandleAsync);
            await host.StartAsync();
            return server;
        }

        private async Task HandleAsync(MeshStream stream, CancellationToken cancellationToken)
        {
            while (await KadStreamIO.ReadAsync(stream.Input, KadMessageCodec.DefaultMaxMessageSize, cancellationToken) is { } request)
            {
                _requests.TryWrite((Host.PeerId, request.Key.ToArray()));
                if (Failing)
                {
                    stream.Reset();
                    return;
                }
                await KadStreamIO.WriteAsync(stream.Output, new KadMessage { Type = request.Type, Key = request.Key }, KadMessageCodec.DefaultMaxMessageSize, cancellationToken);
            }
        }

        /// <summary>
        /// Sends the DHT two FIND_NODE requests on one stream, as a live peer's own lookups would. The DHT notes a
        /// requester as seen after answering it, so once the second answer is in, the first request's "seen" has been
        /// posted to the routing owner (a flush then applies it).
        /// </summary>
        public async Task AskAsync(PeerId dht, CancellationToken cancellationToken)
        {
            await using MeshStream stream = await Host.OpenStreamAsync(dht, [KadDhtOptions.DefaultProtocolId], cancellationToken);
            for (int i = 0; i < 2; i++)
            {
                var request = new KadMessage { Type = KadMessageType.FindNode, Key = Host.PeerId.ToByteArray() };
                await KadStreamIO.WriteAsync(stream.Output, request, KadMessageCodec.DefaultMaxMessageSize, cancellationToken);
                Assert.Equal(KadMessageType.FindNode, (await KadStreamIO.ReadAsync(stream.Input, KadMessageCodec.DefaultMaxMessageSize, cancellationToken))!.Type);
            }
        }

        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }

    /// <summary>
    /// A node on a fake clock with k = 1, which splits the table at two peers (one far bucket and one near bucket, one
    /// peer each), and the channel its <see cref="RecordingKadServer"/>s report requests to.
    /// </summary>
    private static async Task<(TimerTrackingClock Clock, Channel<(PeerId, byte[])> Requests, MeshHost Host, KadDht Dht)> StartRefreshNodeAsync()
    {
        var clock = new TimerTrackingClock(Start);
        (MeshHost host, KadDht dht) = await KadSwarm.StartNodeAsync(new KadDhtOptions { BucketSize = 1, TimeProvider = clock });
        return (clock, Channel.CreateUnbounded<(PeerId, byte[])>(), host, dht);
    }

    private static async Task<List<(PeerId Server, byte[] Key)>> ReadRequestsAsync(ChannelReader<(PeerId, byte[])> requests, int count, CancellationToken ct)
    {
        var got = new List<(PeerId, byte[])>(count);
        for (int i = 0; i < count; i++)
        {
            got.Add(await requests.ReadAsync(ct));
        }
        return got;
    }

    private static int BucketIndex(KadDht dht, ReadOnlySpan<byte> key) => dht.RoutingTable.GetBucketIndex(KadKey256.Hash(key));

    /// <summary>
    /// One refresh, seen from the servers: a self lookup (our own peer id, asked of the peer nearest it) and one
    /// random-id lookup into each non-empty bucket (asked of that bucket's peer). With k = 1 each lookup asks one peer.
    /// </summary>
    private static void AssertOneRefresh(KadDht dht, RecordingKadServer far, RecordingKadServer near, List<(PeerId Server, byte[] Key)> requests)
    {
        Assert.Equal(3, requests.Count);
        byte[] self = dht.Host.PeerId.ToByteArray();
        (PeerId Server, byte[] Key) selfLookup = Assert.Single(requests, r => r.Key.AsSpan().SequenceEqual(self));
        Assert.Equal(near.Host.PeerId, selfLookup.Server);
        int farBucket = BucketIndex(dht, far.Host.PeerId.Bytes), nearBucket = BucketIndex(dht, near.Host.PeerId.Bytes);
        Assert.NotEqual(farBucket, nearBucket);
        List<(PeerId Server, byte[] Key)> random = [.. requests.Where(r => !r.Key.AsSpan().SequenceEqual(self))];
        (PeerId Server, byte[] Key) intoFar = Assert.Single(random, r => BucketIndex(dht, r.Key) == farBucket);
        (PeerId Server, byte[] Key) intoNear = Assert.Single(random, r => BucketIndex(dht, r.Key) == nearBucket);
        Assert.Equal(far.Host.PeerId, intoFar.Server);
        Assert.Equal(near.Host.PeerId, intoNear.Server);
        // Refresh keys are peer ids (sha2-256 multihashes), as FIND_NODE expects.
        Assert.All(random, r => Assert.True(PeerId.TryFromBytes(r.Key, out _)));
    }

    [Fact]
    public async Task The_routing_table_is_refreshed_every_ten_minutes_survives_a_failed_refresh_and_stops_on_dispose()
    {
        CancellationToken ct = Timeout();
        (TimerTrackingClock clock, Channel<(PeerId, byte[])> requests, MeshHost host, KadDht dht) = await StartRefreshNodeAsync();
        await using RecordingKadServer far = await RecordingKadServer.StartAsync(dht.LocalKey, near: false, requests.Writer);
        await using RecordingKadServer near = await RecordingKadServer.StartAsync(dht.LocalKey, near: true, requests.Writer);
        await using (host)
        await using (dht)
        {
            Assert.Equal(TimeSpan.FromMinutes(10), await clock.NextTimerAsync(ct)); // the loop sleeps until the first refresh
            Assert.Equal(2, await dht.BootstrapAsync([far.Host.GetFullListenAddresses()[0], near.Host.GetFullListenAddresses()[0]], ct));
            while (requests.Reader.TryRead(out _))
            {
                // The bootstrap's own refresh; the periodic ones are what this test is about.
            }

            var seen = new List<byte[]>();
            for (int round = 0; round < 2; round++)
            {
                clock.Advance(TimeSpan.FromMinutes(10));
                List<(PeerId Server, byte[] Key)> refresh = await ReadRequestsAsync(requests.Reader, 3, ct);
                // The loop went back to sleep for another interval, and the round asked nothing more.
                Assert.Equal(TimeSpan.FromMinutes(10), await clock.NextTimerAsync(ct));
                Assert.False(requests.Reader.TryRead(out _));
                AssertOneRefresh(dht, far, near, refresh);
                seen.AddRange(refresh.Select(r => r.Key));
            }
            // Each round draws new random ids; the self lookup is the same: 2 × 3 keys, 5 distinct.
            Assert.Equal(5, seen.Select(Convert.ToHexString).Distinct().Count());

            // A refresh where every request fails: both peers leave the table, the loop goes on.
            far.Failing = near.Failing = true;
            clock.Advance(TimeSpan.FromMinutes(10));
            Assert.Equal(TimeSpan.FromMinutes(10), await clock.NextTimerAsync(ct));
            await dht.FlushRoutingAsync(ct);
            Assert.Equal(0, dht.RoutingTable.Count);
            // The round is over (the loop is asleep again), so everything it asked is in the channel; both were asked.
            var failedRound = new List<PeerId>();
            while (requests.Reader.TryRead(out (PeerId Server, byte[] Key) r))
            {
                failedRound.Add(r.Server);
            }
            Assert.Contains(far.Host.PeerId, failedRound);
            Assert.Contains(near.Host.PeerId, failedRound);

            // The peers come back (they ask us something, as live peers do) and the next refresh works again.
            far.Failing = near.Failing = false;
            await far.AskAsync(host.PeerId, ct);
            await near.AskAsync(host.PeerId, ct);
            await dht.FlushRoutingAsync(ct);
            Assert.Equal(2, dht.RoutingTable.Count);
            clock.Advance(TimeSpan.FromMinutes(10));
            List<(PeerId Server, byte[] Key)> again = await ReadRequestsAsync(requests.Reader, 3, ct);
            Assert.Equal(TimeSpan.FromMinutes(10), await clock.NextTimerAsync(ct));
            AssertOneRefresh(dht, far, near, again);

            // Disposing the DHT stops the loop: no timer is left to fire, and time passing asks nobody anything.
            await dht.DisposeAsync();
            Assert.Equal(0, clock.PendingTimers);
            clock.Advance(TimeSpan.FromHours(1));
            Assert.False(clock.HasUnreadTimer);
            Assert.False(requests.Reader.TryRead(out _));
        }
    }

    [Fact]
    public async Task An_emptied_routing_table_is_refilled_from_connected_peers_then_from_the_bootstrap_peers()
    {
        CancellationToken ct = Timeout();
        (TimerTrackingClock clock, Channel<(PeerId, byte[])> requests, MeshHost host, KadDht dht) = await StartRefreshNodeAsync();
        await using RecordingKadServer far = await RecordingKadServer.StartAsync(dht.LocalKey, near: false, requests.Writer);
        await using RecordingKadServer near = await RecordingKadServer.StartAsync(dht.LocalKey, near: true, requests.Writer);
        await using (host)
        await using (dht)
        {
            Assert.Equal(TimeSpan.FromMinutes(10), await clock.NextTimerAsync(ct));
            Assert.Equal(2, await dht.BootstrapAsync([far.Host.GetFullListenAddresses()[0], near.Host.GetFullListenAddresses()[0]], ct));

            async Task FailedRoundAsync()
            {
                far.Failing = near.Failing = true;
                clock.Advance(TimeSpan.FromMinutes(10));
                Assert.Equal(TimeSpan.FromMinutes(10), await clock.NextTimerAsync(ct));
                await dht.FlushRoutingAsync(ct);
                Assert.Equal(0, dht.RoutingTable.Count);
                far.Failing = near.Failing = false;
                while (requests.Reader.TryRead(out _))
                {
                }
            }

            // 1. Every request of a refresh failed, the connections stayed, and nobody asks us anything: the next
            //    refresh takes the connected server peers back and refreshes through them.
            await FailedRoundAsync();
            clock.Advance(TimeSpan.FromMinutes(10));
            AssertOneRefresh(dht, far, near, await ReadRequestsAsync(requests.Reader, 3, ct));
            Assert.Equal(TimeSpan.FromMinutes(10), await clock.NextTimerAsync(ct));
            Assert.Equal(2, dht.RoutingTable.Count);

            // 2. The same with no connection left: the bootstrap peers are dialled again.
            await FailedRoundAsync();
            await host.DisconnectAsync(far.Host.PeerId, ct);
            await host.DisconnectAsync(near.Host.PeerId, ct);
            Assert.Empty(host.Connections);
            clock.Advance(TimeSpan.FromMinutes(10));
            AssertOneRefresh(dht, far, near, await ReadRequestsAsync(requests.Reader, 3, ct));
            Assert.Equal(TimeSpan.FromMinutes(10), await clock.NextTimerAsync(ct));
            Assert.Equal(2, dht.RoutingTable.Count);
            Assert.NotNull(host.GetConnection(far.Host.PeerId));
        }
    }

    // ------------------------------------------------------------------ expired value records

    [Fact]
    public async Task Value_records_past_their_maximum_age_are_swept_every_hour()
    {
        CancellationToken ct = Timeout();
        var clock = new TimerTrackingClock(Start);
        (MeshHost host, KadDht dht) = await KadSwarm.StartNodeAsync(new KadDhtOptions { TimeProvider = clock, RefreshInterval = TimeSpan.Zero });
        await using (host)
        await using (dht)
        {
            Assert.Equal(TimeSpan.FromHours(1), await clock.NextTimerAsync(ct)); // the first sweep
            Assert.Equal(KadPutResult.Stored, dht.Records.Put("/v/old"u8, "1"u8));
            clock.Advance(TimeSpan.FromHours(24));
            Assert.Equal(TimeSpan.FromHours(1), await clock.NextTimerAsync(ct));
            Assert.Equal(1, dht.Records.Count); // 24 h old: kept

            Assert.Equal(KadPutResult.Stored, dht.Records.Put("/v/new"u8, "22"u8));
            clock.Advance(TimeSpan.FromHours(25));
            Assert.Equal(TimeSpan.FromHours(1), await clock.NextTimerAsync(ct));
            // Count includes aged-out records until a sweep removes them: the old one (49 h) went, the new one (25 h) stays.
            Assert.Equal(1, dht.Records.Count);
            Assert.False(dht.Records.TryGet("/v/old"u8, out _));
            Assert.True(dht.Records.TryGet("/v/new"u8, out _));
            Assert.Equal("/v/new".Length + 2, dht.Records.TotalBytes);

            clock.Advance(TimeSpan.FromHours(24));
            Assert.Equal(TimeSpan.FromHours(1), await clock.NextTimerAsync(ct));
            Assert.Equal(0, dht.Records.Count);
            Assert.Equal(0, dht.Records.TotalBytes);
        }
    }
}
