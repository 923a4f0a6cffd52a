using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Mesh.Transport.Noise;

/// <summary>
/// A Noise CipherState (Noise Protocol Framework rev 34, §5.1) for ChaChaPoly (§12.3): a key k (possibly empty) and
/// a 64-bit nonce counter n. The 96-bit ChaCha20-Poly1305 nonce is 32 zero bits followed by n little-endian.
/// <code>
///   nonce = 00 00 00 00 | n (u64 little-endian)
///   ENCRYPT(k, n, ad, plaintext) = ciphertext ‖ tag(16)
/// </code>
/// Rekey is not used by noise-libp2p. The nonce value 2^64-1 is reserved (§5.1), so the cipher refuses to encrypt or
/// decrypt once n reaches it and the connection has to end. Encrypting and decrypting allocate nothing; plaintext and
/// ciphertext may be the same span (in-place), but must not partially overlap. One owner at a time: a CipherState
/// is not thread-safe (the secure channel gives the send cipher to its write loop and the receive cipher to its read
/// loop).
/// </summary>
internal sealed class CipherState : IDisposable
{
    private const int NonceLength = 12;

    private ChaCha20Poly1305? _aead;
    private ulong _nonce;

    /// <summary>HasKey() of §5.1: false until <see cref="InitializeKey"/> (handshake messages before the first DH).</summary>
    public bool HasKey => _aead is not null;

    /// <summary>The next nonce to be used.</summary>
    public ulong Nonce => _nonce;

    /// <summary>InitializeKey(key): sets k and resets n to zero.</summary>
    public void InitializeKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != NoiseConstants.KeyLength)
        {
            throw new ArgumentException($"ChaChaPoly keys are {NoiseConstants.KeyLength} bytes.", nameof(key));
        }
        _aead?.Dispose();
        _aead = new ChaCha20Poly1305(key);
        _nonce = 0;
    }

    /// <summary>Test hook: jumps the nonce counter (the spec's SetNonce), e.g. to prove exhaustion handling.</summary>
    internal void SetNonce(ulong nonce) => _nonce = nonce;

    /// <summary>
    /// EncryptWithAd(ad, plaintext). Writes plaintext.Length (+16 when keyed) bytes to <paramref name="destination"/>
    /// and returns that count. Without a key the plaintext is copied unchanged, as §5.1 says.
    /// </summary>
    public int EncryptWithAd(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        ChaCha20Poly1305? aead = _aead;
        if (aead is null)
        {
            plaintext.CopyTo(destination);
            return plaintext.Length;
        }
        Span<byte> nonce = stackalloc byte[NonceLength];
        UseNonce(nonce);
        aead.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, NoiseConstants.TagLength), ad);
        return plaintext.Length + NoiseConstants.TagLength;
    }

    /// <summary>
    /// DecryptWithAd(ad, ciphertext ‖ tag). Writes the plaintext (ciphertext.Length - 16 bytes when keyed) and returns
    /// its length, or -1 when authentication fails (the caller raises the error that fits its phase). A failed
    /// decryption does not advance the nonce.
    /// </summary>
    public int DecryptWithAd(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> plaintext)
    {
        if (_aead is null)
        {
            ciphertextAndTag.CopyTo(plaintext);
            return ciphertextAndTag.Length;
        }
        if (ciphertextAndTag.Length < NoiseConstants.TagLength)
        {
            return -1;
        }
        int length = ciphertextAndTag.Length - NoiseConstants.TagLength;
        return DecryptWithAd(ad, ciphertextAndTag[..length], ciphertextAndTag[length..], plaintext) ? length : -1;
    }

    /// <summary>
    /// Keyed decryption with the tag in its own span (used when a frame arrived in several segments and its body was
    /// gathered into the destination: then <paramref name="ciphertext"/> and <paramref name="plaintext"/> are the
    /// same span). Returns false when authentication fails.
    /// </summary>
    public bool DecryptWithAd(ReadOnlySpan<byte> ad, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        ChaCha20Poly1305 aead = _aead ?? throw new InvalidOperationException("The cipher has no key.");
        Span<byte> nonce = stackalloc byte[NonceLength];
        WriteNonce(nonce);
        try
        {
            aead.Decrypt(nonce, ciphertext, tag, plaintext[..ciphertext.Length], ad);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        _nonce++;
        return true;
    }

    public void Dispose()
    {
        _aead?.Dispose();
        _aead = null;
    }

    private void UseNonce(Span<byte> nonce)
    {
        WriteNonce(nonce);
        _nonce++;
    }

    private void WriteNonce(Span<byte> nonce)
    {
        if (_nonce == ulong.MaxValue)
        {
            NoiseThrow.NonceExhausted();
        }
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], _nonce);
    }
}
