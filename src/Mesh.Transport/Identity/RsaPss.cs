using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Mesh.Transport.Identity;

/// <summary>
/// RSASSA-PSS (RFC 8017 §8.1) with SHA-256, MGF1-SHA-256 and the maximum salt length, as mesh signs with
/// <c>padding.PSS(mgf=MGF1(SHA256()), salt_length=PSS.MAX_LENGTH)</c> (mesh/utils/crypto.py).
/// </summary>
/// <remarks>
/// <c>PSS.MAX_LENGTH</c> is emLen − hLen − 2 with emLen = ⌈(modBits − 1) / 8⌉: 222 bytes for a 2048-bit key. Python's
/// <c>cryptography</c> turns it into that explicit length for verification too, and OpenSSL then requires exactly that
/// salt, so this verifier does the same. The platform's <c>RSASignaturePadding.Pss</c> cannot be used: it fixes the
/// salt at the hash length (32) for signing and verifying, so the platform's OpenSSL is called directly
/// (<see cref="Crypto.OpenSslRsaPss"/>, an order of magnitude faster), with BouncyCastle where that is unavailable.
/// </remarks>
internal static class RsaPss
{
    private const int HashLength = 32;

    // RandomNumberGenerator underneath: thread-safe, so one instance serves every signer.
    private static readonly SecureRandom s_random = new(new CryptoApiRandomGenerator());

    /// <summary>The salt length mesh uses for a modulus of <paramref name="keySizeInBits"/> bits.</summary>
    public static int GetMaxSaltLength(int keySizeInBits) => ((keySizeInBits + 6) / 8) - HashLength - 2;

    public static bool TrySign(RsaPrivateKey key, ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
    {
        int length = key.MaxSignatureLength;
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }
        int saltLength = GetMaxSaltLength(key.RsaPublicKey.KeySizeInBits);
        Span<byte> hash = stackalloc byte[HashLength];
        SHA256.HashData(data, hash);
        if (Crypto.OpenSslRsaPss.TrySign(key.PlatformKey, hash, saltLength, destination[..length], out bytesWritten))
        {
            return true;
        }
        return TrySignBouncyCastle(key, data, destination, out bytesWritten);
    }

    /// <summary>BouncyCastle's signature (the fallback, and what the tests compare OpenSSL's with).</summary>
    internal static bool TrySignBouncyCastle(RsaPrivateKey key, ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
    {
        PssSigner signer = CreateSigner(key.RsaPublicKey.KeySizeInBits);
        signer.Init(true, new ParametersWithRandom(key.BouncyCastleKey, s_random));
        signer.BlockUpdate(data);
        byte[] signature = signer.GenerateSignature();
        // BouncyCastle returns exactly k bytes (I2OSP to the modulus length).
        signature.CopyTo(destination);
        bytesWritten = signature.Length;
        return true;
    }

    public static bool Verify(RsaPublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != key.Modulus.Length)
        {
            return false;
        }
        Span<byte> hash = stackalloc byte[HashLength];
        SHA256.HashData(data, hash);
        return Crypto.OpenSslRsaPss.Verify(key.PlatformKey, hash, GetMaxSaltLength(key.KeySizeInBits), signature) ?? VerifyBouncyCastle(key, data, signature);
    }

    /// <summary>BouncyCastle's verification (the fallback, and what the tests compare OpenSSL's with).</summary>
    internal static bool VerifyBouncyCastle(RsaPublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != key.Modulus.Length)
        {
            return false;
        }
        PssSigner verifier = CreateSigner(key.KeySizeInBits);
        verifier.Init(false, key.BouncyCastleKey);
        verifier.BlockUpdate(data);
        try
        {
            return verifier.VerifySignature(signature.ToArray());
        }
        catch (DataLengthException)
        {
            // The signature, read as an integer, is not below the modulus: invalid, not an error.
            return false;
        }
    }

    private static PssSigner CreateSigner(int keySizeInBits) =>
        new(new RsaBlindedEngine(), new Sha256Digest(), GetMaxSaltLength(keySizeInBits));
}
