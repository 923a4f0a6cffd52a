namespace Mesh.Transport.Noise;

/// <summary>Why a Noise handshake or secure channel failed. Carried by every <see cref="NoiseException"/>.</summary>
public enum NoiseError
{
    /// <summary>Not an error.</summary>
    None = 0,

    /// <summary>A transport frame is shorter than the 16-byte AEAD tag.</summary>
    FrameTooShort,

    /// <summary>The connection ended inside a frame (a length header with fewer bytes behind it).</summary>
    TruncatedFrame,

    /// <summary>AEAD authentication failed: the ciphertext, tag or associated data was altered, or the keys differ.</summary>
    DecryptFailed,

    /// <summary>A cipher reached nonce 2^64-1; the connection must end rather than reuse a nonce (§5.1).</summary>
    NonceExhausted,

    /// <summary>A handshake message has a length the XX pattern does not allow at this step.</summary>
    MalformedHandshakeMessage,

    /// <summary>The connection closed before the handshake completed.</summary>
    ConnectionClosed,

    /// <summary>A Diffie-Hellman result was all zeros: the peer sent a low-order X25519 point.</summary>
    LowOrderPublicKey,

    /// <summary>The handshake payload is not a valid NoiseHandshakePayload protobuf (or breaks a size limit).</summary>
    InvalidPayload,

    /// <summary>The payload carries no identity key, or one that does not decode to a supported libp2p public key.</summary>
    InvalidIdentityKey,

    /// <summary>The identity signature over the static Noise key is missing or does not verify.</summary>
    InvalidSignature,

    /// <summary>The authenticated remote peer is not the peer the dialer expected.</summary>
    PeerIdMismatch,

    /// <summary>Both sides offered stream muxers in the handshake and none is common (inlined muxer negotiation).</summary>
    NoCommonMuxer,
}
