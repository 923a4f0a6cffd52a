using Mesh.Kademlia.Libp2p;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Kademlia.Tests.Libp2p;

/// <summary>The DHT's timers on a fake clock: provider republish (22 h) and the hourly sweep of expired records.</summary>
public sealed class KadDhtMaintenanceTests
{
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
}
