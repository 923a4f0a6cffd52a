using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

/// <summary>
/// Mesh's own signatures (mesh/utils/crypto.py): RSA-PSS with SHA-256, MGF1-SHA-256 and the maximum salt length, and
/// pure Ed25519. Checked against the signatures the real Python code made in the golden vectors.
/// </summary>
public sealed class MeshSignatureSchemeTests
{
    [Theory]
    [InlineData("records_ed25519.json")]
    [InlineData("records_rsa.json")]
    public void Verifies_every_record_signature_python_made(string file)
    {
        using JsonDocument doc = IdentityVectors.Shared(file);
        JsonElement keyInfo = doc.RootElement.GetProperty("key");
        (PrivateKey owner, PrivateKey other) = file.Contains("rsa", StringComparison.Ordinal)
            ? ((PrivateKey)IdentityVectors.RsaFromPkcs8Pem(keyInfo.GetProperty("private_key_pkcs8_pem").GetString()!),
                (PrivateKey)IdentityVectors.RsaFromPkcs8Pem(keyInfo.GetProperty("other_key_pkcs8_pem").GetString()!))
            : (IdentityVectors.Ed25519FromSeedHex(keyInfo.GetProperty("seed_hex").GetString()!),
                IdentityVectors.Ed25519FromSeedHex(keyInfo.GetProperty("other_key_seed_hex").GetString()!));
        Assert.Equal(keyInfo.GetProperty("public_key_openssh").GetString(), OpenSshPublicKey.FormatString(owner.PublicKey));
        Assert.Equal(keyInfo.GetProperty("peer_id_base58").GetString(), owner.PeerId.ToString());

        int verified = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (!c.GetProperty("protected").GetBoolean())
            {
                continue;
            }
            byte[] payload = IdentityVectors.HexOf(c, "signing_payload_hex");
            byte[] signature = Convert.FromBase64String(c.GetProperty("signature_ascii").GetString()!);
            Assert.True(MeshSignatureScheme.Verify(owner.PublicKey, payload, signature));
            Assert.False(MeshSignatureScheme.Verify(other.PublicKey, payload, signature));
            byte[] tampered = (byte[])payload.Clone();
            tampered[^1] ^= 1;
            Assert.False(MeshSignatureScheme.Verify(owner.PublicKey, tampered, signature));
            // The signature sits in the signed value as [signature:BASE64].
            Assert.Equal(signature, ExtractSignature(IdentityVectors.HexOf(c, "signed_value_hex")));
            if (owner.Type == KeyType.Ed25519)
            {
                Assert.Equal(signature, MeshSignatureScheme.Sign(owner, payload));  // deterministic
            }
            verified++;

            foreach (JsonElement t in c.GetProperty("tampered").EnumerateArray())
            {
                if (t.GetProperty("kind").GetString() == "signature_by_other_key")
                {
                    // The same payload, signed by the other key: valid for that key, not for the owner.
                    byte[] otherSignature = ExtractSignature(Hex.Decode(t.GetProperty("record").GetProperty("value_hex").GetString()!));
                    Assert.True(MeshSignatureScheme.Verify(other.PublicKey, payload, otherSignature));
                    Assert.False(MeshSignatureScheme.Verify(owner.PublicKey, payload, otherSignature));
                    verified++;
                }
            }
        }
        foreach (JsonElement e in doc.RootElement.GetProperty("edge_cases").EnumerateArray())
        {
            if (e.TryGetProperty("signing_payload_hex", out JsonElement payloadHex))
            {
                byte[] signature = ExtractSignature(IdentityVectors.HexOf(e, "signed_value_hex"));
                Assert.True(MeshSignatureScheme.Verify(owner.PublicKey, Hex.Decode(payloadHex.GetString()!), signature));
                verified++;
            }
        }
        Assert.Equal(5 + 5 + 2, verified);
    }

    [Fact]
    public void Verifies_the_authorizer_signatures_python_made()
    {
        using JsonDocument doc = IdentityVectors.Shared("auth.json");
        JsonElement keys = doc.RootElement.GetProperty("keys");
        PrivateKey client = IdentityVectors.Ed25519FromSeedHex(keys.GetProperty("client_ed25519_seed_hex").GetString()!);
        PrivateKey server = IdentityVectors.Ed25519FromSeedHex(keys.GetProperty("server_ed25519_seed_hex").GetString()!);
        Assert.Equal(keys.GetProperty("client_public_key_openssh").GetString(), OpenSshPublicKey.FormatString(client.PublicKey));
        Assert.Equal(keys.GetProperty("server_public_key_openssh").GetString(), OpenSshPublicKey.FormatString(server.PublicKey));
        int verified = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            foreach ((string payload, string signature, PrivateKey signer) in new[]
            {
                ("request_signing_payload_hex", "request_signature_ascii", client),
                ("response_signing_payload_hex", "response_signature_ascii", server),
            })
            {
                byte[] data = IdentityVectors.HexOf(c, payload);
                byte[] raw = Convert.FromBase64String(c.GetProperty(signature).GetString()!);
                Assert.True(MeshSignatureScheme.Verify(signer.PublicKey, data, raw));
                Assert.Equal(raw, MeshSignatureScheme.Sign(signer, data));
                PrivateKey wrong = signer == client ? server : client;
                Assert.False(MeshSignatureScheme.Verify(wrong.PublicKey, data, raw));
                verified++;
            }
            foreach ((string token, PrivateKey signer) in new[] { ("client_token", client), ("server_token", server) })
            {
                JsonElement t = c.GetProperty(token);
                byte[] text = Encoding.UTF8.GetBytes(t.GetProperty("token_to_bytes_ascii").GetString()!);
                Assert.True(MeshSignatureScheme.Verify(signer.PublicKey, text, Convert.FromBase64String(t.GetProperty("signature_ascii").GetString()!)));
                verified++;
            }
        }
        Assert.Equal(8, verified);
    }

    [Theory]
    [InlineData("vectors-rsa-a")]
    [InlineData("spec-rsa-4096")]
    public void Verifies_python_max_salt_pss_and_rejects_other_salt_lengths(string name)
    {
        JsonElement c = IdentityVectors.Case(name);
        PublicKey key = PublicKey.FromProtobuf(IdentityVectors.HexOf(c, "public_protobuf_hex"));
        byte[] message = IdentityVectors.Message;
        foreach (JsonElement s in c.GetProperty("signatures").EnumerateArray())
        {
            byte[] signature = IdentityVectors.HexOf(s, "hex");
            bool expected = s.GetProperty("kind").GetString() == "rsa-pss-sha256-max-salt";
            // Python verifies with the explicit maximum salt too, so a 32-byte-salt signature is rejected there as here.
            Assert.Equal(expected, MeshSignatureScheme.Verify(key, message, signature));
        }
        Assert.Equal(c.GetProperty("pss_max_salt_length").GetInt32(), PssSaltLength((RsaPublicKey)key,
            MeshSignatureScheme.Sign(PrivateKey.FromProtobuf(IdentityVectors.HexOf(c, "private_protobuf_hex")), message), message));
    }

    [Fact]
    public void Rsa_signatures_use_pss_with_the_maximum_salt()
    {
        using JsonDocument keys = IdentityVectors.Shared("keys.json");
        RsaPrivateKey key = IdentityVectors.RsaFromPkcs8Pem(keys.RootElement.GetProperty("rsa_pkcs8_pem").GetProperty("A").GetString()!);
        byte[] data = "mesh record payload"u8.ToArray();
        byte[] first = MeshSignatureScheme.Sign(key, data);
        byte[] second = MeshSignatureScheme.Sign(key, data);
        Assert.NotEqual(first, second);  // randomised salt
        Assert.Equal(256, first.Length);
        Assert.Equal(256, MeshSignatureScheme.GetSignatureLength(key));
        Assert.True(MeshSignatureScheme.Verify(key.PublicKey, data, first));
        Assert.True(MeshSignatureScheme.Verify(key.PublicKey, data, second));
        Assert.False(MeshSignatureScheme.Verify(key.PublicKey, [.. data, 0], first));
        // An independent EMSA-PSS decoder finds the 222-byte salt that Python's PSS.MAX_LENGTH verifier requires.
        Assert.Equal(222, PssSaltLength(key.RsaPublicKey, first, data));

        // The libp2p RSA scheme (PKCS#1 v1.5) and mesh's (PSS) do not accept each other's signatures.
        Assert.False(MeshSignatureScheme.Verify(key.PublicKey, data, key.Sign(data)));
        Assert.False(key.PublicKey.Verify(data, first));

        // The platform's PSS uses a 32-byte salt: not what mesh accepts.
        using RSA platform = RSA.Create();
        platform.ImportRSAPrivateKey(key.ToProtobuf().AsSpan(5), out _);
        byte[] platformPss = platform.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        Assert.Equal(32, PssSaltLength(key.RsaPublicKey, platformPss, data));
        Assert.False(MeshSignatureScheme.Verify(key.PublicKey, data, platformPss));

        Span<byte> small = stackalloc byte[255];
        Assert.False(MeshSignatureScheme.TrySign(key, data, small, out _));
    }

    [Fact]
    public void Openssl_and_bouncycastle_pss_accept_each_others_signatures()
    {
        Assert.True(Mesh.Transport.Crypto.OpenSslRsaPss.IsAvailable, "OpenSSL 3 RSA-PSS is not usable; mesh RSA signatures fall back to BouncyCastle (an order of magnitude slower)");
        foreach (int bits in (int[])[2048, 3072])
        {
            RsaPrivateKey key = RsaPrivateKey.Generate(bits);
            for (int i = 0; i < 8; i++)
            {
                byte[] data = [.. Enumerable.Range(0, 17 * i).Select(b => (byte)(b * 7 + i))];
                byte[] ours = MeshSignatureScheme.Sign(key, data);
                byte[] theirs = new byte[key.MaxSignatureLength];
                Assert.True(RsaPss.TrySignBouncyCastle(key, data, theirs, out int length));
                Assert.Equal(theirs.Length, length);
                Assert.True(RsaPss.VerifyBouncyCastle(key.RsaPublicKey, data, ours));
                Assert.True(MeshSignatureScheme.Verify(key.PublicKey, data, theirs));
                Assert.Equal(RsaPss.GetMaxSaltLength(bits), PssSaltLength(key.RsaPublicKey, ours, data));
                ours[i * 13 % ours.Length] ^= 0x10;
                Assert.False(MeshSignatureScheme.Verify(key.PublicKey, data, ours));
                Assert.False(RsaPss.VerifyBouncyCastle(key.RsaPublicKey, data, ours));
            }
        }
    }

    [Fact]
    public void Malformed_rsa_signatures_are_invalid_not_errors()
    {
        RsaPrivateKey key = (RsaPrivateKey)IdentityVectors.Generated(KeyType.Rsa);
        byte[] data = "x"u8.ToArray();
        byte[] signature = MeshSignatureScheme.Sign(key, data);
        Assert.False(MeshSignatureScheme.Verify(key.PublicKey, data, []));
        Assert.False(MeshSignatureScheme.Verify(key.PublicKey, data, signature[1..]));
        Assert.False(MeshSignatureScheme.Verify(key.PublicKey, data, [.. signature, 0]));
        Assert.False(MeshSignatureScheme.Verify(key.PublicKey, data, Enumerable.Repeat((byte)0xff, 256).ToArray()));  // >= n
        Assert.False(MeshSignatureScheme.Verify(key.PublicKey, data, new byte[256]));
        for (int i = 0; i < signature.Length; i += 31)
        {
            byte[] flipped = (byte[])signature.Clone();
            flipped[i] ^= 4;
            Assert.False(MeshSignatureScheme.Verify(key.PublicKey, data, flipped));
        }
    }

    [Fact]
    public void Only_rsa_and_ed25519_are_mesh_key_types()
    {
        Assert.True(MeshSignatureScheme.IsSupported(KeyType.Rsa));
        Assert.True(MeshSignatureScheme.IsSupported(KeyType.Ed25519));
        Assert.False(MeshSignatureScheme.IsSupported(KeyType.Secp256k1));
        Assert.False(MeshSignatureScheme.IsSupported(KeyType.Ecdsa));
        foreach (KeyType type in new[] { KeyType.Secp256k1, KeyType.Ecdsa })
        {
            PrivateKey key = IdentityVectors.Generated(type);
            Assert.Throws<NotSupportedException>(() => MeshSignatureScheme.Sign(key, "x"u8));
            Assert.False(MeshSignatureScheme.Verify(key.PublicKey, "x"u8, key.Sign("x"u8)));
        }
    }

    private static byte[] ExtractSignature(byte[] signedValue)
    {
        string text = Encoding.Latin1.GetString(signedValue);
        int start = text.IndexOf("[signature:", StringComparison.Ordinal) + "[signature:".Length;
        int end = text.IndexOf(']', start);
        return Convert.FromBase64String(text[start..end]);
    }

    /// <summary>
    /// An independent EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with salt recovery, on System.Numerics: returns the salt
    /// length of a valid SHA-256/MGF1-SHA-256 signature, or -1.
    /// </summary>
    private static int PssSaltLength(RsaPublicKey key, byte[] signature, byte[] message)
    {
        var n = new BigInteger(key.Modulus, isUnsigned: true, isBigEndian: true);
        var e = new BigInteger(key.Exponent, isUnsigned: true, isBigEndian: true);
        int emBits = key.KeySizeInBits - 1;
        int emLen = (emBits + 7) / 8;
        byte[] em = BigInteger.ModPow(new BigInteger(signature, isUnsigned: true, isBigEndian: true), e, n).ToByteArray(isUnsigned: true, isBigEndian: true);
        em = [.. new byte[emLen - em.Length], .. em];
        if (em[^1] != 0xbc)
        {
            return -1;
        }
        byte[] maskedDb = em[..(emLen - 33)];
        byte[] h = em[(emLen - 33)..^1];
        byte[] mask = new byte[maskedDb.Length];
        for (int counter = 0, offset = 0; offset < mask.Length; counter++, offset += 32)
        {
            byte[] block = SHA256.HashData([.. h, (byte)(counter >> 24), (byte)(counter >> 16), (byte)(counter >> 8), (byte)counter]);
            block.AsSpan(0, Math.Min(32, mask.Length - offset)).CopyTo(mask.AsSpan(offset));
        }
        byte[] db = maskedDb.Zip(mask, (a, b) => (byte)(a ^ b)).ToArray();
        db[0] &= (byte)(0xff >> ((8 * emLen) - emBits));
        int separator = Array.FindIndex(db, b => b != 0);
        if (separator < 0 || db[separator] != 1)
        {
            return -1;
        }
        byte[] salt = db[(separator + 1)..];
        byte[] expected = SHA256.HashData([.. new byte[8], .. SHA256.HashData(message), .. salt]);
        return expected.AsSpan().SequenceEqual(h) ? salt.Length : -1;
    }
}
