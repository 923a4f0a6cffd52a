using Mesh.Kademlia.Validation;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Metrics;
using Mesh.Node.Subnet;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Node.Tests.Subnet;

/// <summary>The heartbeat publisher: what it stores, with which lifetime, its loop, OFFLINE on stop, and failures.</summary>
public sealed class HeartbeatServiceTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemorySubnetDht _dht;

    public HeartbeatServiceTests()
    {
        var clock = new SubnetEpochClock();
        clock.Update(ChainClock.At(100, 20, 3));
        _dht = new InMemorySubnetDht(new CompositeValidator([new SignatureValidator(PrivateKey.Generate(KeyType.Ed25519)),
            new PredicateValidator(new SubnetRecordPredicate(clock, time: _time))]), _time);
    }

    private double Now => _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    [Fact]
    public async Task Publish_stores_a_signed_heartbeat_every_reader_attributes_to_this_peer()
    {
        PrivateKey key = PrivateKey.Generate(KeyType.Rsa);
        using var metrics = new NodeMetrics();
        var service = new HeartbeatService(_dht.For(key), key.PublicKey, new HeartbeatOptions { UpdatePeriod = TimeSpan.FromSeconds(30), PublicName = "alpha" },
            metrics: metrics, time: _time);
        Assert.Equal(TimeSpan.FromSeconds(60), service.Expiration);
        Assert.True(await service.PublishAsync(ServerState.Online, TestContext.Current.CancellationToken));
        NodeHeartbeat beat = Assert.Single(HeartbeatRecord.Parse(_dht.Read(HeartbeatRecord.Key), out int malformed));
        Assert.Equal(0, malformed);
        Assert.Equal(key.PeerId, beat.PeerId);
        Assert.Equal(ServerState.Online, beat.Server.State);
        Assert.Equal("alpha", beat.Server.PublicName);
        Assert.Equal("validator", beat.Server.Role);
        Assert.Equal(Now + 60, beat.ExpirationTime, 3);

        _time.Advance(TimeSpan.FromSeconds(1)); // the DHT keeps a subkey's newest expiration only
        await service.AnnounceOfflineAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(ServerState.Offline, Assert.Single(HeartbeatRecord.Parse(_dht.Read(HeartbeatRecord.Key), out _)).Server.State);
        Assert.Equal(2, service.Published);
    }

    [Fact]
    public async Task The_loop_republishes_every_period_and_stops_on_cancellation()
    {
        PrivateKey key = PrivateKey.Generate(KeyType.Ed25519);
        var service = new HeartbeatService(_dht.For(key), key.PublicKey, new HeartbeatOptions { UpdatePeriod = TimeSpan.FromSeconds(10) }, time: _time);
        using var cts = new CancellationTokenSource();
        Task loop = service.RunAsync(cts.Token);
        for (int i = 0; i < 200 && service.Published < 3; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        Assert.True(service.Published >= 3, $"published {service.Published}");
        await cts.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_dht_that_fails_or_refuses_is_reported_not_thrown()
    {
        PrivateKey key = PrivateKey.Generate(KeyType.Ed25519);
        var service = new HeartbeatService(_dht.For(key), key.PublicKey, new HeartbeatOptions { UpdatePeriod = TimeSpan.FromSeconds(3000) }, time: _time);
        Assert.False(await service.PublishAsync(ServerState.Online, TestContext.Current.CancellationToken)); // 6000 s is past the 1980 s cap
        _dht.Failure = new IOException("no route");
        Assert.False(await service.PublishAsync(ServerState.Online, TestContext.Current.CancellationToken));
        Assert.Equal(0, service.Published);
    }

    [Fact]
    public void The_key_must_be_the_dht_nodes_identity()
    {
        PrivateKey a = PrivateKey.Generate(KeyType.Ed25519), b = PrivateKey.Generate(KeyType.Ed25519);
        Assert.Throws<ArgumentException>(() => new HeartbeatService(_dht.For(a), b.PublicKey, new HeartbeatOptions()));
    }
}
