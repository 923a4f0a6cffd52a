using System.Security.Cryptography;
using Mesh.Transport.Crypto;
using BcX25519 = Org.BouncyCastle.Math.EC.Rfc7748.X25519;

namespace Mesh.Transport.Noise;

/// <summary>
/// The 25519 DH functions of Noise (rev 34, §12.1): libsodium's when it loads (<see cref="LibSodium"/>, 2.5x
/// faster), BouncyCastle's RFC 7748 X25519 otherwise. Private keys are 32 random
/// bytes; both clamp them on use, so the unclamped keys of the test vectors work unchanged.
/// </summary>
internal static class X25519Dh
{
    public const int KeyLength = NoiseConstants.DhLength;

    /// <summary>Which implementation runs: <c>libsodium</c> or <c>BouncyCastle</c> (for logs and benchmarks).</summary>
    public static string Backend => LibSodium.IsAvailable ? "libsodium" : "BouncyCastle";

    /// <summary>GENERATE_KEYPAIR(): a fresh private key from the OS CSPRNG and its public key.</summary>
    public static void GenerateKeyPair(Span<byte> privateKey, Span<byte> publicKey)
    {
        RandomNumberGenerator.Fill(privateKey[..KeyLength]);
        DerivePublicKey(privateKey, publicKey);
    }

    /// <summary>The public key (u-coordinate of k·G) of a private key.</summary>
    public static void DerivePublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        if (!LibSodium.TryX25519PublicKey(privateKey[..KeyLength], publicKey[..KeyLength]))
        {
            BcX25519.GeneratePublicKey(privateKey[..KeyLength], publicKey[..KeyLength]);
        }
    }

    /// <summary>
    /// DH(key_pair, public_key). An all-zero result means the peer's point has small order; Noise allows rejecting it
    /// (§12.1) and noise-libp2p peers have no reason to send one, so it ends the handshake.
    /// </summary>
    public static void Agree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        if (LibSodium.TryX25519(privateKey[..KeyLength], publicKey[..KeyLength], sharedSecret[..KeyLength]))
        {
            return;
        }
        // libsodium refuses small-order points (and may be absent): BouncyCastle decides which it was.
        if (!BcX25519.CalculateAgreement(privateKey[..KeyLength], publicKey[..KeyLength], sharedSecret[..KeyLength]))
        {
            CryptographicOperations.ZeroMemory(sharedSecret[..KeyLength]);
            NoiseThrow.LowOrderPoint();
        }
    }

    /// <summary>BouncyCastle's DH, for the benchmark that compares the implementations.</summary>
    internal static bool AgreeBouncyCastle(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret) =>
        BcX25519.CalculateAgreement(privateKey[..KeyLength], publicKey[..KeyLength], sharedSecret[..KeyLength]);
}
