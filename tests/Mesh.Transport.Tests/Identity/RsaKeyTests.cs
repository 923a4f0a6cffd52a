using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text.Json;
using Mesh.TestKit;
using Mesh.Transport.Identity;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;

namespace Mesh.Transport.Tests.Identity;

public sealed class RsaKeyTests
{
    private static readonly byte[] s_data = "libp2p RSA PKCS#1 v1.5 SHA-256 cross-check"u8.ToArray();

    [Fact]
    public void Pkcs1_signatures_cross_check_with_the_platform_and_bouncycastle()
    {
        RsaPrivateKey key = (RsaPrivateKey)IdentityVectors.Generated(KeyType.Rsa);
        using RSA platform = RSA.Create();
        platform.ImportSubjectPublicKeyInfo(key.PublicKey.Data, out _);

        byte[] ours = key.Sign(s_data);
        Assert.True(platform.VerifyData(s_data, ours, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        using RSA platformPrivate = RSA.Create();
        platformPrivate.ImportRSAPrivateKey(Pkcs1Of(key), out _);
        byte[] theirs = platformPrivate.SignData(s_data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Assert.Equal(theirs, ours);  // PKCS#1 v1.5 is deterministic
        Assert.True(key.PublicKey.Verify(s_data, theirs));

        // A third implementation: BouncyCastle's RSA digest signer.
        var verifier = new RsaDigestSigner(new Sha256Digest());
        verifier.Init(false, key.RsaPublicKey.BouncyCastleKey);
        verifier.BlockUpdate(s_data);
        Assert.True(verifier.VerifySignature(ours));
        // PSS signatures are not libp2p RSA signatures.
        Assert.False(key.PublicKey.Verify(s_data, platformPrivate.SignData(s_data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)));
    }

    [Fact]
    public void Golden_rsa_keys_give_the_python_peer_ids_and_openssh_forms()
    {
        using JsonDocument keys = IdentityVectors.Shared("keys.json");
        using JsonDocument peerIds = IdentityVectors.Shared("peerid.json");
        int count = 0;
        foreach (JsonElement c in peerIds.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("key_type").GetString() != "RSA")
            {
                continue;
            }
            RsaPrivateKey key = IdentityVectors.RsaFromPkcs8Pem(c.GetProperty("private_key_pkcs8_pem").GetString()!);
            Assert.Equal(c.GetProperty("public_key_spki_der_hex").GetString(), Hex.Encode(key.PublicKey.Data));
            Assert.Equal(c.GetProperty("public_key_protobuf_hex").GetString(), Hex.Encode(key.PublicKey.ToProtobuf()));
            Assert.Equal(c.GetProperty("peer_id_base58").GetString(), key.PeerId.ToString());
            Assert.Equal(c.GetProperty("peer_id_hex").GetString(), Hex.Encode(key.PeerId.Bytes));
            Assert.Equal(c.GetProperty("public_key_openssh").GetString(), OpenSshPublicKey.FormatString(key.PublicKey));
            // keygen's identity file is exactly our PrivateKey protobuf.
            Assert.Equal(c.GetProperty("identity_file_keygen_hex").GetString(), Hex.Encode(key.ToProtobuf()));
            Assert.Equal(2048, key.RsaPublicKey.KeySizeInBits);
            count++;
        }
        Assert.Equal(2, count);
        Assert.Equal(2, keys.RootElement.GetProperty("rsa_pkcs8_pem").EnumerateObject().Count());
    }

    [Theory]
    [InlineData(512)]
    [InlineData(1016)]
    public void Rejects_moduli_below_1024_bits(int bits)
    {
        using RSA small = RSA.Create();
        small.ImportParameters(MakeParameters(bits));
        KeyFormatException ex = Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Rsa, small.ExportSubjectPublicKeyInfo()));
        Assert.Equal(KeyFormatError.UnsupportedKeySize, ex.Error);
        Assert.Equal(KeyFormatError.UnsupportedKeySize,
            Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Rsa, small.ExportRSAPrivateKey())).Error);
    }

    [Fact]
    public void Accepts_1024_bit_keys_and_rejects_absurdly_large_moduli()
    {
        using RSA rsa1024 = RSA.Create(1024);
        Assert.Equal(1024, ((RsaPublicKey)PublicKey.FromData(KeyType.Rsa, rsa1024.ExportSubjectPublicKeyInfo())).KeySizeInBits);

        byte[] huge = new byte[(RsaPublicKey.MaxKeySizeInBits / 8) + 8];
        RandomNumberGenerator.Fill(huge);
        huge[0] |= 0x80;
        huge[^1] |= 1;
        byte[] spki = Spki(huge, [1, 0, 1]);
        Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Rsa, spki));
    }

    [Theory]
    [InlineData(new byte[] { 1 })]
    [InlineData(new byte[] { 4 })]
    [InlineData(new byte[] { 1, 0, 0 })]
    [InlineData(new byte[] { 0x80, 0, 0, 1 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 1 })]
    public void Rejects_unusable_public_exponents(byte[] exponent)
    {
        byte[] modulus = ((RsaPublicKey)IdentityVectors.Generated(KeyType.Rsa).PublicKey).Modulus.ToArray();
        Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Rsa, Spki(modulus, exponent)));
    }

    [Fact]
    public void Rejects_non_canonical_and_foreign_der()
    {
        RsaPrivateKey key = (RsaPrivateKey)IdentityVectors.Generated(KeyType.Rsa);
        byte[] spki = key.PublicKey.Data.ToArray();
        Assert.Equal(KeyFormatError.InvalidEncoding,
            Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Rsa, [.. spki, 0])).Error);
        // An ECDSA SubjectPublicKeyInfo under the RSA type.
        Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Rsa, IdentityVectors.Generated(KeyType.Ecdsa).PublicKey.Data));
        // The bare PKCS#1 RSAPublicKey is not the libp2p encoding (PKIX is).
        using RSA rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out _);
        Assert.Equal(KeyFormatError.InvalidEncoding,
            Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Rsa, rsa.ExportRSAPublicKey())).Error);
        // A long-form length where the short form fits (BER, not DER) in the outer SEQUENCE.
        byte[] nonMinimal = Spki(key.RsaPublicKey.Modulus.ToArray(), key.RsaPublicKey.Exponent.ToArray(), nonMinimalOuterLength: true);
        Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Rsa, nonMinimal));
        // rsaEncryption without its NULL parameters (Go's x509 rejects this too).
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.113549.1.1.1");
            }
            writer.WriteBitString(rsa.ExportRSAPublicKey());
        }
        Assert.Equal(KeyFormatError.InvalidEncoding,
            Assert.Throws<KeyFormatException>(() => PublicKey.FromData(KeyType.Rsa, writer.Encode())).Error);
        // The platform agrees with our DER: what we decode it imports, and what it exports we decode to the same bytes.
        using RSA platform = RSA.Create();
        platform.ImportSubjectPublicKeyInfo(spki, out int read);
        Assert.Equal(spki.Length, read);
        Assert.Equal(spki, PublicKey.FromData(KeyType.Rsa, platform.ExportSubjectPublicKeyInfo()).Data.ToArray());
    }

    [Fact]
    public void Rejects_private_keys_whose_crt_values_do_not_match()
    {
        RsaPrivateKey key = (RsaPrivateKey)IdentityVectors.Generated(KeyType.Rsa);
        using RSA rsa = RSA.Create();
        rsa.ImportRSAPrivateKey(Pkcs1Of(key), out _);
        RSAParameters p = rsa.ExportParameters(true);

        RSAParameters swappedDp = p;
        swappedDp.DP = p.DQ;
        swappedDp.DQ = p.DP;
        Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Rsa, Pkcs1(swappedDp)));

        RSAParameters wrongD = p;
        wrongD.D = (byte[])p.D!.Clone();
        wrongD.D[^1] ^= 2;
        Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Rsa, Pkcs1(wrongD)));

        RSAParameters wrongQInv = p;
        wrongQInv.InverseQ = (byte[])p.InverseQ!.Clone();
        wrongQInv.InverseQ[^1] ^= 2;
        Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Rsa, Pkcs1(wrongQInv)));

        Assert.Equal(key, PrivateKey.FromData(KeyType.Rsa, Pkcs1(p)));
        Assert.Throws<KeyFormatException>(() => PrivateKey.FromData(KeyType.Rsa, [.. Pkcs1(p), 0]));
    }

    /// <summary>The PKCS#1 DER inside the key's PrivateKey protobuf (the protobuf Data field).</summary>
    private static byte[] Pkcs1Of(PrivateKey key)
    {
        byte[] protobuf = key.ToProtobuf();
        return protobuf[(protobuf[3] < 0x80 ? 4 : 5)..];
    }

    private static RSAParameters MakeParameters(int bits)
    {
        using RSA real = RSA.Create(bits);
        return real.ExportParameters(true);
    }

    private static byte[] Spki(byte[] modulus, byte[] exponent, bool nonMinimalOuterLength = false)
    {
        var inner = new AsnWriter(AsnEncodingRules.DER);
        using (inner.PushSequence())
        {
            inner.WriteIntegerUnsigned(modulus);
            inner.WriteIntegerUnsigned(exponent);
        }
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.113549.1.1.1");
                writer.WriteNull();
            }
            writer.WriteBitString(inner.Encode());
        }
        byte[] der = writer.Encode();
        if (!nonMinimalOuterLength)
        {
            return der;
        }
        // 30 82 LL LL … → 30 83 00 LL LL … : the same length with a redundant leading zero byte.
        Assert.Equal(0x82, der[1]);
        return [0x30, 0x83, 0x00, .. der.AsSpan(2)];
    }

    private static byte[] Pkcs1(RSAParameters p)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            foreach (byte[]? value in (byte[]?[])[p.Modulus, p.Exponent, p.D, p.P, p.Q, p.DP, p.DQ, p.InverseQ])
            {
                writer.WriteIntegerUnsigned(Minimal(value!));
            }
        }
        return writer.Encode();
    }

    /// <summary>
    /// ExportParameters pads D to the modulus size and P..InverseQ to half of it; DER (and AsnWriter) wants minimal
    /// integers, so strip the leading zero bytes the padding added (about 1 in 256 values of each per key).
    /// </summary>
    private static ReadOnlySpan<byte> Minimal(byte[] value)
    {
        int start = 0;
        while (start < value.Length - 1 && value[start] == 0)
        {
            start++;
        }
        return value.AsSpan(start);
    }
}
