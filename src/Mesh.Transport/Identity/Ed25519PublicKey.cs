using Mesh.Transport.Crypto;
using BcEd25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Mesh.Transport.Identity;

/// <summary>
/// An Ed25519 public key (peer-ids spec, "Ed25519"): Data is the 32-byte RFC 8032 encoding, signatures are pure
/// Ed25519 (RFC 8032 §5.1), 64 bytes. The point is decoded and checked once, when the key is built. Verification runs
/// on libsodium where it loads (<see cref="LibSodium"/>, about 2x faster), else on BouncyCastle with the decompressed
/// point kept here. libsodium is stricter for crafted input only (it also refuses small-order keys and R points), so an
/// honest signature verifies on both.
/// </summary>
public sealed class Ed25519PublicKey : PublicKey
{
    /// <summary>Length of the encoded key.</summary>
    public const int KeyLength = 32;

    /// <summary>Length of an Ed25519 signature.</summary>
    public const int SignatureLength = 64;

    private readonly BcEd25519.PublicPoint _point;

    private Ed25519PublicKey(byte[] key, BcEd25519.PublicPoint point)
        : base(key)
    {
        _point = point;
    }

    public override KeyType Type => KeyType.Ed25519;

    /// <summary>Builds a key from its 32-byte encoding.</summary>
    /// <exception cref="KeyFormatException">Not 32 bytes, or not the encoding of a point on the curve.</exception>
    public static Ed25519PublicKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidLength, $"Ed25519 public key must be {KeyLength} bytes, got {key.Length}");
        }
        // "Partial" validation decodes the point (canonical y, x recoverable): what every verification needs anyway.
        // The full check (prime-order subgroup) costs a scalar multiplication and RFC 8032 verification does not need it.
        BcEd25519.PublicPoint? point = BcEd25519.ValidatePublicKeyPartialExport(key);
        if (point is null)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidPoint, "Ed25519 public key is not a valid curve point encoding");
        }
        return new Ed25519PublicKey(key.ToArray(), point);
    }

    /// <summary>Builds the public key of a seed already validated by <see cref="Ed25519PrivateKey"/>.</summary>
    internal static Ed25519PublicKey FromSeed(ReadOnlySpan<byte> seed)
    {
        byte[] key = new byte[KeyLength];
        BcEd25519.GeneratePublicKey(seed, key);
        return FromBytes(key);
    }

    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureLength && (LibSodium.VerifyEd25519(Data, data, signature) ?? BcEd25519.Verify(signature, _point, data));

    /// <summary>BouncyCastle's verification, for the tests and benchmarks that compare the two.</summary>
    internal bool VerifyBouncyCastle(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureLength && BcEd25519.Verify(signature, _point, data);
}
