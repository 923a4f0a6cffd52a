using Mesh.Kademlia.Libp2p.Routing;
using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Libp2p.Routing;

public sealed class KadIpGroupFilterTests
{
    private static PeerId NewPeer() => PrivateKey.Generate(KeyType.Ed25519).PeerId;

    private static Multiaddr[] At(string address) => [Multiaddr.Parse(address)];

    [Theory]
    [InlineData("/ip4/8.8.4.4/tcp/1", "ip4/8.8")]
    [InlineData("/ip6/2001:db8:1:2::1/tcp/1", "ip6/20010db8")]
    [InlineData("/ip4/127.0.0.1/tcp/1", null)]
    [InlineData("/ip4/10.1.2.3/tcp/1", null)]
    [InlineData("/ip4/192.168.0.1/tcp/1", null)]
    [InlineData("/ip4/172.20.0.1/tcp/1", null)]
    [InlineData("/ip6/::1/tcp/1", null)]
    [InlineData("/ip6/fe80::1/tcp/1", null)]
    [InlineData("/dns4/example.com/tcp/1", null)]
    public void Groups_are_the_slash_16_or_slash_32_of_the_first_public_address(string address, string? group) =>
        Assert.Equal(group, KadIpGroupFilter.GetGroup(At(address)));

    [Fact]
    public void At_most_the_limit_per_group_and_private_peers_are_exempt()
    {
        var filter = new KadIpGroupFilter(maxPerGroup: 2);
        PeerId a = NewPeer(), b = NewPeer(), c = NewPeer(), d = NewPeer();
        Assert.True(filter.Allows(a, At("/ip4/8.8.1.1/tcp/1")));
        filter.Added(a, At("/ip4/8.8.1.1/tcp/1"));
        filter.Added(b, At("/ip4/8.8.2.2/tcp/1"));
        Assert.False(filter.Allows(c, At("/ip4/8.8.3.3/tcp/1")));
        Assert.True(filter.Allows(c, At("/ip4/9.9.3.3/tcp/1")));
        Assert.True(filter.Allows(a, At("/ip4/8.8.1.1/tcp/1"))); // already counted
        Assert.True(filter.Allows(d, At("/ip4/127.0.0.1/tcp/1")));
        filter.Removed(a);
        Assert.True(filter.Allows(c, At("/ip4/8.8.3.3/tcp/1")));
    }
}
