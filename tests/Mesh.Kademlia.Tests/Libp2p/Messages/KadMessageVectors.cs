namespace Mesh.Kademlia.Tests.Libp2p.Messages;

/// <summary>
/// Message bodies encoded by js-libp2p's own kad-dht codec (@libp2p/kad-dht 16.4.5 dist/src/message/dht.js, through
/// interop/js/peer.mjs <c>kad-encode</c>; records serialized by @libp2p/record 4.0.15), captured once and kept here.
/// </summary>
internal static class KadMessageVectors
{
    public const string Ed25519PeerId = "00240801122008eb50a6c0cdd3e0c0cfac1a2abd3a6e4d8f2c7b7b3f4b0b9c1d2e3f40516273";
    public const string Sha256PeerId = "1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// <summary>FIND_NODE, key = the Ed25519 peer id, two closer peers (/ip4/127.0.0.1/tcp/4001 + /ip6/::1/tcp/4002; /ip4/10.0.0.1/tcp/1234 CONNECTED).</summary>
    public const string FindNodeResponse =
        "0804122600240801122008eb50a6c0cdd3e0c0cfac1a2abd3a6e4d8f2c7b7b3f4b0b9c1d2e3f4051627342480a2600240801122008eb50a6c0cdd3e0c0cfac1a2abd3a6e4d8f2c7b7b3f4b0b9c1d2e3f405162731208047f000001060fa112142900000000000000000000000000000001060fa242300a221220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8551208040a0000010604d21801";

    /// <summary>PUT_VALUE (type 0, so not written) of /v/hello = "world", timeReceived 2025-01-02T03:04:05.678000000Z.</summary>
    public const string PutValue =
        "12082f762f68656c6c6f1a310a082f762f68656c6c6f1205776f726c642a1e323032352d30312d30325430333a30343a30352e3637383030303030305a";

    /// <summary>GET_PROVIDERS with clusterLevel 3 (js writes field 10 second) and one provider.</summary>
    public const string GetProvidersWithClusterLevel =
        "0803500312221220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8554a320a2600240801122008eb50a6c0cdd3e0c0cfac1a2abd3a6e4d8f2c7b7b3f4b0b9c1d2e3f405162731208047f000001060fa1";

    public const string Ping = "0805";
}
