using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using CsCheck;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

public sealed class OpenSshPublicKeyTests
{
    [Fact]
    public void Matches_the_openssh_forms_python_produced()
    {
        using JsonDocument keys = IdentityVectors.Shared("keys.json");
        using JsonDocument peerIds = IdentityVectors.Shared("peerid.json");
        int count = 0;
        foreach (JsonElement c in peerIds.RootElement.GetProperty("cases").EnumerateArray())
        {
            PrivateKey key = c.GetProperty("key_type").GetString() == "RSA"
                ? IdentityVectors.RsaFromPkcs8Pem(c.GetProperty("private_key_pkcs8_pem").GetString()!)
                : IdentityVectors.Ed25519FromSeedHex(c.GetProperty("seed_hex").GetString()!);
            string openssh = c.GetProperty("public_key_openssh").GetString()!;
            Assert.Equal(openssh, OpenSshPublicKey.FormatString(key.PublicKey));
            Assert.Equal(Encoding.ASCII.GetBytes(openssh), OpenSshPublicKey.Format(key.PublicKey));
            Assert.Equal(openssh.Length, OpenSshPublicKey.GetFormattedLength(key.PublicKey));
            PublicKey parsed = OpenSshPublicKey.Parse(Encoding.ASCII.GetBytes(openssh));
            Assert.Equal(key.PublicKey, parsed);
            Assert.Equal(c.GetProperty("peer_id_base58").GetString(), parsed.PeerId.ToString());
            count++;
        }
        Assert.Equal(5, count);

        // The spec keys, formatted by Python's cryptography.
        foreach (string name in new[] { "spec-ed25519", "spec-rsa-4096", "vectors-rsa-a" })
        {
            JsonElement c = IdentityVectors.Case(name);
            PublicKey key = PublicKey.FromProtobuf(IdentityVectors.HexOf(c, "public_protobuf_hex"));
            Assert.Equal(c.GetProperty("openssh").GetString(), OpenSshPublicKey.FormatString(key));
            Assert.Equal(key, OpenSshPublicKey.Parse(c.GetProperty("openssh").GetString()!));
        }
    }

    [Fact]
    public void Parses_the_owner_markers_of_the_record_vectors()
    {
        foreach (string file in new[] { "records_ed25519.json", "records_rsa.json" })
        {
            using JsonDocument doc = IdentityVectors.Shared(file);
            JsonElement key = doc.RootElement.GetProperty("key");
            foreach (string marker in new[] { "local_public_key_ascii", "other_local_public_key_ascii" })
            {
                string text = key.GetProperty(marker).GetString()!;
                Assert.StartsWith("[owner:", text, StringComparison.Ordinal);
                PublicKey parsed = OpenSshPublicKey.Parse(Encoding.ASCII.GetBytes(text["[owner:".Length..^1]));
                if (marker == "local_public_key_ascii")
                {
                    Assert.Equal(key.GetProperty("peer_id_base58").GetString(), parsed.PeerId.ToString());
                }
            }
        }
    }

    [Theory]
    [InlineData(" comment@host")]
    [InlineData(" comment with spaces")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData(" user@host\n")]
    public void Accepts_a_comment_and_a_line_end(string suffix)
    {
        PublicKey key = IdentityVectors.Generated(KeyType.Ed25519).PublicKey;
        Assert.Equal(key, OpenSshPublicKey.Parse(OpenSshPublicKey.FormatString(key) + suffix));
    }

    [Fact]
    public void Rejects_malformed_text_with_typed_errors()
    {
        PublicKey ed25519 = IdentityVectors.Generated(KeyType.Ed25519).PublicKey;
        PublicKey rsa = IdentityVectors.Generated(KeyType.Rsa).PublicKey;
        string good = OpenSshPublicKey.FormatString(ed25519);
        string base64 = good["ssh-ed25519 ".Length..];
        byte[] blob = Convert.FromBase64String(base64);

        (string Text, KeyFormatError? Error)[] cases =
        [
            ("", KeyFormatError.Truncated),
            ("ssh-ed25519", KeyFormatError.InvalidEncoding),
            ("ssh-ed25519 ", KeyFormatError.Truncated),
            (" " + good, KeyFormatError.InvalidEncoding),
            ("ecdsa-sha2-nistp256 " + base64, KeyFormatError.UnknownKeyType),
            ("ssh-dss " + base64, KeyFormatError.UnknownKeyType),
            ("ssh-rsa " + base64, KeyFormatError.InvalidEncoding),                 // outer type differs from the blob
            ("ssh-ed25519 " + base64[..^4], null),                                  // blob cut short
            ("ssh-ed25519 " + base64[..10] + "\n" + base64[10..], KeyFormatError.InvalidEncoding),
            ("ssh-ed25519 " + base64 + "\nssh-ed25519 " + base64, KeyFormatError.InvalidEncoding),
            ("ssh-ed25519 " + base64.Replace('A', '*'), KeyFormatError.InvalidEncoding),
            ("ssh-ed25519 " + Convert.ToBase64String([.. blob, 0]), KeyFormatError.InvalidEncoding),
            ("ssh-ed25519 " + Convert.ToBase64String(blob[..^1]), KeyFormatError.Truncated),
            ("ssh-ed25519 " + Convert.ToBase64String(WithLength(blob, 0, 0xffffffff)), KeyFormatError.Truncated),
            ("ssh-ed25519 " + Convert.ToBase64String(Blob("ssh-ed25519"u8, new byte[31])), KeyFormatError.InvalidLength),
            ("ssh-ed25519 " + Convert.ToBase64String(Blob("ssh-ed25519"u8, Hex.Decode("0200000000000000000000000000000000000000000000000000000000000000"))), KeyFormatError.InvalidPoint),
            ("ssh-rsa " + Convert.ToBase64String(Blob("ssh-rsa"u8, [0x81], ((RsaPublicKey)rsa).Modulus.ToArray())), KeyFormatError.InvalidEncoding),         // negative e
            ("ssh-rsa " + Convert.ToBase64String(Blob("ssh-rsa"u8, [0, 1, 0, 1], [0, .. ((RsaPublicKey)rsa).Modulus])), KeyFormatError.InvalidEncoding),    // e with a needless zero
            ("ssh-rsa " + Convert.ToBase64String(Blob("ssh-rsa"u8, [1, 0, 1], [0, .. ((RsaPublicKey)rsa).Modulus[..64]])), KeyFormatError.UnsupportedKeySize),
            ("ssh-rsa " + Convert.ToBase64String(Blob("ssh-rsa"u8, [1, 0, 1])), KeyFormatError.Truncated),
        ];
        foreach ((string text, KeyFormatError? error) in cases)
        {
            KeyFormatException? ex = Record.Exception(() => OpenSshPublicKey.Parse(Encoding.ASCII.GetBytes(text))) as KeyFormatException;
            Assert.True(ex is not null, $"'{text}' was accepted");
            if (error is not null)
            {
                Assert.True(error == ex.Error, $"'{text}': expected {error}, got {ex.Error} ({ex.Message})");
            }
            Assert.False(OpenSshPublicKey.TryParse(Encoding.ASCII.GetBytes(text), out _));
        }
        Assert.Throws<KeyFormatException>(() => OpenSshPublicKey.Parse("ssh-ed25519 AAAA\u00e9"));
        Assert.Throws<KeyFormatException>(() => OpenSshPublicKey.Parse(new byte[OpenSshPublicKey.MaxTextLength + 1]));
    }

    [Fact]
    public void Every_truncation_is_a_typed_error()
    {
        foreach (KeyType type in new[] { KeyType.Ed25519, KeyType.Rsa })
        {
            byte[] text = OpenSshPublicKey.Format(IdentityVectors.Generated(type).PublicKey);
            for (int length = 0; length < text.Length; length++)
            {
                Assert.Throws<KeyFormatException>(() => OpenSshPublicKey.Parse(text.AsSpan(0, length)));
            }
        }
    }

    [Fact]
    public void Only_rsa_and_ed25519_have_an_openssh_form()
    {
        Assert.Throws<NotSupportedException>(() => OpenSshPublicKey.Format(IdentityVectors.Generated(KeyType.Secp256k1).PublicKey));
        Assert.Throws<NotSupportedException>(() => OpenSshPublicKey.Format(IdentityVectors.Generated(KeyType.Ecdsa).PublicKey));
    }

    [Fact]
    public void Round_trips_random_ed25519_keys_and_the_blob()
    {
        Property.ForAll(Gen.Byte.Array[32], seed =>
        {
            PublicKey key = Ed25519PrivateKey.FromSeed(seed).PublicKey;
            byte[] text = OpenSshPublicKey.Format(key);
            Assert.Equal(key, OpenSshPublicKey.Parse(text));
            Span<byte> destination = stackalloc byte[text.Length];
            Assert.True(OpenSshPublicKey.TryFormat(key, destination, out int written));
            Assert.Equal(text, destination[..written].ToArray());
            Assert.False(OpenSshPublicKey.TryFormat(key, destination[..^1], out _));
            Assert.Equal(Convert.FromBase64String(Encoding.ASCII.GetString(text)["ssh-ed25519 ".Length..]), OpenSshPublicKey.GetBlob(key));
        }, iterations: 1_000);
    }

    [Fact]
    public void Round_trips_rsa_keys_whose_modulus_needs_a_sign_byte()
    {
        var key = (RsaPublicKey)IdentityVectors.Generated(KeyType.Rsa).PublicKey;
        Assert.True((key.Modulus[0] & 0x80) != 0);  // a full-length modulus always has its top bit set
        byte[] blob = OpenSshPublicKey.GetBlob(key);
        Assert.Equal(4 + 7 + 4 + 3 + 4 + 1 + 256, blob.Length);
        Assert.Equal(key, OpenSshPublicKey.Parse(OpenSshPublicKey.Format(key)));
    }

    private static byte[] Blob(ReadOnlySpan<byte> name, params byte[][] fields)
    {
        var result = new List<byte>();
        AddString(result, name);
        foreach (byte[] field in fields)
        {
            AddString(result, field);
        }
        return [.. result];
    }

    private static void AddString(List<byte> result, ReadOnlySpan<byte> value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        result.AddRange(length.ToArray());
        result.AddRange(value.ToArray());
    }

    private static byte[] WithLength(byte[] blob, int offset, uint length)
    {
        byte[] copy = (byte[])blob.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(offset), length);
        return copy;
    }
}
