using System.Security.Cryptography;
using System.Text;

namespace Mesh.Transport.Noise;

/// <summary>
/// A Noise SymmetricState (Noise Protocol Framework rev 34, §5.2) with SHA-256: the chaining key ck, the handshake
/// hash h and a <see cref="CipherState"/>. ck and h live in one pinned array (the GC never copies them) that
/// <see cref="Dispose"/> clears.
/// </summary>
internal sealed class SymmetricState : IDisposable
{
    private const int HashLength = NoiseConstants.HashLength;

    // [0, 32) = ck, [32, 64) = h.
    private readonly byte[] _state = GC.AllocateArray<byte>(2 * HashLength, pinned: true);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly CipherState _cipher = new();

    /// <summary>InitializeSymmetric(protocol_name): h = name padded with zeros when it fits HASHLEN, else HASH(name); ck = h.</summary>
    public SymmetricState(string protocolName)
    {
        int byteCount = Encoding.ASCII.GetByteCount(protocolName);
        if (byteCount <= HashLength)
        {
            H.Clear();
            Encoding.ASCII.GetBytes(protocolName, H);
        }
        else
        {
            SHA256.HashData(Encoding.ASCII.GetBytes(protocolName), H);
        }
        H.CopyTo(ChainingKey);
    }

    private Span<byte> ChainingKey => _state.AsSpan(0, HashLength);

    private Span<byte> H => _state.AsSpan(HashLength, HashLength);

    /// <summary>The handshake hash h (§5.2 GetHandshakeHash()), for channel binding and the test vectors.</summary>
    public ReadOnlySpan<byte> HandshakeHash => H;

    /// <summary>True once a DH result has been mixed in, i.e. payloads and static keys are encrypted.</summary>
    public bool HasKey => _cipher.HasKey;

    /// <summary>MixKey(input_key_material): ck, temp_k = HKDF(ck, ikm, 2); InitializeKey(temp_k).</summary>
    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> tempKey = stackalloc byte[HashLength];
        try
        {
            NoiseHkdf.DeriveTwo(ChainingKey, inputKeyMaterial, ChainingKey, tempKey);
            _cipher.InitializeKey(tempKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(tempKey);
        }
    }

    /// <summary>MixHash(data): h = HASH(h ‖ data).</summary>
    public void MixHash(ReadOnlySpan<byte> data)
    {
        _hash.AppendData(H);
        _hash.AppendData(data);
        _hash.GetHashAndReset(H);
    }

    /// <summary>
    /// EncryptAndHash(plaintext): ciphertext = EncryptWithAd(h, plaintext); MixHash(ciphertext). Returns the number
    /// of bytes written to <paramref name="destination"/> (plaintext length, +16 once keyed).
    /// </summary>
    public int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int written = _cipher.EncryptWithAd(H, plaintext, destination);
        MixHash(destination[..written]);
        return written;
    }

    /// <summary>
    /// DecryptAndHash(ciphertext): plaintext = DecryptWithAd(h, ciphertext); MixHash(ciphertext). Returns the
    /// plaintext length, or -1 when authentication fails (h is then left unchanged).
    /// <paramref name="plaintext"/> must not overlap <paramref name="ciphertext"/>: h is computed over the ciphertext
    /// after decryption.
    /// </summary>
    public int DecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        int length = _cipher.DecryptWithAd(H, ciphertext, plaintext);
        if (length >= 0)
        {
            MixHash(ciphertext);
        }
        return length;
    }

    /// <summary>
    /// Split(): temp_k1, temp_k2 = HKDF(ck, zerolen, 2); returns two CipherStates keyed with them (c1 carries
    /// initiator→responder traffic, c2 responder→initiator). The symmetric state is spent afterwards.
    /// </summary>
    public (CipherState C1, CipherState C2) Split()
    {
        Span<byte> keys = stackalloc byte[2 * HashLength];
        var c1 = new CipherState();
        var c2 = new CipherState();
        try
        {
            NoiseHkdf.DeriveTwo(ChainingKey, [], keys[..HashLength], keys[HashLength..]);
            c1.InitializeKey(keys[..HashLength]);
            c2.InitializeKey(keys[HashLength..]);
        }
        catch
        {
            c1.Dispose();
            c2.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keys);
        }
        return (c1, c2);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_state);
        _hash.Dispose();
        _cipher.Dispose();
    }
}
