using System.Net;
using Mesh.TestKit;

namespace Mesh.Multistream.Tests;

public sealed class MultiaddrTests
{
    // Text ↔ binary vectors: the multiaddr spec example, multiaddr test/multiaddr.feature, go-multiaddr TestStringToBytes.
    public static TheoryData<string, string> Vectors() => new()
    {
        { "/ip4/127.0.0.1/tcp/4001", "047f000001060fa1" },
        { "/ip4/192.0.2.42/tcp/443", "04c000022a0601bb" },
        { "/ip4/127.0.0.1/udp/1234", "047f000001910204d2" },
        { "/ip4/127.0.0.1/tcp/4321", "047f0000010610e1" },
        { "/ip4/127.0.0.1/udp/1234/ip4/127.0.0.1/tcp/4321", "047f000001910204d2047f0000010610e1" },
        { "/ip6zone/eth0/ip6/::1", "2a0465746830" + "29" + "00000000000000000000000000000001" },
        { "/ip4/127.0.0.1/udp/4001/quic-v1", "047f0000019102" + "0fa1" + "cd03" },
        { "/ip4/127.0.0.1/udp/4001/quic", "047f0000019102" + "0fa1" + "cc03" },
        { "/dns4/example.com/tcp/443/wss", "360b" + "6578616d706c652e636f6d" + "0601bb" + "de03" },
        { "/dnsaddr/bootstrap.libp2p.io", "3813" + "626f6f7473747261702e6c69627032702e696f" },
        { "/ip4/1.2.3.4/tcp/1/tls/sni/example.com/noise/ws", "04010203040600" + "01" + "c003" + "c1030b6578616d706c652e636f6d" + "c603" + "dd03" },
        { "/ip4/1.2.3.4/udp/1/webrtc-direct", "040102030491020001" + "9802" },
        { "/ip4/1.2.3.4/tcp/1/p2p-circuit", "04010203040600" + "01" + "a202" },
        { "/ip4/192.0.2.0/ipcidr/24", "04c00002002b18" },
        { "/p2p/12D3KooWJSYwr2kQAY4FycvzB1XieuRw9Sp6WGBYQcgKFTPGq6wN",
            "a50326" + "002408011220802297406813d6d49e0585227bfdfe9a28201bd758204aee0d430ef35a2f86b5" },
        { "/unix/%2Ftmp%2Fp2p.sock", "9003" + "0d" + "2f746d702f7032702e736f636b" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Converts_text_and_binary_both_ways(string text, string hex)
    {
        byte[] bytes = Hex.Decode(hex);
        Multiaddr parsed = Multiaddr.Parse(text);
        Assert.Equal(hex, Hex.Encode(parsed.Span));
        Multiaddr fromBytes = Multiaddr.FromBytes(bytes);
        Assert.Equal(text, fromBytes.ToString());
        Assert.Equal(parsed, fromBytes);
        Assert.Equal(parsed.GetHashCode(), fromBytes.GetHashCode());
        Assert.True(Multiaddr.IsValid(bytes));

        Span<char> chars = stackalloc char[fromBytes.GetMaxFormattedLength()];
        Assert.True(fromBytes.TryFormat(chars, out int written));
        Assert.Equal(text, new string(chars[..written]));
    }

    // go-multiaddr TestConstructSucceeds / TestRoundTrip (the protocols this library implements).
    [Theory]
    [InlineData("/ip4/1.2.3.4")]
    [InlineData("/ip4/0.0.0.0")]
    [InlineData("/ip6/::1")]
    [InlineData("/ip6/2601:9:4f81:9700:803e:ca65:66e8:c21")]
    [InlineData("/ip6/2601:9:4f81:9700:803e:ca65:66e8:c21/udp/1234/quic")]
    [InlineData("/ip6/2601:9:4f81:9700:803e:ca65:66e8:c21/udp/1234/quic-v1")]
    [InlineData("/ip6/2001:db8::/ipcidr/32")]
    [InlineData("/ip6zone/x/ip6/fe80::1")]
    [InlineData("/ip6zone/x%y/ip6/fe80::1")]
    [InlineData("/ip6zone/x%y/ip6/::")]
    [InlineData("/ip6zone/x/ip6/fe80::1/udp/1234/quic-v1")]
    [InlineData("/udp/0")]
    [InlineData("/tcp/0")]
    [InlineData("/sctp/0")]
    [InlineData("/udp/65535")]
    [InlineData("/tcp/65535")]
    [InlineData("/p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC")]
    [InlineData("/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV")]
    [InlineData("/udp/1234/sctp/1234")]
    [InlineData("/udp/1234/udt")]
    [InlineData("/udp/1234/utp")]
    [InlineData("/tcp/1234/http")]
    [InlineData("/tcp/1234/tls/http")]
    [InlineData("/tcp/1234/https")]
    [InlineData("/p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC/tcp/1234")]
    [InlineData("/ip4/127.0.0.1/udp/1234/quic-v1/webtransport")]
    [InlineData("/ip4/127.0.0.1/udp/1234/quic-v1/webtransport/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g")]
    [InlineData("/ip4/127.0.0.1/p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC/tcp/1234/unix/stdio")]
    [InlineData("/ip4/127.0.0.1/tcp/127/tls/ws")]
    [InlineData("/ip4/127.0.0.1/tcp/127/noise")]
    [InlineData("/ip4/127.0.0.1/tcp/127/wss")]
    [InlineData("/ip4/127.0.0.1/tcp/127/webrtc-direct")]
    [InlineData("/ip4/127.0.0.1/tcp/127/webrtc")]
    [InlineData("/http-path/tmp%2Fbar")]
    [InlineData("/http-path/tmp%2Fbar%2Fbaz")]
    [InlineData("/ip4/127.0.0.1/tcp/0/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV/http-path/foo")]
    [InlineData("/ip4/127.0.0.1/tcp/443/tls/sni/example.com/http/http-path/foo")]
    [InlineData("/ip6/::ffff:127.0.0.1/tcp/111")]
    [InlineData("/ip4/127.0.0.1/udp/123/ip6/::")]
    [InlineData("/p2p/QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP")]
    [InlineData("/ip4/1.2.3.4/tcp/1/p2p/QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP/p2p-circuit/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV")]
    [InlineData("/dns/xn--bcher-kva.example/tcp/1")]
    [InlineData("/dns/bücher.example/tcp/1")]
    [InlineData("/unix/%2Fdir%2Ffile.socket/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV")]
    [InlineData("/unix/%252F")]
    [InlineData("/unix/%2Fa%2520space")]
    public void Canonical_text_round_trips_exactly(string text)
    {
        Multiaddr addr = Multiaddr.Parse(text);
        Assert.Equal(text, addr.ToString());
        Assert.Equal(addr, Multiaddr.FromBytes(addr.Span));
        Assert.True(Multiaddr.TryParse(text, out Multiaddr? again));
        Assert.Equal(addr, again);
    }

    [Theory]
    [InlineData("/ipfs/QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP", "/p2p/QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP")]
    [InlineData("/ip4/127.0.0.1/tcp/1234/", "/ip4/127.0.0.1/tcp/1234")]
    [InlineData("/tls/", "/tls")]
    [InlineData("/p2p/bafzaajaiaejcalj543iwv2d7pkjt7ykvefrkfu7qjfi6sduakhso4lay6abn2d5u", "/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV")]
    [InlineData("/p2p/bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", "/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N")]
    // go-multiaddr TestConstructSucceeds: base36 libp2p-key CIDs of the two peers above.
    [InlineData("/ipfs/k2k4r8oqamigqdo6o7hsbfwd45y70oyynp98usk7zmyfrzpqxh1pohl7/tcp/1234", "/p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC/tcp/1234")]
    [InlineData("/p2p/k51qzi5uqu5dhb6l8spkdx7yxafegfkee5by8h7lmjh2ehc2sgg34z7c15vzqs", "/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV")]
    [InlineData("/ip6/0:0:0:0:0:0:0:1", "/ip6/::1")]
    [InlineData("/ip6/2001:DB8:0:0:1:0:0:1", "/ip6/2001:db8::1:0:0:1")]
    [InlineData("/ip6/2001:db8:0:1:1:1:1:1", "/ip6/2001:db8:0:1:1:1:1:1")]
    // go-multiaddr's two certhash spellings of the same sha2-256 multihash: base58btc in, base64url out.
    [InlineData("/ip4/1.2.3.4/udp/1/quic-v1/webtransport/certhash/zQmbWTwYGcmdyK9CYfNBcfs9nhZs17a6FQ4Y8oea278xx41",
        "/ip4/1.2.3.4/udp/1/quic-v1/webtransport/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g")]
    [InlineData("/unix/stdi%6F", "/unix/stdio")]
    public void Non_canonical_text_parses_to_the_canonical_form(string text, string canonical)
    {
        Assert.Equal(canonical, Multiaddr.Parse(text).ToString());
        Assert.Equal(Multiaddr.Parse(canonical), Multiaddr.Parse(text));
    }

    // go-multiaddr TestConstructFails, plus our own strictness rules, each with the reason.
    [Theory]
    [InlineData("", MultiaddrError.Empty, null)]
    [InlineData("/", MultiaddrError.Empty, null)]
    [InlineData("ip4/1.2.3.4", MultiaddrError.InvalidSyntax, null)]
    [InlineData("/ip4//tcp/1", MultiaddrError.MissingValue, "ip4")]
    [InlineData("/ip4/1.2.3.4//tcp/1", MultiaddrError.InvalidSyntax, null)]
    [InlineData("/ip4", MultiaddrError.MissingValue, "ip4")]
    [InlineData("/ip4/::1", MultiaddrError.InvalidIPAddress, "ip4")]
    [InlineData("/ip4/fdpsofodsajfdoisa", MultiaddrError.InvalidIPAddress, "ip4")]
    [InlineData("/ip4/127.1", MultiaddrError.InvalidIPAddress, "ip4")]
    [InlineData("/ip4/127.0.0.01", MultiaddrError.InvalidIPAddress, "ip4")]
    [InlineData("/ip4/256.0.0.1", MultiaddrError.InvalidIPAddress, "ip4")]
    [InlineData("/ip4/1.2.3.4.5", MultiaddrError.InvalidIPAddress, "ip4")]
    [InlineData("/ip4/0x7f.0.0.1", MultiaddrError.InvalidIPAddress, "ip4")]
    [InlineData("/ip4/::/ipcidr/256", MultiaddrError.InvalidIPAddress, "ip4")]
    [InlineData("/ip4/1.2.3.4/ipcidr/256", MultiaddrError.InvalidValue, "ipcidr")]
    [InlineData("/ip6", MultiaddrError.MissingValue, "ip6")]
    [InlineData("/ip6/1.2.3.4", MultiaddrError.InvalidIPAddress, "ip6")]
    [InlineData("/ip6/fe80::1%eth0", MultiaddrError.InvalidIPAddress, "ip6")]
    [InlineData("/ip6/[::1]", MultiaddrError.InvalidIPAddress, "ip6")]
    [InlineData("/ip6/::1::2", MultiaddrError.InvalidIPAddress, "ip6")]
    [InlineData("/ip6zone", MultiaddrError.MissingValue, "ip6zone")]
    [InlineData("/ip6zone/", MultiaddrError.MissingValue, "ip6zone")]
    [InlineData("/ip6zone//ip6/fe80::1", MultiaddrError.MissingValue, "ip6zone")]
    [InlineData("/udp", MultiaddrError.MissingValue, "udp")]
    [InlineData("/tcp", MultiaddrError.MissingValue, "tcp")]
    [InlineData("/sctp", MultiaddrError.MissingValue, "sctp")]
    [InlineData("/udp/65536", MultiaddrError.InvalidPort, "udp")]
    [InlineData("/tcp/65536", MultiaddrError.InvalidPort, "tcp")]
    [InlineData("/tcp/-1", MultiaddrError.InvalidPort, "tcp")]
    [InlineData("/tcp/+1", MultiaddrError.InvalidPort, "tcp")]
    [InlineData("/tcp/080", MultiaddrError.InvalidPort, "tcp")]
    [InlineData("/tcp/99999999999", MultiaddrError.InvalidPort, "tcp")]
    [InlineData("/tcp/1a", MultiaddrError.InvalidPort, "tcp")]
    [InlineData("/quic/65536", MultiaddrError.UnknownProtocol, "65536")]
    [InlineData("/quic-v1/65536", MultiaddrError.UnknownProtocol, "65536")]
    [InlineData("/udp/1234/sctp", MultiaddrError.MissingValue, "sctp")]
    [InlineData("/udp/1234/udt/1234", MultiaddrError.UnknownProtocol, "1234")]
    [InlineData("/ip4/127.0.0.1/udp/jfodsajfidosajfoidsa", MultiaddrError.InvalidPort, "udp")]
    [InlineData("/ip4/127.0.0.1/tcp", MultiaddrError.MissingValue, "tcp")]
    [InlineData("/ip4/127.0.0.1/quic/1234", MultiaddrError.UnknownProtocol, "1234")]
    [InlineData("/ip4/127.0.0.1/udp/1234/quic-v1/webtransport/certhash", MultiaddrError.MissingValue, "certhash")]
    [InlineData("/ip4/127.0.0.1/udp/1234/quic-v1/webtransport/certhash/b2uaraocy6yrdblb4sfptaddgimjmmp", MultiaddrError.InvalidCertHash, "certhash")]
    [InlineData("/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8", MultiaddrError.InvalidCertHash, "certhash")]
    [InlineData("/certhash/f0102", MultiaddrError.InvalidCertHash, "certhash")]
    [InlineData("/ip4/127.0.0.1/ipfs", MultiaddrError.MissingValue, "ipfs")]
    [InlineData("/ip4/127.0.0.1/p2p", MultiaddrError.MissingValue, "p2p")]
    [InlineData("/ip4/127.0.0.1/p2p/tcp", MultiaddrError.InvalidPeerId, "p2p")]
    [InlineData("/p2p/QmxoHT6iViN5xAjoz1VZ553cL31U9F94ht3QvWR1FrEbZY", MultiaddrError.InvalidPeerId, "p2p")]
    [InlineData("/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5m0", MultiaddrError.InvalidPeerId, "p2p")]
    [InlineData("/p2p/?unknownmultibase", MultiaddrError.InvalidPeerId, "p2p")]
    [InlineData("/p2p/k2k4r8oqamigqdo6o7hsbfwd45y70oyynp98usk7zmyfrzpqxh1pohl-", MultiaddrError.InvalidPeerId, "p2p")]
    [InlineData("/p2p/k2jmtxwoe2phm1hbqp0e7nufqf6umvuu2e9qd7ana7h411a0haqj6i2z", MultiaddrError.InvalidPeerId, "p2p")] // not libp2p-key
    [InlineData("/p2p/bafybeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", MultiaddrError.InvalidPeerId, "p2p")] // dag-pb CID
    [InlineData("/unix", MultiaddrError.MissingValue, "unix")]
    [InlineData("/unix/%2", MultiaddrError.InvalidValue, "unix")]
    [InlineData("/unix/%zz", MultiaddrError.InvalidValue, "unix")]
    [InlineData("/ip4/1.2.3.4/tcp/80/unix", MultiaddrError.MissingValue, "unix")]
    [InlineData("/ip4/127.0.0.1/tcp/9090/http/p2p-webcrt-direct", MultiaddrError.UnknownProtocol, "p2p-webcrt-direct")]
    [InlineData("/dns", MultiaddrError.MissingValue, "dns")]
    [InlineData("/dns4/\u0001bad/tcp/1", MultiaddrError.InvalidDnsName, "dns4")]
    [InlineData("/onion/timaq4ygg2iegci7:1234", MultiaddrError.UnknownProtocol, "onion")]
    [InlineData("/ip4/1.2.3.4/tcp/1/garbage", MultiaddrError.UnknownProtocol, "garbage")]
    public void Rejects_bad_text_saying_which_component_and_why(string text, MultiaddrError error, string? protocol)
    {
        Assert.False(Multiaddr.TryParse(text, out _, out MultiaddrError actual));
        Assert.Equal(error, actual);
        var ex = Assert.Throws<MultiaddrFormatException>(() => Multiaddr.Parse(text));
        Assert.Equal(error, ex.Error);
        Assert.Equal(protocol, ex.Protocol);
        Assert.IsAssignableFrom<MeshProtocolException>(ex);
        if (protocol is not null)
        {
            Assert.Contains("/" + protocol, ex.Message);
        }
    }

    [Fact]
    public void Rejects_lone_surrogates_in_names_and_paths()
    {
        // Built at run time: a lone surrogate does not survive test-case serialization.
        string lone = new(['\ud800', 'x']);
        Assert.False(Multiaddr.TryParse("/dns4/" + lone, out _, out MultiaddrError error));
        Assert.Equal(MultiaddrError.InvalidDnsName, error);
        Assert.False(Multiaddr.TryParse("/unix/" + lone, out _, out error));
        Assert.Equal(MultiaddrError.InvalidValue, error);
    }

    [Fact]
    public void Rejects_dns_names_longer_than_255_bytes()
    {
        Assert.True(Multiaddr.TryParse("/dns4/" + new string('a', 255), out _));
        Assert.False(Multiaddr.TryParse("/dns4/" + new string('a', 256), out _, out MultiaddrError error));
        Assert.Equal(MultiaddrError.InvalidDnsName, error);
        Assert.False(Multiaddr.TryParse("/unix/" + new string('a', Multiaddr.MaxValueLength + 1), out _, out error));
        Assert.Equal(MultiaddrError.ValueTooLong, error);
        Assert.False(Multiaddr.TryParse("/unix/" + new string('a', 10_000), out _, out error));
        Assert.Equal(MultiaddrError.ValueTooLong, error);
    }

    // Binary input as a peer would send it: each malformed shape gives a typed error, never another exception.
    [Theory]
    [InlineData("", MultiaddrError.Empty, null)]
    [InlineData("04", MultiaddrError.MissingValue, "ip4")]
    [InlineData("047f0000", MultiaddrError.MissingValue, "ip4")]
    [InlineData("047f000001060f", MultiaddrError.MissingValue, "tcp")]
    [InlineData("80", MultiaddrError.InvalidVarint, null)]
    [InlineData("8000", MultiaddrError.InvalidVarint, null)]
    [InlineData("ffffffffffffffffff01", MultiaddrError.InvalidVarint, null)]
    [InlineData("05", MultiaddrError.UnknownProtocol, "5")]
    [InlineData("ffffffffffffffff7f", MultiaddrError.UnknownProtocol, "9223372036854775807")]
    [InlineData("047f000001ff01", MultiaddrError.UnknownProtocol, "255")]
    [InlineData("a503", MultiaddrError.MissingValue, "p2p")]
    [InlineData("a50380", MultiaddrError.MissingValue, "p2p")]
    [InlineData("a5038000", MultiaddrError.InvalidVarint, "p2p")]
    [InlineData("a50302", MultiaddrError.MissingValue, "p2p")]
    [InlineData("a5030400030102", MultiaddrError.InvalidPeerId, "p2p")]                       // identity multihash declares 3 bytes, has 2
    [InlineData("a503221221c05877cbae039d70a5e600ea02c6f9f2942439285c9e344e26f8d280c850fad6", MultiaddrError.InvalidPeerId, "p2p")]
    [InlineData("a503898001", MultiaddrError.ValueTooLong, "p2p")]
    [InlineData("d20302", MultiaddrError.MissingValue, "certhash")]
    [InlineData("d203021220", MultiaddrError.InvalidCertHash, "certhash")]
    [InlineData("3600", MultiaddrError.InvalidDnsName, "dns4")]
    [InlineData("36012f", MultiaddrError.InvalidDnsName, "dns4")]
    [InlineData("3601ff", MultiaddrError.InvalidDnsName, "dns4")]
    [InlineData("360100", MultiaddrError.InvalidDnsName, "dns4")]
    [InlineData("9003" + "00", MultiaddrError.InvalidValue, "unix")]
    public void Rejects_bad_binary_with_a_typed_error(string hex, MultiaddrError error, string? protocol)
    {
        byte[] bytes = Hex.Decode(hex);
        Assert.False(Multiaddr.IsValid(bytes));
        Assert.False(Multiaddr.TryValidate(bytes, out MultiaddrError actual));
        Assert.Equal(error, actual);
        Assert.False(Multiaddr.TryRead(bytes, out _));
        var ex = Assert.Throws<MultiaddrFormatException>(() => Multiaddr.FromBytes(bytes));
        Assert.Equal(error, ex.Error);
        Assert.Equal(protocol, ex.Protocol);
    }

    [Fact]
    public void Every_proper_prefix_is_valid_exactly_at_component_boundaries()
    {
        Multiaddr addr = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV/p2p-circuit/dns4/example.com/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g");
        var boundaries = new HashSet<int>();
        var reader = new MultiaddrReader(addr.Span);
        while (reader.TryRead(out _, out _))
        {
            boundaries.Add(reader.Position);
        }
        for (int length = 1; length <= addr.Span.Length; length++)
        {
            Assert.Equal(boundaries.Contains(length), Multiaddr.IsValid(addr.Span[..length]));
        }
    }

    [Fact]
    public void Enumerates_components_with_raw_values()
    {
        Multiaddr addr = Multiaddr.Parse("/ip4/127.0.0.1/udp/4001/quic-v1/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV");
        var seen = new List<(MultiaddrProtocol, string, string)>();
        foreach (MultiaddrComponent c in addr)
        {
            seen.Add((c.Protocol, Hex.Encode(c.Value), c.ToString()));
        }
        Assert.Equal(4, seen.Count);
        Assert.Equal(4, addr.Count);
        Assert.Equal((MultiaddrProtocol.Ip4, "7f000001", "/ip4/127.0.0.1"), seen[0]);
        Assert.Equal((MultiaddrProtocol.Udp, "0fa1", "/udp/4001"), seen[1]);
        Assert.Equal((MultiaddrProtocol.QuicV1, "", "/quic-v1"), seen[2]);
        Assert.Equal(MultiaddrProtocol.P2p, seen[3].Item1);
        Assert.Equal(Hex.Encode(Base58.Decode("12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV")), seen[3].Item2);

        Assert.True(addr.TryGetComponent(MultiaddrProtocol.Udp, out ReadOnlySpan<byte> port));
        Assert.Equal("0fa1", Hex.Encode(port));
        Assert.False(addr.TryGetComponent(MultiaddrProtocol.Tcp, out _));
        Assert.True(addr.Contains(MultiaddrProtocol.QuicV1));
        Assert.True(addr.TryGetPeerId(out ReadOnlySpan<byte> peer));
        Assert.Equal("12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV", Base58.Encode(peer));
    }

    [Fact]
    public void Peer_id_is_the_final_p2p_component_only()
    {
        Assert.False(Multiaddr.Parse("/ip4/1.2.3.4/tcp/1/p2p/QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP/p2p-circuit").TryGetPeerId(out _));
        Multiaddr circuit = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1/p2p/QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP/p2p-circuit/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV");
        Assert.True(circuit.TryGetPeerId(out ReadOnlySpan<byte> target));
        Assert.Equal("12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV", Base58.Encode(target));
        Assert.False(Multiaddr.Parse("/ip4/1.2.3.4/tcp/1").TryGetPeerId(out _));
    }

    [Fact]
    public void Encapsulates_and_decapsulates()
    {
        Multiaddr m = Multiaddr.Parse("/ip4/127.0.0.1/udp/1234");
        Multiaddr b = m.Encapsulate(Multiaddr.Parse("/udp/5678"));
        Assert.Equal("/ip4/127.0.0.1/udp/1234/udp/5678", b.ToString());
        Assert.Equal("/ip4/127.0.0.1/udp/1234", b.Decapsulate(Multiaddr.Parse("/udp/5678")).ToString());
        Assert.Equal("/ip4/127.0.0.1/udp/1234/udp/5678", m.Encapsulate("/udp/5678").ToString());
        Assert.Same(Multiaddr.Empty, m.Decapsulate(Multiaddr.Parse("/ip4/127.0.0.1")));
        Assert.Equal("", Multiaddr.Empty.ToString());
        Assert.True(Multiaddr.Empty.IsEmpty);

        Multiaddr withPeer = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1").WithPeerId(Base58.Decode("QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP"));
        Assert.Equal("/ip4/1.2.3.4/tcp/1/p2p/QmbHVEEepCi7rn7VL7Exxpd2Ci9NNB6ifvqwhsrbRMgQFP", withPeer.ToString());
        Assert.Equal("/ip4/1.2.3.4/tcp/1", withPeer.Decapsulate(MultiaddrProtocol.P2p).ToString());
        Assert.Same(withPeer, withPeer.Decapsulate(MultiaddrProtocol.Udp));
        Assert.Throws<MultiaddrFormatException>(() => withPeer.WithPeerId([0x12, 0x01, 0x00]));
    }

    // go-multiaddr TestDecapsulate.
    [Theory]
    [InlineData("/ip4/1.2.3.4/tcp/1234", "/ip4/1.2.3.4", "")]
    [InlineData("/ip4/1.2.3.4", "/ip4/1.2.3.4/tcp/1234", "/ip4/1.2.3.4")]
    [InlineData("/ip4/1.2.3.5/tcp/1234", "/ip4/5.3.2.1", "/ip4/1.2.3.5/tcp/1234")]
    [InlineData("/ip4/1.2.3.5/udp/1234/quic-v1", "/udp/1234", "/ip4/1.2.3.5")]
    [InlineData("/ip4/1.2.3.6/udp/1234/quic-v1", "/udp/1234/quic-v1", "/ip4/1.2.3.6")]
    [InlineData("/ip4/1.2.3.7/tcp/1234", "/ws", "/ip4/1.2.3.7/tcp/1234")]
    [InlineData("/dnsaddr/wss.com/tcp/4001", "/ws", "/dnsaddr/wss.com/tcp/4001")]
    [InlineData("/dnsaddr/wss.com/tcp/4001/ws", "/wss", "/dnsaddr/wss.com/tcp/4001/ws")]
    [InlineData("/dnsaddr/wss.com/ws", "/wss", "/dnsaddr/wss.com/ws")]
    [InlineData("/dnsaddr/wss.com/ws", "/dnsaddr/wss.com", "")]
    [InlineData("/dnsaddr/wss.com/tcp/4001/wss", "/wss", "/dnsaddr/wss.com/tcp/4001")]
    [InlineData("/ip4/1.1.1.1/tcp/1/ip4/1.1.1.1/tcp/2", "/ip4/1.1.1.1", "/ip4/1.1.1.1/tcp/1")]
    public void Decapsulates_like_go_multiaddr(string left, string right, string expected)
    {
        Assert.Equal(expected, Multiaddr.Parse(left).Decapsulate(Multiaddr.Parse(right)).ToString());
    }

    [Fact]
    public void Decapsulate_matches_whole_components_only()
    {
        // /tcp/1/ip4/6.0.1.9 = 06 00 01 | 04 06 00 01 09: the bytes of /tcp/1 occur again inside the ip4 value.
        // A byte search would cut there and leave a truncated ip4; matching whole components cuts at offset 0.
        Multiaddr addr = Multiaddr.Parse("/tcp/1/ip4/6.0.1.9");
        Assert.Equal("06000104060001" + "09", Hex.Encode(addr.Span));
        Assert.Same(Multiaddr.Empty, addr.Decapsulate(Multiaddr.Parse("/tcp/1")));
        Assert.Equal("/tcp/1", addr.Decapsulate(Multiaddr.Parse("/ip4/6.0.1.9")).ToString());
    }

    [Fact]
    public void Converts_to_and_from_ip_endpoints()
    {
        Multiaddr v4 = Multiaddr.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 4001));
        Assert.Equal("/ip4/127.0.0.1/tcp/4001", v4.ToString());
        Assert.True(v4.TryGetIPEndPoint(out IPEndPoint? ep, out MultiaddrProtocol transport));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 4001), ep);
        Assert.Equal(MultiaddrProtocol.Tcp, transport);

        Multiaddr v6 = Multiaddr.FromIPEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 5), MultiaddrProtocol.Udp);
        Assert.Equal("/ip6/::1/udp/5", v6.ToString());
        Assert.True(v6.Encapsulate("/quic-v1").TryGetIPEndPoint(out ep));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 5), ep);

        // What a dual-mode socket reports for an IPv4 peer.
        Multiaddr mapped = Multiaddr.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.1"), 80));
        Assert.Equal("/ip4/10.0.0.1/tcp/80", mapped.ToString());

        Multiaddr zoned = Multiaddr.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("fe80::1%3"), 80));
        Assert.Equal("/ip6zone/3/ip6/fe80::1/tcp/80", zoned.ToString());

        Assert.False(Multiaddr.Parse("/dns4/example.com/tcp/1").TryGetIPEndPoint(out _));
        Assert.False(Multiaddr.Parse("/ip4/1.2.3.4").TryGetIPEndPoint(out _));
        Assert.False(Multiaddr.Parse("/ip4/1.2.3.4/ws").TryGetIPEndPoint(out _));
        Assert.Throws<ArgumentException>(() => Multiaddr.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 1), MultiaddrProtocol.Ws));
    }

    [Fact]
    public void Equality_is_on_bytes()
    {
        Multiaddr a = Multiaddr.Parse("/ip4/127.0.0.1/tcp/1234");
        Multiaddr b = Multiaddr.Parse("/ip4/127.0.0.1/tcp/1234/");
        Multiaddr c = Multiaddr.Parse("/ip4/127.0.0.1/udp/1234");
        Assert.True(a == b);
        Assert.False(a != b);
        Assert.NotEqual(a, c);
        Assert.False(a.Equals(null));
        Assert.True((Multiaddr?)null == null);
        Assert.Equal(a.ToArray(), b.Bytes.ToArray());
    }

    [Fact]
    public void Validating_and_enumerating_binary_allocates_nothing()
    {
        byte[] bytes = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1/p2p/12D3KooWCryG7Mon9orvQxcS1rYZjotPgpwoJNHHKcLLfE4Hf5mV/p2p-circuit/dns4/example.com/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g").ToArray();
        Multiaddr addr = Multiaddr.FromBytes(bytes);
        Span<char> text = stackalloc char[addr.GetMaxFormattedLength()];
        int Work()
        {
            int count = 0;
            Multiaddr.Validate(bytes);
            count += Multiaddr.IsValid(bytes) ? 1 : 0;
            var reader = new MultiaddrReader(bytes);
            while (reader.TryRead(out MultiaddrComponent c, out _))
            {
                count += c.Value.Length;
            }
            foreach (MultiaddrComponent c in addr)
            {
                count += c.Code;
            }
            return count;
        }
        Work();
        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = Work();
        addr.TryFormat(text, out int written);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(total > 0 && written > 0);
        Assert.Equal(0, allocated);
    }
}
