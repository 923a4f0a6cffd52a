namespace Mesh.Multistream;

/// <summary>How a protocol's value is encoded; decides both the binary size rule and the text codec.</summary>
internal enum MultiaddrValueKind : byte
{
    None,        // no value (tcp-less markers: tls, ws, quic-v1, ...)
    Ip4,         // 4 bytes / dotted quad
    Ip6,         // 16 bytes / RFC 5952 text
    Port,        // 2 bytes big-endian / decimal
    Byte,        // 1 byte / decimal (ipcidr)
    PeerId,      // uvarint length + multihash / base58btc or libp2p-key CID
    CertHash,    // uvarint length + multihash / multibase
    DnsName,     // uvarint length + UTF-8 name (1..255 bytes)
    Text,        // uvarint length + UTF-8 (ip6zone)
    Path,        // uvarint length + bytes / percent-encoded single segment (unix, http-path)
}

/// <summary>
/// Names and value sizes of the <see cref="MultiaddrProtocol"/> codes (multiaddr protocols.csv). The table is
/// explicit switch code: no reflection, AOT-safe, and a name lookup over a span allocates nothing.
/// </summary>
public static class MultiaddrProtocols
{
    /// <summary>True when <paramref name="code"/> is a protocol this library can encode and decode.</summary>
    public static bool IsKnown(ulong code) => code <= int.MaxValue && GetKind((MultiaddrProtocol)(int)code, out _);

    /// <summary>The canonical text name (<c>ip4</c>, <c>quic-v1</c>, <c>p2p</c>, …).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a known protocol.</exception>
    public static string GetName(MultiaddrProtocol protocol) => TryGetName(protocol)
        ?? throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "unknown multiaddr protocol");

    /// <summary>
    /// The fixed value size in bytes (0 for protocols without a value), or -1 for length-prefixed values.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a known protocol.</exception>
    public static int GetValueSize(MultiaddrProtocol protocol)
    {
        if (!GetKind(protocol, out MultiaddrValueKind kind))
        {
            throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "unknown multiaddr protocol");
        }
        return FixedSize(kind);
    }

    /// <summary>Looks a protocol up by its text name; <c>ipfs</c> is accepted as an alias of <c>p2p</c>.</summary>
    public static bool TryParseName(ReadOnlySpan<char> name, out MultiaddrProtocol protocol)
    {
        protocol = name switch
        {
            "ip4" => MultiaddrProtocol.Ip4,
            "tcp" => MultiaddrProtocol.Tcp,
            "dccp" => MultiaddrProtocol.Dccp,
            "ip6" => MultiaddrProtocol.Ip6,
            "ip6zone" => MultiaddrProtocol.Ip6Zone,
            "ipcidr" => MultiaddrProtocol.IpCidr,
            "dns" => MultiaddrProtocol.Dns,
            "dns4" => MultiaddrProtocol.Dns4,
            "dns6" => MultiaddrProtocol.Dns6,
            "dnsaddr" => MultiaddrProtocol.DnsAddr,
            "sctp" => MultiaddrProtocol.Sctp,
            "udp" => MultiaddrProtocol.Udp,
            "webrtc-direct" => MultiaddrProtocol.WebRtcDirect,
            "webrtc" => MultiaddrProtocol.WebRtc,
            "p2p-circuit" => MultiaddrProtocol.P2pCircuit,
            "udt" => MultiaddrProtocol.Udt,
            "utp" => MultiaddrProtocol.Utp,
            "unix" => MultiaddrProtocol.Unix,
            "p2p" or "ipfs" => MultiaddrProtocol.P2p,
            "https" => MultiaddrProtocol.Https,
            "tls" => MultiaddrProtocol.Tls,
            "sni" => MultiaddrProtocol.Sni,
            "noise" => MultiaddrProtocol.Noise,
            "quic" => MultiaddrProtocol.Quic,
            "quic-v1" => MultiaddrProtocol.QuicV1,
            "webtransport" => MultiaddrProtocol.WebTransport,
            "certhash" => MultiaddrProtocol.CertHash,
            "ws" => MultiaddrProtocol.Ws,
            "wss" => MultiaddrProtocol.Wss,
            "http" => MultiaddrProtocol.Http,
            "http-path" => MultiaddrProtocol.HttpPath,
            _ => 0,
        };
        return protocol != 0;
    }

    internal static string? TryGetName(MultiaddrProtocol protocol) => protocol switch
    {
        MultiaddrProtocol.Ip4 => "ip4",
        MultiaddrProtocol.Tcp => "tcp",
        MultiaddrProtocol.Dccp => "dccp",
        MultiaddrProtocol.Ip6 => "ip6",
        MultiaddrProtocol.Ip6Zone => "ip6zone",
        MultiaddrProtocol.IpCidr => "ipcidr",
        MultiaddrProtocol.Dns => "dns",
        MultiaddrProtocol.Dns4 => "dns4",
        MultiaddrProtocol.Dns6 => "dns6",
        MultiaddrProtocol.DnsAddr => "dnsaddr",
        MultiaddrProtocol.Sctp => "sctp",
        MultiaddrProtocol.Udp => "udp",
        MultiaddrProtocol.WebRtcDirect => "webrtc-direct",
        MultiaddrProtocol.WebRtc => "webrtc",
        MultiaddrProtocol.P2pCircuit => "p2p-circuit",
        MultiaddrProtocol.Udt => "udt",
        MultiaddrProtocol.Utp => "utp",
        MultiaddrProtocol.Unix => "unix",
        MultiaddrProtocol.P2p => "p2p",
        MultiaddrProtocol.Https => "https",
        MultiaddrProtocol.Tls => "tls",
        MultiaddrProtocol.Sni => "sni",
        MultiaddrProtocol.Noise => "noise",
        MultiaddrProtocol.Quic => "quic",
        MultiaddrProtocol.QuicV1 => "quic-v1",
        MultiaddrProtocol.WebTransport => "webtransport",
        MultiaddrProtocol.CertHash => "certhash",
        MultiaddrProtocol.Ws => "ws",
        MultiaddrProtocol.Wss => "wss",
        MultiaddrProtocol.Http => "http",
        MultiaddrProtocol.HttpPath => "http-path",
        _ => null,
    };

    internal static bool GetKind(MultiaddrProtocol protocol, out MultiaddrValueKind kind)
    {
        kind = protocol switch
        {
            MultiaddrProtocol.Ip4 => MultiaddrValueKind.Ip4,
            MultiaddrProtocol.Ip6 => MultiaddrValueKind.Ip6,
            MultiaddrProtocol.Tcp or MultiaddrProtocol.Udp or MultiaddrProtocol.Dccp or MultiaddrProtocol.Sctp => MultiaddrValueKind.Port,
            MultiaddrProtocol.IpCidr => MultiaddrValueKind.Byte,
            MultiaddrProtocol.P2p => MultiaddrValueKind.PeerId,
            MultiaddrProtocol.CertHash => MultiaddrValueKind.CertHash,
            MultiaddrProtocol.Dns or MultiaddrProtocol.Dns4 or MultiaddrProtocol.Dns6 or MultiaddrProtocol.DnsAddr or MultiaddrProtocol.Sni => MultiaddrValueKind.DnsName,
            MultiaddrProtocol.Ip6Zone => MultiaddrValueKind.Text,
            MultiaddrProtocol.Unix or MultiaddrProtocol.HttpPath => MultiaddrValueKind.Path,
            _ => MultiaddrValueKind.None,
        };
        return kind != MultiaddrValueKind.None || TryGetName(protocol) is not null;
    }

    internal static int FixedSize(MultiaddrValueKind kind) => kind switch
    {
        MultiaddrValueKind.None => 0,
        MultiaddrValueKind.Ip4 => 4,
        MultiaddrValueKind.Ip6 => 16,
        MultiaddrValueKind.Port => 2,
        MultiaddrValueKind.Byte => 1,
        _ => -1,
    };

    /// <summary>Name for messages: the protocol name, or the numeric code when unknown.</summary>
    internal static string Describe(ulong code) =>
        code <= int.MaxValue && TryGetName((MultiaddrProtocol)(int)code) is string name ? name : code.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
