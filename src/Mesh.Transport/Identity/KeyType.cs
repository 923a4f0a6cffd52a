namespace Mesh.Transport.Identity;

/// <summary>
/// The libp2p key algorithms, with the numeric values of the <c>KeyType</c> enum in the key protobuf
/// (peer-ids spec, "Keys": <c>enum KeyType { RSA = 0; Ed25519 = 1; Secp256k1 = 2; ECDSA = 3; }</c>).
/// </summary>
public enum KeyType
{
    /// <summary>RSA: public Data = PKIX (SubjectPublicKeyInfo) DER, private Data = PKCS#1 DER, PKCS#1 v1.5 SHA-256 signatures.</summary>
    Rsa = 0,

    /// <summary>Ed25519: public Data = 32 raw bytes, private Data = seed‖public (64 bytes), RFC 8032 signatures.</summary>
    Ed25519 = 1,

    /// <summary>secp256k1: public Data = 33-byte compressed point, private Data = 32-byte scalar, DER ECDSA over SHA-256.</summary>
    Secp256k1 = 2,

    /// <summary>ECDSA over a NIST curve: public Data = PKIX DER, private Data = SEC1 DER, DER ECDSA over SHA-256.</summary>
    Ecdsa = 3,
}
