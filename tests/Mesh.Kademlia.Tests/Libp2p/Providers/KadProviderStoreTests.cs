using Mesh.Kademlia.Libp2p.Providers;
using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Libp2p.Providers;

public sealed class KadProviderStoreTests
{
    private static readonly byte[] Key = Multihash.ComputeSha2_256("content"u8);
    private static readonly Multiaddr Address = Multiaddr.Parse("/ip4/1.2.3.4/tcp/4001");

    private static PeerId NewPeer() => PrivateKey.Generate(KeyType.Ed25519).PeerId;

    [Fact]
    public void Records_expire_after_48_hours_and_addresses_after_their_ttl()
    {
        var clock = new ManualTimeProvider();
        var store = new KadProviderStore(timeProvider: clock);
        PeerId p = NewPeer();
        Assert.Equal(KadProviderAddResult.Added, store.Add(Key, p, [Address]));
        Assert.Equal(Address, Assert.Single(Assert.Single(store.Get(Key)).Addresses));
        clock.Advance(TimeSpan.FromMinutes(31));
        KadProviderStore.ProviderRecord r = Assert.Single(store.Get(Key));
        Assert.Equal(p, r.Provider);
        Assert.Empty(r.Addresses); // past the address TTL only the peer id is served
        clock.Advance(TimeSpan.FromHours(48));
        Assert.Empty(store.Get(Key));
        Assert.Equal(1, store.Sweep());
        Assert.Equal(0, store.KeyCount);
    }

    [Fact]
    public void Re_announcing_refreshes_and_keeps_known_addresses_when_none_are_given()
    {
        var clock = new ManualTimeProvider();
        var store = new KadProviderStore(timeProvider: clock);
        PeerId p = NewPeer();
        store.Add(Key, p, [Address]);
        clock.Advance(TimeSpan.FromHours(47));
        Assert.Equal(KadProviderAddResult.Refreshed, store.Add(Key, p, []));
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(p, Assert.Single(store.Get(Key)).Provider);
    }

    [Fact]
    public void A_full_key_rotates_out_the_soonest_expiring_provider()
    {
        var clock = new ManualTimeProvider();
        var store = new KadProviderStore(new KadProviderStoreOptions { MaxProvidersPerKey = 2 }, clock);
        PeerId a = NewPeer(), b = NewPeer(), c = NewPeer();
        store.Add(Key, a, [Address]);
        clock.Advance(TimeSpan.FromMinutes(1));
        store.Add(Key, b, [Address]);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(KadProviderAddResult.Added, store.Add(Key, c, [Address]));
        Assert.Equal([b, c], store.Get(Key).Select(r => r.Provider));
    }

    [Fact]
    public void Key_count_and_key_shape_are_limited()
    {
        var store = new KadProviderStore(new KadProviderStoreOptions { MaxKeys = 1, MaxAddressesPerProvider = 1 });
        PeerId p = NewPeer();
        Assert.Equal(KadProviderAddResult.InvalidKey, store.Add("not a multihash"u8, p, []));
        Assert.Equal(KadProviderAddResult.Added, store.Add(Key, p, [Address, Multiaddr.Parse("/ip4/5.6.7.8/tcp/1")]));
        Assert.Single(Assert.Single(store.Get(Key)).Addresses);
        Assert.Equal(KadProviderAddResult.Full, store.Add(Multihash.ComputeSha2_256("other"u8), p, []));
    }
}
