using System.Security.Cryptography;
using CsCheck;
using Mesh.TestKit;
using Mesh.Transport.Crypto;
using Mesh.Transport.Noise;
using BcX25519 = Org.BouncyCastle.Math.EC.Rfc7748.X25519;

namespace Mesh.Transport.Tests.Noise;

/// <summary>
/// The DH functions Noise runs on: libsodium where it loads (it must, on the machines the tests run on: the package
/// ships it), BouncyCastle otherwise. RFC 7748 vectors, agreement with BouncyCastle on random keys, and the refusal of
/// every small-order point as a typed error.
/// </summary>
public sealed class X25519DhTests
{
    [Fact]
    public void Libsodium_is_the_backend_where_its_native_library_ships()
    {
        Assert.True(LibSodium.IsAvailable, "libsodium did not load; the handshake falls back to BouncyCastle (2.5x slower)");
        Assert.Equal("libsodium", X25519Dh.Backend);
    }

    // RFC 7748 §6.1 (the Diffie-Hellman example) and §5.2 (the two single scalar multiplication vectors).
    [Theory]
    [InlineData("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")]
    [InlineData("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")]
    [InlineData("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void Agree_matches_rfc7748(string privateKey, string publicKey, string shared)
    {
        var output = new byte[32];
        X25519Dh.Agree(Hex.Decode(privateKey), Hex.Decode(publicKey), output);
        Assert.Equal(shared, Hex.Encode(output));
    }

    [Theory]
    [InlineData("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")]
    [InlineData("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")]
    public void Public_keys_match_rfc7748(string privateKey, string publicKey)
    {
        var output = new byte[32];
        X25519Dh.DerivePublicKey(Hex.Decode(privateKey), output);
        Assert.Equal(publicKey, Hex.Encode(output));
    }

    [Fact]
    public void Agrees_with_bouncycastle_on_random_keys_both_ways() =>
        SeededProperty.Check(Gen.Select(Gen.Byte.Array[32], Gen.Byte.Array[32]), pair =>
        {
            (byte[] a, byte[] b) = pair;
            byte[] aPublic = new byte[32], bPublic = new byte[32], bcPublic = new byte[32];
            X25519Dh.DerivePublicKey(a, aPublic);
            X25519Dh.DerivePublicKey(b, bPublic);
            BcX25519.GeneratePublicKey(a, bcPublic);
            Assert.Equal(bcPublic, aPublic);
            byte[] ab = new byte[32], ba = new byte[32], bc = new byte[32];
            X25519Dh.Agree(a, bPublic, ab);
            X25519Dh.Agree(b, aPublic, ba);
            Assert.True(X25519Dh.AgreeBouncyCastle(a, bPublic, bc));
            Assert.Equal(ab, ba);
            Assert.Equal(bc, ab);
        }, iterations: 500);

    // The points of order 1, 2, 4 and 8 on Curve25519 and their non-canonical encodings (the list libsodium and
    // curve25519-donna reject): X25519 of any scalar with them is all zero.
    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0100000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")]
    [InlineData("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157")]
    [InlineData("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    [InlineData("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    [InlineData("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]
    public void Small_order_points_are_a_typed_error_and_leave_no_secret(string point)
    {
        byte[] privateKey = RandomNumberGenerator.GetBytes(32);
        byte[] shared = [.. Enumerable.Repeat((byte)0xAA, 32)];
        NoiseException ex = Assert.ThrowsAny<NoiseException>(() => X25519Dh.Agree(privateKey, Hex.Decode(point), shared));
        Assert.Equal(NoiseError.LowOrderPublicKey, ex.Error);
        Assert.All(shared, b => Assert.Equal(0, b));
    }
}
