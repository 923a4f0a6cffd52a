namespace Mesh.Transport.Identity;

/// <summary>Why a key (protobuf, raw Data, OpenSSH text or identity file contents) was rejected.</summary>
public enum KeyFormatError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The input ends before the structure does (a missing field, a short length, a cut DER value).</summary>
    Truncated,

    /// <summary>
    /// The key protobuf is not in the deterministic form the peer-ids spec requires: fields out of order, repeated or
    /// unknown, non-minimal varints, or bytes after the Data field.
    /// </summary>
    NonCanonicalProtobuf,

    /// <summary>A key type this library does not know (protobuf KeyType value, OpenSSH key type name, curve).</summary>
    UnknownKeyType,

    /// <summary>Raw key data of the wrong length for its type (e.g. an Ed25519 public key that is not 32 bytes).</summary>
    InvalidLength,

    /// <summary>The key data does not decode: bad or non-canonical DER, bad base64, malformed OpenSSH blob.</summary>
    InvalidEncoding,

    /// <summary>An elliptic-curve point that is not on the curve, or a scalar outside [1, n-1].</summary>
    InvalidPoint,

    /// <summary>An ECDSA curve other than P-256, P-384 or P-521.</summary>
    UnsupportedCurve,

    /// <summary>An RSA modulus outside the accepted size range, or an unusable public exponent.</summary>
    UnsupportedKeySize,

    /// <summary>
    /// The parts of a private key disagree: an Ed25519 public half that is not derived from the seed, the two public
    /// copies of a legacy 96-byte key differ, RSA CRT values that do not belong to the modulus.
    /// </summary>
    InconsistentKey,
}
