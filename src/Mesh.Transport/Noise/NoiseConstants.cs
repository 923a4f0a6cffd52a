namespace Mesh.Transport.Noise;

/// <summary>
/// The fixed parameters of noise-libp2p (libp2p/specs noise/README.md) and of its single cipher suite
/// Noise_XX_25519_ChaChaPoly_SHA256 (Noise Protocol Framework rev 34, §12 "Cipher functions", §4 "Crypto functions").
/// </summary>
public static class NoiseConstants
{
    /// <summary>The multistream-select protocol id of noise-libp2p.</summary>
    public const string ProtocolId = "/noise";

    /// <summary>The Noise protocol name; exactly 32 bytes, so it is used as the initial handshake hash unhashed (§5.2).</summary>
    public const string ProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";

    /// <summary>The prefix of the data the libp2p identity key signs: this string ‖ the 32-byte static X25519 public key.</summary>
    public const string StaticKeySignaturePrefix = "noise-libp2p-static-key:";

    /// <summary>DHLEN for Curve25519 (§12.1).</summary>
    public const int DhLength = 32;

    /// <summary>HASHLEN for SHA-256 (§12.4).</summary>
    public const int HashLength = 32;

    /// <summary>The ChaChaPoly key length (§12.3).</summary>
    public const int KeyLength = 32;

    /// <summary>The AEAD authentication tag that follows every ciphertext (§5.1).</summary>
    public const int TagLength = 16;

    /// <summary>Length of the big-endian u16 that precedes every Noise message on the wire.</summary>
    public const int FrameHeaderLength = 2;

    /// <summary>The largest Noise message (§3) and the largest value the u16 frame header can carry.</summary>
    public const int MaxMessageLength = ushort.MaxValue;

    /// <summary>The largest transport plaintext one frame can carry: 65535 minus the 16-byte tag.</summary>
    public const int MaxPlaintextLength = MaxMessageLength - TagLength;

    /// <summary>The largest frame on the wire, header included.</summary>
    public const int MaxFrameLength = FrameHeaderLength + MaxMessageLength;
}
