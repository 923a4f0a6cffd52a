namespace Mesh.Transport.Noise;

/// <summary>
/// The libp2p handshake payload carried (encrypted) in XX messages 2 and 3 (libp2p/specs noise/README.md, "The libp2p
/// Handshake Payload"):
/// <code>
///   syntax = "proto2";
///   message NoiseExtensions {
///     repeated bytes  webtransport_certhashes = 1;
///     repeated string stream_muxers           = 2;
///   }
///   message NoiseHandshakePayload {
///     optional bytes           identity_key = 1;   // serialized libp2p PublicKey protobuf
///     optional bytes           identity_sig = 2;   // sig("noise-libp2p-static-key:" ‖ static X25519 public key)
///     optional NoiseExtensions extensions   = 4;
///   }
/// </code>
/// An absent bytes field reads as empty. <see cref="NoisePayloadCodec"/> encodes and decodes it.
/// </summary>
internal sealed class NoiseHandshakePayload
{
    public ReadOnlyMemory<byte> IdentityKey { get; init; }

    public ReadOnlyMemory<byte> IdentitySignature { get; init; }

    /// <summary>Null when field 4 is absent.</summary>
    public NoiseExtensions? Extensions { get; init; }
}

/// <summary>The NoiseExtensions registry message (code points 1 and 2 are defined).</summary>
internal sealed class NoiseExtensions
{
    public IReadOnlyList<ReadOnlyMemory<byte>> WebTransportCertHashes { get; init; } = [];

    /// <summary>Stream muxer protocol ids in the sender's order of preference (inlined muxer negotiation).</summary>
    public IReadOnlyList<string> StreamMuxers { get; init; } = [];
}
