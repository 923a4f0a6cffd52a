using System.Security.Cryptography;
using System.Text.Json;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

public sealed class EcdsaKeyTests
{
    [Fact]
    public void Writes_sec1_like_go_libp2p_and_reads_pkcs8_too()
    {
        JsonElement c = IdentityVectors.Case("spec-ecdsa-p256");
        byte[] specPrivate = IdentityVectors.HexOf(c, "private_protobuf_hex");
        PrivateKey fromSec1 = PrivateKey.FromProtobuf(specPrivate);
        PrivateKey fromPkcs8 = PrivateKey.FromData(KeyType.Ecdsa, IdentityVectors.HexOf(c, "pkcs8_hex"));
        Assert.Equal(fromSec1, fromPkcs8);
        Assert.Equal(specPrivate, fromPkcs8.ToProtobuf());
    }

    [Theory]
    [InlineData("nistP384", "P-384")]
    [InlineData("nistP521", "P-521")]
    public void Accepts_the_larger_nist_curves(string curve, string name)
    {
        using ECDsa platform = ECDsa.Create(ECCurve.CreateFromFriendlyName(curve));
        PrivateKey key = PrivateKey.FromData(KeyType.Ecdsa, platform.ExportECPrivateKey());
        Assert.Equal(name, ((EcdsaPublicKey)key.PublicKey).CurveName);
        byte[] signature = key.Sign("data"u8);
        Assert.True(key.PublicKey.Verify("data"u8, signature));
        // SHA-256 for every curve, as go-libp2p does; the platform agrees on the DER signature.
        Assert.True(platform.VerifyData("data"u8, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.True(key.PublicKey.Verify("data"u8,
            platform.SignData("data"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        Assert.True(key.MaxSignatureLength >= signature.Length);
    }

    [Fact]
    public void Rejects_curves_other_than_p256_p384_p521()
    {
        using ECDsa secp256k1 = ECDsa.Create(ECCurve.CreateFromFriendlyName("secP256k1"));
        Assert.Equal(KeyFormatError.UnsupportedCurve,
            Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Ecdsa, secp256k1.ExportSubjectPublicKeyInfo())).Error);
        Assert.Equal(KeyFormatError.UnsupportedCurve,
            Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Ecdsa, secp256k1.ExportECPrivateKey())).Error);
        // Explicit curve parameters instead of a named curve.
        ECParameters explicitP256 = ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportExplicitParameters(false);
        using ECDsa withExplicit = ECDsa.Create(explicitP256);
        Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Ecdsa, withExplicit.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void Rejects_points_off_the_curve_and_non_canonical_encodings()
    {
        byte[] spki = IdentityVectors.HexOf(IdentityVectors.Case("spec-ecdsa-p256"), "public_protobuf_hex")[4..];
        byte[] offCurve = (byte[])spki.Clone();
        offCurve[^1] ^= 1;
        Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Ecdsa, offCurve));
        Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Ecdsa, [.. spki, 0]));
        Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Ecdsa, IdentityVectors.Generated(KeyType.Rsa).PublicKey.Data));
        Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Ecdsa, []));
    }

    [Fact]
    public void Rejects_a_private_key_whose_embedded_public_point_does_not_match()
    {
        byte[] sec1 = IdentityVectors.HexOf(IdentityVectors.Case("spec-ecdsa-p256"), "private_protobuf_hex")[3..];
        Assert.Equal(0x79, sec1[0]);  // the protobuf length byte; the DER follows
        sec1 = sec1[1..];
        using ECDsa other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] otherPoint = other.ExportSubjectPublicKeyInfo()[^65..];
        byte[] mismatched = [.. sec1[..^65], .. otherPoint];
        Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Ecdsa, mismatched));
        Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Ecdsa, [.. sec1, 0]));
    }
}
