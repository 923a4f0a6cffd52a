using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Node;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Tests.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Kademlia.Tests.Node;

/// <summary>
/// Port of mesh/hivemind test_dhtnode_caching with the clock faked instead of slept: every <c>asyncio.sleep(n*T)</c>
/// is a <see cref="FakeTimeProvider.Advance"/> followed by waiting until the node's cache-refresh loop is idle, so
/// the queue lengths the Python test checks are checked at the same points of DHT time, deterministically.
/// </summary>
public sealed class DhtNodeCachingTests
{
    private const double T = 1.0; // seconds of DHT time per hivemind "T"

    [Fact]
    public async Task Dhtnode_caching()
    {
        CancellationToken ct = DhtTestNetwork.Timeout(120);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var swarm = new DhtSwarm(DhtNetworkKind.InMemory);
        var options = new DhtNodeOptions
        {
            CacheRefreshBeforeExpiry = TimeSpan.FromSeconds(5 * T),
            ReuseGetRequests = false,
            TimeProvider = time,
        };
        DhtNode node2 = await swarm.AddAsync(options);
        DhtNode node1 = await swarm.AddAsync(options with { ClientMode = true }, [node2]);
        double Now() => node1.Protocol.Clock.Now;

        async Task SleepAsync(double periods)
        {
            time.Advance(TimeSpan.FromSeconds(periods * T));
            await node1.Refresher.WhenIdleAsync().WaitAsync(ct);
            await node1.WhenIdleAsync().WaitAsync(ct);
        }

        Assert.True(await node2.StoreAsync("k", MsgValue.Array(123, "value"), Now() + 7 * T, cancellationToken: ct));
        Assert.True(await node2.StoreAsync("k2", MsgValue.Array(654, "value"), Now() + 7 * T, cancellationToken: ct));
        Assert.True(await node2.StoreAsync("k3", MsgValue.Array(654, "value"), Now() + 15 * T, cancellationToken: ct));
        await node1.GetManyAsync(["k", "k2", "k3", "k4"], cancellationToken: ct);
        Assert.Equal(3, node1.Protocol.Stores.Cache.Count);
        Assert.Equal(0, node1.CacheRefreshQueueCount); // found remotely: nothing to refresh yet

        await node1.GetManyAsync(["k", "k2", "k3", "k4"], cancellationToken: ct);
        Assert.Equal(3, node1.CacheRefreshQueueCount); // served from the cache: refresh before they expire

        Assert.True(await node2.StoreAsync("k", MsgValue.Array(123, "value"), Now() + 12 * T, cancellationToken: ct));
        await SleepAsync(4); // k and k2 were refreshed at 2T; k now expires at 12T in node1's cache
        await node1.GetAsync("k", cancellationToken: ct);
        await SleepAsync(1);

        Assert.Equal(3, node1.Protocol.Stores.Cache.Count);
        Assert.Equal(2, node1.CacheRefreshQueueCount); // k (at 7T) and k3 (at 10T)
        await SleepAsync(3);
        Assert.Equal(1, node1.CacheRefreshQueueCount);

        await SleepAsync(5);
        Assert.Equal(0, node1.CacheRefreshQueueCount);
        await SleepAsync(5);
        Assert.Equal(0, node1.CacheRefreshQueueCount);

        Assert.True(await node2.StoreAsync("k", MsgValue.Array(123, "value"), Now() + 10 * T, cancellationToken: ct));
        await node1.GetAsync("k", cancellationToken: ct);
        await SleepAsync(1);
        Assert.Equal(0, node1.CacheRefreshQueueCount);
        await node1.GetAsync("k", cancellationToken: ct);
        await SleepAsync(1);
        Assert.Equal(1, node1.CacheRefreshQueueCount);

        await SleepAsync(5);
        Assert.Equal(0, node1.CacheRefreshQueueCount);
    }

    [Fact]
    public async Task A_get_caches_the_value_on_the_nearest_node_that_lacked_it()
    {
        CancellationToken ct = DhtTestNetwork.Timeout(120);
        await using var swarm = new DhtSwarm(DhtNetworkKind.InMemory);
        DhtNode[] nodes = await swarm.StarAsync(12, new DhtNodeOptions { NumReplicas = 1, CacheNearest = 1 });
        DhtNode writer = nodes[1];
        Assert.True(await writer.StoreAsync("hot", "value", DhtClock.System.Now + 100, cancellationToken: ct));
        await Task.WhenAll(nodes.Select(n => n.WhenIdleAsync()));
        DhtNode reader = nodes.First(n => !n.Protocol.Stores.Storage.Contains(DhtId.Generate("hot")) && !n.Protocol.Stores.Cache.Contains(DhtId.Generate("hot")));
        // The reader holds nothing, so only its cache_nearest store can reach the other nodes' store handlers.
        long StoresServedByOthers() => nodes.Where(n => n != reader).Sum(n => n.Protocol.Statistics.StoreRequestsServed);
        long before = StoresServedByOthers();

        Assert.Equal((MsgValue)"value", (await reader.GetAsync("hot", cancellationToken: ct))!.Value);
        await Task.WhenAll(nodes.Select(n => n.WhenIdleAsync()));

        Assert.True(reader.Protocol.Stores.Cache.Contains(DhtId.Generate("hot"))); // cache_locally
        Assert.Equal(before + 1, StoresServedByOthers()); // cache_nearest = 1: one in_cache store to a node other than the source
    }

    [Fact]
    public async Task Stale_buckets_are_refreshed_every_refresh_timeout()
    {
        CancellationToken ct = DhtTestNetwork.Timeout(120);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var swarm = new DhtSwarm(DhtNetworkKind.InMemory);
        DhtNode[] nodes = await swarm.StarAsync(6, new DhtNodeOptions { TimeProvider = time });
        DhtNode refresher = await swarm.AddAsync(new DhtNodeOptions { TimeProvider = time, RefreshTimeout = TimeSpan.FromMinutes(1) }, [nodes[0]]);
        await refresher.WhenIdleAsync();
        var refreshed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        refresher.TraversalObserver = _ => refreshed.TrySetResult();

        // Move the clock past the refresh timeout until the loop (on the thread pool) has looked up a stale bucket;
        // bounded in steps, each given up to a second of real time to be noticed.
        for (int step = 0; step < 20 && !refreshed.Task.IsCompleted; step++)
        {
            time.Advance(TimeSpan.FromSeconds(61));
            await Task.WhenAny(refreshed.Task, Task.Delay(TimeSpan.FromSeconds(1), ct));
        }

        Assert.True(refreshed.Task.IsCompleted, "no refresh lookup after the refresh timeout");
        Assert.True(refresher.Protocol.RoutingTable.Count >= 6);
    }
}
