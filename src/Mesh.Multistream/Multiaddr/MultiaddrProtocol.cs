namespace Mesh.Multistream;

/// <summary>
/// The multiaddr protocols this library encodes and decodes; each value is the protocol's multicodec code
/// (https://github.com/multiformats/multiaddr/blob/master/protocols.csv, multicodec table.csv). Codes outside this
/// list are rejected as unknown, because their value size cannot be known.
/// </summary>
public enum MultiaddrProtocol
{
    /// <summary>IPv4 address, 4 bytes (<c>/ip4/127.0.0.1</c>).</summary>
    Ip4 = 4,

    /// <summary>TCP port, 2 bytes big-endian.</summary>
    Tcp = 6,

    /// <summary>DCCP port, 2 bytes big-endian.</summary>
    Dccp = 33,

    /// <summary>IPv6 address, 16 bytes (<c>/ip6/::1</c>).</summary>
    Ip6 = 41,

    /// <summary>IPv6 zone (RFC 4007), variable-length text.</summary>
    Ip6Zone = 42,

    /// <summary>CIDR prefix length, 1 byte.</summary>
    IpCidr = 43,

    /// <summary>Domain name resolving to IPv4 and/or IPv6.</summary>
    Dns = 53,

    /// <summary>Domain name resolving to IPv4 only.</summary>
    Dns4 = 54,

    /// <summary>Domain name resolving to IPv6 only.</summary>
    Dns6 = 55,

    /// <summary>Domain name whose TXT <c>_dnsaddr.</c> records hold multiaddrs.</summary>
    DnsAddr = 56,

    /// <summary>SCTP port, 2 bytes big-endian.</summary>
    Sctp = 132,

    /// <summary>UDP port, 2 bytes big-endian.</summary>
    Udp = 273,

    /// <summary>WebRTC direct (browser to server), no value.</summary>
    WebRtcDirect = 280,

    /// <summary>WebRTC (browser to browser via relay), no value.</summary>
    WebRtc = 281,

    /// <summary>Circuit relay v2 hop, no value.</summary>
    P2pCircuit = 290,

    /// <summary>UDT, no value.</summary>
    Udt = 301,

    /// <summary>uTP, no value.</summary>
    Utp = 302,

    /// <summary>Unix domain socket path; percent-encoded as one segment in text (multiaddr protocols/unix.md).</summary>
    Unix = 400,

    /// <summary>Peer id: a multihash (text: base58btc, or a <c>libp2p-key</c> CID). Text alias <c>ipfs</c>.</summary>
    P2p = 421,

    /// <summary>HTTPS (deprecated alias of <c>/tls/http</c>), no value.</summary>
    Https = 443,

    /// <summary>TLS, no value.</summary>
    Tls = 448,

    /// <summary>TLS server name indication, a domain name.</summary>
    Sni = 449,

    /// <summary>Noise, no value.</summary>
    Noise = 454,

    /// <summary>QUIC draft-29, no value.</summary>
    Quic = 460,

    /// <summary>QUIC version 1 (RFC 9000), no value.</summary>
    QuicV1 = 461,

    /// <summary>WebTransport, no value.</summary>
    WebTransport = 465,

    /// <summary>TLS certificate hash: a multihash (text: multibase, printed as base64url).</summary>
    CertHash = 466,

    /// <summary>WebSocket, no value.</summary>
    Ws = 477,

    /// <summary>Secure WebSocket (deprecated alias of <c>/tls/ws</c>), no value.</summary>
    Wss = 478,

    /// <summary>HTTP, no value.</summary>
    Http = 480,

    /// <summary>HTTP path; percent-encoded as one segment in text (multiaddr protocols/httppath.md).</summary>
    HttpPath = 481,
}
