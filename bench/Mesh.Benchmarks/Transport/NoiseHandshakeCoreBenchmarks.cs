using BenchmarkDotNet.Attributes;
using Mesh.Transport.Noise;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// The cryptographic cost of one Noise XX handshake without I/O or libp2p identities: both sides' state machines
/// (4 X25519 key generations, 6 DH, HKDFs, 4 AEAD operations on keys and empty payloads) and Split. The primitives
/// are measured alone too, to show which one dominates.
/// </summary>
public class NoiseHandshakeCoreBenchmarks
{
    private readonly byte[] _message = new byte[NoiseConstants.MaxMessageLength];
    private readonly byte[] _payload = new byte[NoiseConstants.MaxMessageLength];
    private readonly byte[] _privateKey = new byte[32];
    private readonly byte[] _publicKey = new byte[32];
    private readonly byte[] _peerPublicKey = new byte[32];
    private readonly byte[] _shared = new byte[32];

    [GlobalSetup]
    public void Setup()
    {
        X25519Dh.GenerateKeyPair(_privateKey, _publicKey);
        X25519Dh.GenerateKeyPair(new byte[32], _peerPublicKey);
    }

    [Benchmark(Description = "XX handshake, both sides, no I/O")]
    public int FullHandshake()
    {
        using var initiator = new NoiseXXHandshakeState(true, []);
        using var responder = new NoiseXXHandshakeState(false, []);
        int n = initiator.WriteMessage([], _message);
        responder.ReadMessage(_message.AsSpan(0, n), _payload);
        n = responder.WriteMessage([], _message);
        initiator.ReadMessage(_message.AsSpan(0, n), _payload);
        n = initiator.WriteMessage([], _message);
        responder.ReadMessage(_message.AsSpan(0, n), _payload);
        (CipherState a, CipherState b) = initiator.Split();
        (CipherState c, CipherState d) = responder.Split();
        a.Dispose();
        b.Dispose();
        c.Dispose();
        d.Dispose();
        return n;
    }

    [Benchmark(Description = "X25519 key generation (X25519Dh: libsodium, BouncyCastle fallback)")]
    public void X25519KeyGeneration() => X25519Dh.GenerateKeyPair(_privateKey, _publicKey);

    [Benchmark(Description = "X25519 DH (X25519Dh: libsodium, BouncyCastle fallback)")]
    public void X25519Agreement() => X25519Dh.Agree(_privateKey, _peerPublicKey, _shared);

    [Benchmark(Description = "Noise HKDF (2 outputs, HMAC-SHA256)")]
    public void Hkdf() => NoiseHkdf.DeriveTwo(_publicKey, _peerPublicKey, _shared, _privateKey);
}
