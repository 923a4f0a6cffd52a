using System.Text.Json;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

/// <summary>
/// The libp2p peer-ids spec test vectors (libp2p/specs peer-ids/peer-ids.md, "Test vectors": an ECDSA P-256, an
/// Ed25519, a secp256k1 and an RSA-4096 key pair as PrivateKey/PublicKey protobufs), cross-checked against peer ids,
/// OpenSSH forms and signatures computed independently with Python cryptography (Vectors/independent_vectors.json).
/// </summary>
public sealed class PeerIdsSpecVectorTests
{
    public static TheoryData<string> SpecCases() => ["spec-ed25519", "spec-secp256k1", "spec-ecdsa-p256", "spec-rsa-4096"];

    [Theory]
    [MemberData(nameof(SpecCases))]
    public void Private_key_yields_the_spec_public_key(string name)
    {
        // "Implementations SHOULD check that they can produce the provided public key from the private key."
        JsonElement c = IdentityVectors.Case(name);
        PrivateKey key = PrivateKey.FromProtobuf(IdentityVectors.HexOf(c, "private_protobuf_hex"));
        Assert.Equal(Hex.Encode(IdentityVectors.HexOf(c, "spec_public_protobuf_hex")), Hex.Encode(key.PublicKey.ToProtobuf()));
        Assert.Equal(Enum.Parse<KeyType>(c.GetProperty("key_type").GetString()!), key.Type);
    }

    [Theory]
    [MemberData(nameof(SpecCases))]
    public void Spec_keys_round_trip_byte_for_byte(string name)
    {
        JsonElement c = IdentityVectors.Case(name);
        byte[] privateProtobuf = IdentityVectors.HexOf(c, "private_protobuf_hex");
        byte[] publicProtobuf = IdentityVectors.HexOf(c, "spec_public_protobuf_hex");
        Assert.Equal(privateProtobuf, PrivateKey.FromProtobuf(privateProtobuf).ToProtobuf());
        PublicKey publicKey = PublicKey.FromProtobuf(publicProtobuf);
        Assert.Equal(publicProtobuf, publicKey.ToProtobuf());
        Assert.Equal(publicProtobuf.Length, publicKey.GetProtobufLength());
        Span<byte> buffer = stackalloc byte[publicProtobuf.Length + 8];
        Assert.True(publicKey.TryWriteProtobuf(buffer, out int written));
        Assert.Equal(publicProtobuf, buffer[..written].ToArray());
        Assert.False(publicKey.TryWriteProtobuf(buffer[..(publicProtobuf.Length - 1)], out _));
    }

    [Theory]
    [MemberData(nameof(IdentityVectors.CaseNames), MemberType = typeof(IdentityVectors))]
    public void Peer_id_matches_the_independent_computation(string name)
    {
        JsonElement c = IdentityVectors.Case(name);
        JsonElement expected = c.GetProperty("peer_id");
        PublicKey key = PublicKey.FromProtobuf(IdentityVectors.HexOf(c, "public_protobuf_hex"));
        PeerId id = key.PeerId;
        Assert.Equal(expected.GetProperty("multihash_hex").GetString(), Hex.Encode(id.Bytes));
        Assert.Equal(expected.GetProperty("base58").GetString(), id.ToString());
        Assert.Equal(expected.GetProperty("cid_base32").GetString(), id.ToCidString());
        Assert.Equal(id, PeerId.Parse(expected.GetProperty("base58").GetString()!));
        Assert.Equal(id, PeerId.Parse(expected.GetProperty("cid_base32").GetString()!));
        Assert.True(id.Matches(key));
        Assert.Equal(key.GetProtobufLength() <= PeerId.MaxInlineKeyLength, id.HasInlinePublicKey);
    }

    [Theory]
    [MemberData(nameof(IdentityVectors.CaseNames), MemberType = typeof(IdentityVectors))]
    public void Independent_signatures_verify_and_tampering_is_detected(string name)
    {
        JsonElement c = IdentityVectors.Case(name);
        PrivateKey privateKey = PrivateKey.FromProtobuf(IdentityVectors.HexOf(c, "private_protobuf_hex"));
        PublicKey publicKey = PublicKey.FromProtobuf(IdentityVectors.HexOf(c, "public_protobuf_hex"));
        byte[] message = IdentityVectors.Message;
        int checkedSignatures = 0;
        foreach (JsonElement s in c.GetProperty("signatures").EnumerateArray())
        {
            string kind = s.GetProperty("kind").GetString()!;
            byte[] signature = IdentityVectors.HexOf(s, "hex");
            if (kind.StartsWith("rsa-pss", StringComparison.Ordinal))
            {
                continue;  // mesh's scheme, checked in MeshSignatureSchemeTests
            }
            Assert.True(publicKey.Verify(message, signature), kind);
            byte[] tampered = (byte[])message.Clone();
            tampered[^1] ^= 1;
            Assert.False(publicKey.Verify(tampered, signature), kind);
            if (s.GetProperty("deterministic").GetBoolean())
            {
                // Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic: ours must be the same bytes.
                Assert.Equal(Hex.Encode(signature), Hex.Encode(privateKey.Sign(message)));
            }
            checkedSignatures++;
        }
        Assert.True(checkedSignatures > 0);
        Assert.True(publicKey.Verify(message, privateKey.Sign(message)));
    }

    [Fact]
    public void Spec_string_examples_parse_to_the_same_peer_id()
    {
        // peer-ids spec, "String representation": one sha2-256 peer id as base58btc and as a CIDv1 libp2p-key.
        JsonElement examples = IdentityVectors.Independent.GetProperty("spec_examples");
        PeerId fromBase58 = PeerId.Parse(examples.GetProperty("base58").GetString()!);
        PeerId fromCid = PeerId.Parse(examples.GetProperty("cid").GetString()!);
        Assert.Equal(fromBase58, fromCid);
        Assert.Equal(examples.GetProperty("cid").GetString(), fromBase58.ToCidString());
        Assert.Equal(examples.GetProperty("base58").GetString(), fromCid.ToString());
        PeerId ed25519 = PeerId.Parse(examples.GetProperty("ed25519_base58").GetString()!);
        Assert.True(ed25519.TryExtractPublicKey(out PublicKey? key));
        Assert.Equal(KeyType.Ed25519, key.Type);
        Assert.Equal(ed25519, key.PeerId);
    }
}
