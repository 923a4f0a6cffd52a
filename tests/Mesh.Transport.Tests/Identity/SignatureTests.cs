using System.Text;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

/// <summary>libp2p signatures for every key type: sign/verify, tampered data, the wrong key, malformed signatures.</summary>
public sealed class SignatureTests
{
    public static TheoryData<KeyType> KeyTypes() => [KeyType.Ed25519, KeyType.Rsa, KeyType.Secp256k1, KeyType.Ecdsa];

    private static readonly byte[] s_data = Encoding.UTF8.GetBytes("noise-libp2p-static-key:" + new string('x', 100));

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public void Signatures_verify_only_for_the_signed_data_and_the_signing_key(KeyType type)
    {
        PrivateKey key = IdentityVectors.Generated(type);
        PrivateKey other = PrivateKey.Generate(type == KeyType.Rsa ? KeyType.Ed25519 : type);
        byte[] signature = key.Sign(s_data);
        Assert.True(signature.Length <= key.MaxSignatureLength);
        Assert.True(key.PublicKey.Verify(s_data, signature));

        for (int i = 0; i < s_data.Length; i += 17)
        {
            byte[] tampered = (byte[])s_data.Clone();
            tampered[i] ^= 0x80;
            Assert.False(key.PublicKey.Verify(tampered, signature));
        }
        Assert.False(key.PublicKey.Verify(s_data.AsSpan(1), signature));
        Assert.False(key.PublicKey.Verify([], signature));
        Assert.False(other.PublicKey.Verify(s_data, signature));
        Assert.False(key.PublicKey.Verify(s_data, other.Sign(s_data)));
    }

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public void Malformed_signatures_are_invalid_not_errors(KeyType type)
    {
        PrivateKey key = IdentityVectors.Generated(type);
        byte[] signature = key.Sign(s_data);
        Assert.False(key.PublicKey.Verify(s_data, []));
        for (int length = 0; length < signature.Length; length++)
        {
            Assert.False(key.PublicKey.Verify(s_data, signature.AsSpan(0, length)));
        }
        Assert.False(key.PublicKey.Verify(s_data, [.. signature, 0]));
        Assert.False(key.PublicKey.Verify(s_data, new byte[signature.Length]));
        Assert.False(key.PublicKey.Verify(s_data, Enumerable.Repeat((byte)0xff, signature.Length).ToArray()));
        for (int i = 0; i < signature.Length; i += 5)
        {
            byte[] flipped = (byte[])signature.Clone();
            flipped[i] ^= 0x01;
            Assert.False(key.PublicKey.Verify(s_data, flipped), $"bit flip at {i} accepted");
        }
    }

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public void Span_signing_reports_short_destinations(KeyType type)
    {
        PrivateKey key = IdentityVectors.Generated(type);
        Span<byte> destination = new byte[key.MaxSignatureLength];
        Assert.True(key.TrySign(s_data, destination, out int written));
        Assert.True(key.PublicKey.Verify(s_data, destination[..written]));
        int again = key.Sign(s_data, destination);
        Assert.True(key.PublicKey.Verify(s_data, destination[..again]));
        if (type is not KeyType.Ecdsa)
        {
            Assert.Equal(written, again);  // deterministic schemes; ECDSA P-256 DER length varies with the random nonce
        }

        byte[] tooShort = new byte[type is KeyType.Ed25519 or KeyType.Rsa ? key.MaxSignatureLength - 1 : 8];
        Assert.False(key.TrySign(s_data, tooShort, out _));
        Assert.Throws<ArgumentException>(() => key.Sign(s_data, tooShort));
    }

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public void Keys_are_equal_by_type_and_data(KeyType type)
    {
        PrivateKey key = IdentityVectors.Generated(type);
        PublicKey copy = PublicKey.FromData(type, key.PublicKey.Data);
        Assert.Equal(key.PublicKey, copy);
        Assert.True(key.PublicKey == copy);
        Assert.Equal(key.PublicKey.GetHashCode(), copy.GetHashCode());
        Assert.Equal(key.PeerId, copy.PeerId);
        Assert.NotEqual(key.PublicKey, PrivateKey.Generate(KeyType.Ed25519).PublicKey);
        Assert.Equal(key, PrivateKey.FromProtobuf(key.ToProtobuf()));
        Assert.Equal(key.GetHashCode(), PrivateKey.FromProtobuf(key.ToProtobuf()).GetHashCode());
        Assert.Contains(key.PeerId.ToString(), key.ToString());
        Assert.Contains(key.PeerId.ToString(), key.PublicKey.ToString());
    }

    [Fact]
    public void Generated_keys_have_the_expected_shapes()
    {
        Assert.Equal(32, IdentityVectors.Generated(KeyType.Ed25519).PublicKey.Data.Length);
        Assert.Equal(2048, ((RsaPublicKey)IdentityVectors.Generated(KeyType.Rsa).PublicKey).KeySizeInBits);
        Assert.Equal(33, IdentityVectors.Generated(KeyType.Secp256k1).PublicKey.Data.Length);
        Assert.Equal("P-256", ((EcdsaPublicKey)IdentityVectors.Generated(KeyType.Ecdsa).PublicKey).CurveName);
        Assert.StartsWith("12D3KooW", IdentityVectors.Generated(KeyType.Ed25519).PeerId.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("Qm", IdentityVectors.Generated(KeyType.Rsa).PeerId.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("16Uiu2", IdentityVectors.Generated(KeyType.Secp256k1).PeerId.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("Qm", IdentityVectors.Generated(KeyType.Ecdsa).PeerId.ToString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => PrivateKey.Generate((KeyType)7));
    }
}
