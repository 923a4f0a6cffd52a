using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Mesh.Transport.Noise;

/// <summary>
/// Transport messages after the handshake: <c>len(u16 BE) ‖ ENCRYPT(k, n, zerolen, plaintext) ‖ tag(16)</c>
/// (libp2p/specs noise/README.md "Encryption and I/O"; Noise rev 34 §5.1 with an empty associated data). Both
/// directions work straight between pipe memory: encryption writes the frame into the raw writer's span, decryption
/// writes the plaintext into the app pipe's span. A body split across segments is gathered into the destination
/// first and processed in place, so nothing is allocated per frame.
/// </summary>
internal static class NoiseTransportCodec
{
    /// <summary>The frame length (header + ciphertext + tag) for a plaintext of <paramref name="plaintextLength"/> bytes.</summary>
    public static int FrameLength(int plaintextLength) =>
        NoiseConstants.FrameHeaderLength + plaintextLength + NoiseConstants.TagLength;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> (at most 65519 bytes) with <paramref name="cipher"/> and writes the whole
    /// frame to <paramref name="destination"/>, which must hold <see cref="FrameLength"/> bytes. Returns the frame
    /// length.
    /// </summary>
    public static int WriteFrame(CipherState cipher, in ReadOnlySequence<byte> plaintext, Span<byte> destination)
    {
        int length = checked((int)plaintext.Length);
        if (length > NoiseConstants.MaxPlaintextLength)
        {
            throw new ArgumentOutOfRangeException(nameof(plaintext), length, "A Noise transport frame carries at most 65519 plaintext bytes.");
        }
        Span<byte> body = destination.Slice(NoiseConstants.FrameHeaderLength, length + NoiseConstants.TagLength);
        if (plaintext.IsSingleSegment)
        {
            cipher.EncryptWithAd([], plaintext.FirstSpan, body);
        }
        else
        {
            plaintext.CopyTo(body);
            cipher.EncryptWithAd([], body[..length], body);
        }
        NoiseFrameCodec.WriteHeader(destination, length + NoiseConstants.TagLength);
        return NoiseConstants.FrameHeaderLength + body.Length;
    }

    /// <summary>Encrypts a contiguous plaintext into a frame (see the sequence overload).</summary>
    public static int WriteFrame(CipherState cipher, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (plaintext.Length > NoiseConstants.MaxPlaintextLength)
        {
            throw new ArgumentOutOfRangeException(nameof(plaintext), plaintext.Length, "A Noise transport frame carries at most 65519 plaintext bytes.");
        }
        Span<byte> body = destination.Slice(NoiseConstants.FrameHeaderLength, plaintext.Length + NoiseConstants.TagLength);
        cipher.EncryptWithAd([], plaintext, body);
        NoiseFrameCodec.WriteHeader(destination, body.Length);
        return NoiseConstants.FrameHeaderLength + body.Length;
    }

    /// <summary>
    /// Decrypts one transport message (the body of a frame: ciphertext ‖ tag, at least 16 bytes, which
    /// <see cref="NoiseFrameCodec.TryReadFrame"/> guarantees) into <paramref name="destination"/> and returns the
    /// plaintext length. A failed authentication throws <see cref="NoiseDecryptException"/>.
    /// </summary>
    public static int ReadMessage(CipherState cipher, in ReadOnlySequence<byte> message, Span<byte> destination)
    {
        int length = (int)message.Length - NoiseConstants.TagLength;
        if (length < 0)
        {
            NoiseThrow.Frame(NoiseError.FrameTooShort, "A Noise transport message is shorter than its 16-byte tag.");
        }
        if (message.IsSingleSegment)
        {
            if (cipher.DecryptWithAd([], message.FirstSpan, destination) < 0)
            {
                ThrowDecryptFailed(cipher);
            }
            return length;
        }
        Span<byte> tag = stackalloc byte[NoiseConstants.TagLength];
        message.Slice(length).CopyTo(tag);
        Span<byte> body = destination[..length];
        message.Slice(0, length).CopyTo(body);
        if (!cipher.DecryptWithAd([], body, tag, body))
        {
            ThrowDecryptFailed(cipher);
        }
        return length;
    }

    [DoesNotReturn]
    private static void ThrowDecryptFailed(CipherState cipher) =>
        NoiseThrow.Decrypt($"Noise transport message {cipher.Nonce} failed authentication (bad MAC).");
}
