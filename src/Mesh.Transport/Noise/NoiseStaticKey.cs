using System.Security.Cryptography;
using System.Text;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Noise;

/// <summary>
/// A Noise static X25519 key pair together with the libp2p identity's signature over it (noise-libp2p "Static Key
/// Authentication": sign("noise-libp2p-static-key:" ‖ s.pub)), made once and reused for many handshakes.
/// </summary>
/// <remarks>
/// noise-libp2p leaves the static key's lifetime to the implementation: rust-libp2p and substrate make one when the
/// node starts and keep it for the process's lifetime, js-libp2p takes one as <c>staticNoiseKey</c> "for faster
/// handshakes", go-libp2p makes one per session. Reusing it saves a key generation and an identity signature per
/// handshake; forward secrecy is unaffected, because every handshake still mixes fresh ephemeral keys (ee, es, se).
/// A host keeps one for its lifetime; <see cref="NoiseHandshake"/> calls that take a bare <see cref="PrivateKey"/>
/// make a fresh one per session. Thread-safe (immutable); <see cref="Dispose"/> clears the private key.
/// </remarks>
public sealed class NoiseStaticKey : IDisposable
{
    private static readonly byte[] s_signaturePrefix = Encoding.ASCII.GetBytes(NoiseConstants.StaticKeySignaturePrefix);

    // [0,32) private key, [32,64) public key; pinned so the GC leaves no copies of the private key behind.
    private readonly byte[] _keyPair = GC.AllocateArray<byte>(2 * NoiseConstants.DhLength, pinned: true);

    private NoiseStaticKey(PrivateKey identity)
    {
        Identity = identity;
        X25519Dh.GenerateKeyPair(_keyPair.AsSpan(0, NoiseConstants.DhLength), _keyPair.AsSpan(NoiseConstants.DhLength));
        IdentitySignature = identity.Sign(SignedData(PublicKey));
    }

    /// <summary>A fresh static key pair for <paramref name="identity"/>, signed by it.</summary>
    public static NoiseStaticKey Generate(PrivateKey identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new NoiseStaticKey(identity);
    }

    /// <summary>The libp2p identity that signed this key.</summary>
    public PrivateKey Identity { get; }

    /// <summary>The static X25519 public key (s.pub).</summary>
    public ReadOnlySpan<byte> PublicKey => _keyPair.AsSpan(NoiseConstants.DhLength, NoiseConstants.DhLength);

    internal ReadOnlySpan<byte> PrivateKey => _keyPair.AsSpan(0, NoiseConstants.DhLength);

    /// <summary>The identity's signature over "noise-libp2p-static-key:" ‖ <see cref="PublicKey"/>.</summary>
    internal byte[] IdentitySignature { get; }

    public void Dispose() => CryptographicOperations.ZeroMemory(_keyPair);

    /// <summary>What the identity key signs: "noise-libp2p-static-key:" ‖ the static public key.</summary>
    internal static byte[] SignedData(ReadOnlySpan<byte> staticPublicKey) => [.. s_signaturePrefix, .. staticPublicKey];
}
