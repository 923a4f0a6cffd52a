namespace Mesh.Transport.Protocols.Identify;

/// <summary>
/// The identify message (libp2p identify spec; field numbers as in go/rust/js <c>identify.proto</c>):
/// <code>
///   message Identify {
///     optional string protocolVersion  = 5;
///     optional string agentVersion     = 6;
///     optional bytes  publicKey        = 1;   // libp2p PublicKey protobuf
///     repeated bytes  listenAddrs      = 2;   // binary multiaddrs
///     optional bytes  observedAddr     = 4;   // binary multiaddr of the receiver as the sender sees it
///     repeated string protocols        = 3;
///     optional bytes  signedPeerRecord = 8;   // not in the spec text; go, rust and js send it
///   }
/// </code>
/// Byte fields are kept as received (the codec checks sizes, not meaning); the identify service turns them into keys
/// and multiaddrs and drops the ones that do not parse.
/// </summary>
public sealed class IdentifyMessage
{
    public string? ProtocolVersion { get; set; }

    public string? AgentVersion { get; set; }

    public byte[]? PublicKey { get; set; }

    public List<byte[]> ListenAddrs { get; } = [];

    public byte[]? ObservedAddr { get; set; }

    public List<string> Protocols { get; } = [];

    public byte[]? SignedPeerRecord { get; set; }
}
