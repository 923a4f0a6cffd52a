using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

public sealed class Ed25519KeyTests
{
    // RFC 8032 §7.1, TEST 1 and TEST 2.
    [Theory]
    [InlineData("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")]
    [InlineData("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    public void Matches_the_rfc8032_test_vectors(string seed, string publicKey, string message, string signature)
    {
        Ed25519PrivateKey key = Ed25519PrivateKey.FromSeed(Hex.Decode(seed));
        Assert.Equal(publicKey, Hex.Encode(key.PublicKey.Data));
        Assert.Equal(signature, Hex.Encode(key.Sign(Hex.Decode(message))));
        Assert.True(Ed25519PublicKey.FromBytes(Hex.Decode(publicKey)).Verify(Hex.Decode(message), Hex.Decode(signature)));
        Span<byte> exported = stackalloc byte[32];
        key.ExportSeed(exported);
        Assert.Equal(seed, Hex.Encode(exported));
    }

    [Fact]
    public void Reads_the_three_private_data_layouts()
    {
        Ed25519PrivateKey key = Ed25519PrivateKey.FromSeed(Hex.Decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        byte[] seed = key.ToProtobuf()[4..36];
        byte[] pub = key.PublicKey.Data.ToArray();

        Assert.Equal(key, PrivateKey.FromData(KeyType.Ed25519, seed));                    // mesh P2P.generate_ed25519_identity
        Assert.Equal(key, PrivateKey.FromData(KeyType.Ed25519, [.. seed, .. pub]));       // go-libp2p, mesh keygen
        PrivateKey legacy = PrivateKey.FromData(KeyType.Ed25519, [.. seed, .. pub, .. pub]);  // legacy go-libp2p
        Assert.Equal(key, legacy);
        // Always written back in the 64-byte layout.
        Assert.Equal(4 + 64, legacy.ToProtobuf().Length);
        Assert.Equal([0x08, 0x01, 0x12, 0x40, .. seed, .. pub], legacy.ToProtobuf());
    }

    [Fact]
    public void Rejects_inconsistent_and_misshapen_private_data()
    {
        Ed25519PrivateKey key = Ed25519PrivateKey.Generate();
        byte[] data = key.ToProtobuf()[4..];
        byte[] otherPub = Ed25519PrivateKey.Generate().PublicKey.Data.ToArray();

        Assert.Equal(KeyFormatError.InconsistentKey,
            Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Ed25519, [.. data[..32], .. otherPub])).Error);
        Assert.Equal(KeyFormatError.InconsistentKey,
            Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Ed25519, [.. data, .. otherPub])).Error);
        Assert.Equal(KeyFormatError.InconsistentKey,
            Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Ed25519, [.. data[..32], .. otherPub, .. otherPub])).Error);
        foreach (int length in new[] { 0, 1, 31, 33, 63, 65, 95, 97, 128 })
        {
            Assert.Equal(KeyFormatError.InvalidLength,
                Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Ed25519, new byte[length])).Error);
        }
        Assert.Throws<KeyFormatException>(() => Ed25519PrivateKey.FromSeed(new byte[31]));
    }

    [Theory]
    [InlineData("0200000000000000000000000000000000000000000000000000000000000000")]  // y = 2: x² has no square root
    [InlineData("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")]  // y = p: non-canonical
    [InlineData("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]  // y > p
    public void Rejects_public_keys_that_are_not_curve_points(string hex)
    {
        KeyFormatException ex = Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Ed25519, Hex.Decode(hex)));
        Assert.Equal(KeyFormatError.InvalidPoint, ex.Error);
        Assert.False(PublicKey.TryFromProtobuf([0x08, 0x01, 0x12, 0x20, .. Hex.Decode(hex)], out _, out KeyFormatError error));
        Assert.Equal(KeyFormatError.InvalidPoint, error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void Rejects_public_keys_of_the_wrong_length(int length)
    {
        Assert.Equal(KeyFormatError.InvalidLength,
            Assert.Throws<KeyFormatException>(() => Ed25519PublicKey.FromBytes(new byte[length])).Error);
    }

    [Fact]
    public void Rejects_a_non_canonical_signature_scalar()
    {
        // S + L verifies under a lax verifier; RFC 8032 §5.1.7 requires S < L.
        Ed25519PrivateKey key = Ed25519PrivateKey.FromSeed(new byte[32]);
        byte[] signature = key.Sign("message"u8);
        var l = System.Numerics.BigInteger.Parse("7237005577332262213973186563042994240857116359379907606001950938285454250989");
        var s = new System.Numerics.BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: false) + l;
        byte[] malleated = [.. signature[..32], .. s.ToByteArray(isUnsigned: true, isBigEndian: false).AsSpan().ToArray().Concat(new byte[32]).Take(32)];
        Assert.True(key.PublicKey.Verify("message"u8, signature));
        Assert.False(key.PublicKey.Verify("message"u8, malleated));
    }

    [Fact]
    public void Libsodium_signs_and_verifies_where_its_native_library_ships() =>
        Assert.True(Mesh.Transport.Crypto.LibSodium.IsAvailable, "libsodium did not load; Ed25519 falls back to BouncyCastle (2x slower)");

    [Fact]
    public void Libsodium_and_bouncycastle_make_the_same_signatures_and_accept_each_others() =>
        Property.ForAll(CsCheck.Gen.Select(CsCheck.Gen.Byte.Array[32], CsCheck.Gen.Byte.Array[0, 300]), input =>
        {
            (byte[] seed, byte[] message) = input;
            Ed25519PrivateKey key = Ed25519PrivateKey.FromSeed(seed);
            var publicKey = (Ed25519PublicKey)key.PublicKey;
            byte[] ours = key.Sign(message);
            byte[] theirs = new byte[64];
            key.SignBouncyCastle(message, theirs);
            Assert.Equal(theirs, ours);
            Assert.True(publicKey.Verify(message, theirs));
            Assert.True(publicKey.VerifyBouncyCastle(message, ours));
            byte[] tampered = [.. ours];
            tampered[message.Length % 64] ^= 0x01;
            Assert.False(publicKey.Verify(message, tampered));
            Assert.False(publicKey.VerifyBouncyCastle(message, tampered));
        }, iterations: 300);

    [Fact]
    public void A_small_order_public_key_is_refused_when_it_is_parsed()
    {
        // The neutral point (y = 1): with A = O, a lax verifier accepts R = [S]B for any message. It never gets that far:
        // the key does not parse, so neither verifier ever sees it.
        Assert.Throws<KeyFormatException>(() => Ed25519PublicKey.FromBytes(Mesh.TestKit.Hex.Decode("0100000000000000000000000000000000000000000000000000000000000000")));
    }
}
