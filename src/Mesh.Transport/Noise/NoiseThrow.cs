using System.Diagnostics.CodeAnalysis;

namespace Mesh.Transport.Noise;

/// <summary>Throw helpers, so the hot methods that detect errors stay small and inlinable.</summary>
internal static class NoiseThrow
{
    [DoesNotReturn]
    public static void Handshake(NoiseError error, string message) =>
        throw new NoiseHandshakeException(error, message);

    [DoesNotReturn]
    public static void Decrypt(string message) =>
        throw new NoiseDecryptException(message);

    [DoesNotReturn]
    public static void Frame(NoiseError error, string message) =>
        throw new NoiseFrameException(error, message);

    [DoesNotReturn]
    public static void NonceExhausted() =>
        throw new NoiseException(NoiseError.NonceExhausted, "Noise cipher nonce exhausted (2^64-1 messages); the connection must be re-established.");

    [DoesNotReturn]
    public static void LowOrderPoint() =>
        throw new NoiseHandshakeException(NoiseError.LowOrderPublicKey, "X25519 Diffie-Hellman produced an all-zero result: the peer sent a low-order public key.");
}
