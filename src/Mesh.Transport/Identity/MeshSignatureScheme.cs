namespace Mesh.Transport.Identity;

/// <summary>
/// The signature scheme of the Python mesh framework (mesh/utils/crypto.py), used by the DHT record validators
/// (<c>[signature:…]</c> markers) and the RPC authorizers: RSA keys sign with RSASSA-PSS (SHA-256, MGF1-SHA-256,
/// maximum salt length: 222 bytes for RSA-2048), Ed25519 keys with pure Ed25519 (RFC 8032). It differs from the libp2p
/// scheme of <see cref="PrivateKey.TrySign"/> for RSA (which is PKCS#1 v1.5); for Ed25519 the two are the same.
/// Signatures here are raw bytes: mesh base64-encodes them, and that stays with the callers.
/// </summary>
public static class MeshSignatureScheme
{
    /// <summary>True for the key types mesh signs with (RSA and Ed25519).</summary>
    public static bool IsSupported(KeyType type) => type is KeyType.Rsa or KeyType.Ed25519;

    /// <summary>The exact signature length for <paramref name="key"/> (64 for Ed25519, the modulus length for RSA).</summary>
    /// <exception cref="NotSupportedException">The key is neither RSA nor Ed25519.</exception>
    public static int GetSignatureLength(PrivateKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        RequireSupported(key.Type);
        return key.MaxSignatureLength;
    }

    /// <summary>Signs <paramref name="data"/> into <paramref name="destination"/>.</summary>
    /// <returns>False when the destination is shorter than <see cref="GetSignatureLength"/>.</returns>
    /// <exception cref="NotSupportedException">The key is neither RSA nor Ed25519.</exception>
    public static bool TrySign(PrivateKey key, ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key switch
        {
            RsaPrivateKey rsa => RsaPss.TrySign(rsa, data, destination, out bytesWritten),
            Ed25519PrivateKey ed25519 => ed25519.TrySign(data, destination, out bytesWritten),
            _ => ThrowNotSupported(key.Type, out bytesWritten),
        };
    }

    /// <summary>Signs <paramref name="data"/> and returns the raw signature.</summary>
    /// <exception cref="NotSupportedException">The key is neither RSA nor Ed25519.</exception>
    public static byte[] Sign(PrivateKey key, ReadOnlySpan<byte> data)
    {
        byte[] signature = new byte[GetSignatureLength(key)];
        TrySign(key, data, signature, out _);
        return signature;
    }

    /// <summary>
    /// Verifies a raw mesh signature. False for a wrong or malformed signature and for key types mesh does not sign
    /// with; never throws for peer-supplied bytes.
    /// </summary>
    public static bool Verify(PublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key switch
        {
            RsaPublicKey rsa => RsaPss.Verify(rsa, data, signature),
            Ed25519PublicKey ed25519 => ed25519.Verify(data, signature),
            _ => false,
        };
    }

    private static void RequireSupported(KeyType type)
    {
        if (!IsSupported(type))
        {
            ThrowNotSupported(type, out _);
        }
    }

    private static bool ThrowNotSupported(KeyType type, out int bytesWritten) =>
        throw new NotSupportedException($"mesh signs only with RSA and Ed25519 keys, not {type}");
}
