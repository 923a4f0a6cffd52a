using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Mesh.Transport.Crypto;
using Mesh.Transport.Noise;
using NSec.Cryptography;
using BcX25519 = Org.BouncyCastle.Math.EC.Rfc7748.X25519;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// The two primitives Noise spends its time in, each from the library MeshCore uses and from NSec (libsodium), the
/// challenger DESIGN.md says must win a benchmark before it may replace them: X25519 (BouncyCastle vs libsodium) and
/// ChaCha20-Poly1305 over a full 64 KiB frame (BCL/OpenSSL vs libsodium). NSec's X25519 API imports keys as objects
/// (deriving the public key on import), so the raw libsodium calls Noise makes (<see cref="LibSodium"/>) are
/// measured too.
/// </summary>
public class NoiseCryptoLibraryBenchmarks
{
    private readonly byte[] _bcPrivate = new byte[32];
    private readonly byte[] _bcPeerPublic = new byte[32];
    private readonly byte[] _shared = new byte[32];
    private readonly byte[] _publicKey = new byte[32];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _plaintext = new byte[65519];
    private readonly byte[] _ciphertext = new byte[65519 + 16];
    private readonly byte[] _tag = new byte[16];

    private Key _nsecPrivate = null!;
    private NSec.Cryptography.PublicKey _nsecPeerPublic = null!;
    private Key _nsecAeadKey = null!;
    private System.Security.Cryptography.ChaCha20Poly1305 _bclAead = null!;

    [GlobalSetup]
    public void Setup()
    {
        RandomNumberGenerator.Fill(_bcPrivate);
        byte[] peerPrivate = RandomNumberGenerator.GetBytes(32);
        BcX25519.GeneratePublicKey(peerPrivate, _bcPeerPublic);

        var exportable = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        _nsecPrivate = Key.Import(KeyAgreementAlgorithm.X25519, _bcPrivate, KeyBlobFormat.RawPrivateKey, exportable);
        _nsecPeerPublic = NSec.Cryptography.PublicKey.Import(KeyAgreementAlgorithm.X25519, _bcPeerPublic, KeyBlobFormat.RawPublicKey);

        byte[] key = RandomNumberGenerator.GetBytes(32);
        _nsecAeadKey = Key.Import(AeadAlgorithm.ChaCha20Poly1305, key, KeyBlobFormat.RawSymmetricKey);
        _bclAead = new System.Security.Cryptography.ChaCha20Poly1305(key);
        RandomNumberGenerator.Fill(_plaintext);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _nsecPrivate.Dispose();
        _nsecAeadKey.Dispose();
        _bclAead.Dispose();
    }

    [Benchmark(Description = "X25519 DH, BouncyCastle")]
    public bool X25519BouncyCastle() => BcX25519.CalculateAgreement(_bcPrivate, _bcPeerPublic, _shared);

    [Benchmark(Description = "X25519 DH, NSec/libsodium")]
    public int X25519NSec()
    {
        // The DH alone: NSec keeps the result in a SharedSecret handle; Noise would also have to export it raw (an
        // extra copy, and an export policy), which is not counted here.
        using SharedSecret? secret = KeyAgreementAlgorithm.X25519.Agree(_nsecPrivate, _nsecPeerPublic);
        return secret is null ? 0 : 1;
    }

    [Benchmark(Description = "X25519 DH from raw keys to raw secret, NSec/libsodium")]
    public int X25519NSecRaw()
    {
        // What Noise would do per DH: import our raw private key and the peer's raw public key, agree, export raw.
        using var key = Key.Import(KeyAgreementAlgorithm.X25519, _bcPrivate, KeyBlobFormat.RawPrivateKey);
        var peer = NSec.Cryptography.PublicKey.Import(KeyAgreementAlgorithm.X25519, _bcPeerPublic, KeyBlobFormat.RawPublicKey);
        using SharedSecret? secret = KeyAgreementAlgorithm.X25519.Agree(key, peer, new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return secret is null ? 0 : secret.Export(SharedSecretBlobFormat.RawSharedSecret).Length;
    }

    [Benchmark(Description = "X25519 DH, libsodium crypto_scalarmult (raw keys; what Noise uses)")]
    public bool X25519Sodium() => LibSodium.TryX25519(_bcPrivate, _bcPeerPublic, _shared);

    [Benchmark(Description = "X25519 public key, libsodium crypto_scalarmult_base")]
    public bool X25519PublicSodium() => LibSodium.TryX25519PublicKey(_bcPrivate, _publicKey);

    [Benchmark(Description = "X25519 public key, BouncyCastle")]
    public void X25519PublicBouncyCastle() => BcX25519.GeneratePublicKey(_bcPrivate, _publicKey);

    [Benchmark(Description = "X25519 key pair, NSec/libsodium")]
    public int X25519KeyPairNSec()
    {
        using var key = Key.Create(KeyAgreementAlgorithm.X25519);
        return key.PublicKey.Size;
    }

    [Benchmark(Description = "ChaCha20-Poly1305 64 KiB encrypt, BCL")]
    public void ChaChaBcl() => _bclAead.Encrypt(_nonce, _plaintext, _ciphertext.AsSpan(0, _plaintext.Length), _tag);

    [Benchmark(Description = "ChaCha20-Poly1305 64 KiB encrypt, NSec/libsodium")]
    public void ChaChaNSec() => AeadAlgorithm.ChaCha20Poly1305.Encrypt(_nsecAeadKey, _nonce, [], _plaintext, _ciphertext);
}
