using BenchmarkDotNet.Attributes;
using Mesh.Transport.Identity;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// Signing and verifying 64 bytes (the size of a Noise static-key payload or a small mesh record) per scheme: the
/// libp2p schemes of each key type and mesh's RSA-PSS. Each handshake costs one sign and one verify; every protected
/// DHT record and authorized RPC costs one mesh verify.
/// </summary>
public class IdentitySignatureBenchmarks
{
    private readonly byte[] _data = new byte[64];
    private readonly byte[] _signature = new byte[512];
    private Ed25519PrivateKey _ed25519 = null!;
    private RsaPrivateKey _rsa = null!;
    private PrivateKey _secp256k1 = null!;
    private PrivateKey _p256 = null!;
    private byte[] _ed25519Signature = null!;
    private byte[] _rsaSignature = null!;
    private byte[] _pssSignature = null!;
    private byte[] _secp256k1Signature = null!;
    private byte[] _p256Signature = null!;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_data);
        _ed25519 = Ed25519PrivateKey.Generate();
        _rsa = RsaPrivateKey.Generate(2048);
        _secp256k1 = PrivateKey.Generate(KeyType.Secp256k1);
        _p256 = PrivateKey.Generate(KeyType.Ecdsa);
        _ed25519Signature = _ed25519.Sign(_data);
        _rsaSignature = _rsa.Sign(_data);
        _pssSignature = MeshSignatureScheme.Sign(_rsa, _data);
        _secp256k1Signature = _secp256k1.Sign(_data);
        _p256Signature = _p256.Sign(_data);
        // Warm the lazily built BouncyCastle RSA parameters so the PSS numbers are steady-state.
        MeshSignatureScheme.Verify(_rsa.PublicKey, _data, _pssSignature);
    }

    [Benchmark(Description = "Ed25519 sign (libsodium)")]
    public int Ed25519Sign() => _ed25519.Sign(_data, _signature);

    [Benchmark(Description = "Ed25519 verify (libsodium)")]
    public bool Ed25519Verify() => _ed25519.PublicKey.Verify(_data, _ed25519Signature);

    [Benchmark(Description = "Ed25519 sign, BouncyCastle (the fallback)")]
    public void Ed25519SignBouncyCastle() => _ed25519.SignBouncyCastle(_data, _signature);

    [Benchmark(Description = "Ed25519 verify, BouncyCastle (the fallback)")]
    public bool Ed25519VerifyBouncyCastle() => ((Ed25519PublicKey)_ed25519.PublicKey).VerifyBouncyCastle(_data, _ed25519Signature);

    [Benchmark(Description = "RSA-2048 PKCS#1 v1.5 sign (libp2p)")]
    public int RsaSign() => _rsa.Sign(_data, _signature);

    [Benchmark(Description = "RSA-2048 PKCS#1 v1.5 verify (libp2p)")]
    public bool RsaVerify() => _rsa.PublicKey.Verify(_data, _rsaSignature);

    [Benchmark(Description = "RSA-2048 PSS max-salt sign, BouncyCastle (the fallback)")]
    public bool PssSignBouncyCastle() => RsaPss.TrySignBouncyCastle(_rsa, _data, _signature, out _);

    [Benchmark(Description = "RSA-2048 PSS max-salt verify, BouncyCastle (the fallback)")]
    public bool PssVerifyBouncyCastle() => RsaPss.VerifyBouncyCastle(_rsa.RsaPublicKey, _data, _pssSignature);

    [Benchmark(Description = "RSA-2048 PSS max-salt sign (mesh)")]
    public bool PssSign() => MeshSignatureScheme.TrySign(_rsa, _data, _signature, out _);

    [Benchmark(Description = "RSA-2048 PSS max-salt verify (mesh)")]
    public bool PssVerify() => MeshSignatureScheme.Verify(_rsa.PublicKey, _data, _pssSignature);

    [Benchmark(Description = "secp256k1 sign (RFC 6979, low-S)")]
    public int Secp256k1Sign() => _secp256k1.Sign(_data, _signature);

    [Benchmark(Description = "secp256k1 verify")]
    public bool Secp256k1Verify() => _secp256k1.PublicKey.Verify(_data, _secp256k1Signature);

    [Benchmark(Description = "ECDSA P-256 sign")]
    public int P256Sign() => _p256.Sign(_data, _signature);

    [Benchmark(Description = "ECDSA P-256 verify")]
    public bool P256Verify() => _p256.PublicKey.Verify(_data, _p256Signature);
}
