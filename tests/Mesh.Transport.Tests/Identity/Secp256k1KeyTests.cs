using System.Text.Json;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

public sealed class Secp256k1KeyTests
{
    private const string Order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    private const string FieldPrime = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";

    [Fact]
    public void Uncompressed_points_are_accepted_and_canonicalised()
    {
        JsonElement c = IdentityVectors.Case("spec-secp256k1");
        PublicKey compressed = PublicKey.FromProtobuf(IdentityVectors.HexOf(c, "public_protobuf_hex"));
        PublicKey uncompressed = PublicKey.FromData(KeyType.Secp256k1, IdentityVectors.HexOf(c, "uncompressed_public_hex"));
        Assert.Equal(compressed, uncompressed);
        Assert.Equal(33, uncompressed.Data.Length);
        Assert.Equal(compressed.PeerId, uncompressed.PeerId);
        Assert.Equal(compressed.ToProtobuf(), uncompressed.ToProtobuf());
    }

    [Fact]
    public void High_s_signatures_verify_and_ours_are_low_s_and_deterministic()
    {
        JsonElement c = IdentityVectors.Case("spec-secp256k1");
        PrivateKey key = PrivateKey.FromProtobuf(IdentityVectors.HexOf(c, "private_protobuf_hex"));
        byte[] message = IdentityVectors.Message;
        foreach (JsonElement s in c.GetProperty("signatures").EnumerateArray())
        {
            Assert.True(key.PublicKey.Verify(message, IdentityVectors.HexOf(s, "hex")), s.GetProperty("kind").GetString());
        }
        var halfOrder = System.Numerics.BigInteger.Parse("0" + Order, System.Globalization.NumberStyles.HexNumber) / 2;
        Span<byte> rs = stackalloc byte[64];
        for (int i = 0; i < 50; i++)
        {
            byte[] data = [.. message, (byte)i];
            byte[] signature = key.Sign(data);
            Assert.Equal(signature, key.Sign(data));  // RFC 6979
            Assert.True(EcdsaDerSignature.TryDecode(signature, 32, rs));
            Assert.True(new System.Numerics.BigInteger(rs[32..], isUnsigned: true, isBigEndian: true) <= halfOrder);
        }
    }

    [Theory]
    [InlineData("05" + "7777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99", KeyFormatError.InvalidEncoding)]  // bad prefix
    [InlineData("04" + "7777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99", KeyFormatError.InvalidEncoding)]  // 0x04 with 32 bytes
    [InlineData("02" + FieldPrime, KeyFormatError.InvalidPoint)]                                                              // x = p
    [InlineData("02" + "0000000000000000000000000000000000000000000000000000000000000005", KeyFormatError.InvalidPoint)]  // x³+7 not a square
    [InlineData("03", KeyFormatError.InvalidLength)]
    [InlineData("", KeyFormatError.InvalidLength)]
    [InlineData("00", KeyFormatError.InvalidLength)]                                                                          // infinity
    public void Rejects_invalid_points(string hex, KeyFormatError expected)
    {
        KeyFormatException ex = Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Secp256k1, Hex.Decode(hex)));
        Assert.Equal(expected, ex.Error);
    }

    [Fact]
    public void Rejects_an_uncompressed_point_off_the_curve()
    {
        byte[] point = IdentityVectors.HexOf(IdentityVectors.Case("spec-secp256k1"), "uncompressed_public_hex");
        point[^1] ^= 1;
        Assert.Equal(KeyFormatError.InvalidPoint,
            Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Secp256k1, point)).Error);
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData(Order)]
    [InlineData("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    public void Rejects_scalars_outside_the_group(string hex)
    {
        Assert.Equal(KeyFormatError.InvalidPoint,
            Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Secp256k1, Hex.Decode(hex))).Error);
    }

    [Fact]
    public void Accepts_the_extreme_valid_scalars()
    {
        PrivateKey one = PrivateKey.FromData(KeyType.Secp256k1, Hex.Decode("0000000000000000000000000000000000000000000000000000000000000001"));
        // 1·G is the generator: 02 79be667e…
        Assert.Equal("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", Hex.Encode(one.PublicKey.Data));
        PrivateKey last = PrivateKey.FromData(KeyType.Secp256k1, Hex.Decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"));
        // (n−1)·G = −G: same x, odd y.
        Assert.Equal("0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", Hex.Encode(last.PublicKey.Data));
        Assert.True(last.PublicKey.Verify("x"u8, last.Sign("x"u8)));
        Assert.Equal(KeyFormatError.InvalidLength,
            Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Secp256k1, new byte[33])).Error);
    }

    [Fact]
    public void Rejects_signatures_with_r_or_s_not_below_the_order()
    {
        PrivateKey key = IdentityVectors.Generated(KeyType.Secp256k1);
        byte[] n = Hex.Decode(Order);
        byte[] one = new byte[32];
        one[^1] = 1;
        Span<byte> der = stackalloc byte[80];
        Assert.True(EcdsaDerSignature.TryEncode(n, one, der, out int written));
        Assert.False(key.PublicKey.Verify("x"u8, der[..written]));
        Assert.True(EcdsaDerSignature.TryEncode(one, n, der, out written));
        Assert.False(key.PublicKey.Verify("x"u8, der[..written]));
    }
}
