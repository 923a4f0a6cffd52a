using System.Text;
using System.Text.Json;
using CsCheck;
using Mesh.Multistream;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

public sealed class PeerIdTests
{
    [Fact]
    public void Python_mesh_peer_ids_match_for_every_golden_key()
    {
        using JsonDocument doc = IdentityVectors.Shared("peerid.json");
        int count = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            PublicKey key = PublicKey.FromProtobuf(IdentityVectors.HexOf(c, "public_key_protobuf_hex"));
            PeerId id = PeerId.FromPublicKey(key);
            Assert.Equal(c.GetProperty("peer_id_hex").GetString(), Hex.Encode(id.Bytes));
            Assert.Equal(c.GetProperty("peer_id_base58").GetString(), id.ToString());
            JsonElement decoded = c.GetProperty("multihash_decode");
            Assert.Equal(decoded.GetProperty("code").GetInt32() == 0, id.HasInlinePublicKey);

            PeerId parsed = PeerId.Parse(c.GetProperty("peer_id_base58").GetString()!);
            Assert.Equal(id, parsed);
            Assert.Equal(id.GetHashCode(), parsed.GetHashCode());
            Assert.Equal(id, PeerId.FromBytes(IdentityVectors.HexOf(c, "peer_id_hex")));
            Assert.Equal(id, PeerId.Parse(id.ToCidString()));
            Assert.True(id.Matches(key));
            if (id.HasInlinePublicKey)
            {
                Assert.True(id.TryExtractPublicKey(out PublicKey? extracted));
                Assert.Equal(key, extracted);
                Assert.Equal(c.GetProperty("from_base58_roundtrip_hex").GetString(), Hex.Encode(parsed.Bytes));
            }
            else
            {
                Assert.False(id.TryExtractPublicKey(out PublicKey? none));
                Assert.Null(none);
            }
            count++;
        }
        Assert.Equal(5, count);
    }

    [Fact]
    public void Distinct_keys_do_not_match_each_other()
    {
        PrivateKey a = IdentityVectors.Generated(KeyType.Ed25519);
        PrivateKey b = IdentityVectors.Generated(KeyType.Rsa);
        Assert.False(a.PeerId.Matches(b.PublicKey));
        Assert.False(b.PeerId.Matches(a.PublicKey));
        Assert.NotEqual(a.PeerId, b.PeerId);
        Assert.True(a.PeerId != b.PeerId);
        Assert.NotEqual(0, a.PeerId.CompareTo(b.PeerId));
        Assert.Equal(-Math.Sign(a.PeerId.CompareTo(b.PeerId)), Math.Sign(b.PeerId.CompareTo(a.PeerId)));
    }

    [Theory]
    [InlineData("", PeerIdFormatError.Empty)]
    [InlineData("12", PeerIdFormatError.InvalidMultihash)]                       // truncated identity multihash
    [InlineData("0024", PeerIdFormatError.InvalidMultihash)]                     // declares 36 bytes, has none
    [InlineData("122000", PeerIdFormatError.InvalidMultihash)]                   // truncated sha2-256
    [InlineData("1210000102030405060708090a0b0c0d0e0f", PeerIdFormatError.InvalidMultihash)]  // sha2-256 with a 16-byte digest
    [InlineData("1114" + "0000000000000000000000000000000000000000", PeerIdFormatError.UnsupportedHashFunction)]  // sha1
    [InlineData("1340" + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        PeerIdFormatError.UnsupportedHashFunction)]  // sha2-512
    [InlineData("002b" + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000", PeerIdFormatError.InlineKeyTooLong)]
    [InlineData("00020102ff", PeerIdFormatError.InvalidMultihash)]               // trailing byte
    [InlineData("8000", PeerIdFormatError.InvalidMultihash)]                     // non-minimal varint
    public void Rejects_binary_peer_ids_that_are_not_identity_or_sha2_256(string hex, PeerIdFormatError expected)
    {
        byte[] input = Hex.Decode(hex);
        Assert.False(PeerId.TryFromBytes(input, out PeerId id, out PeerIdFormatError error));
        Assert.True(id.IsEmpty);
        Assert.Equal(expected, error);
        Assert.Equal(expected, Assert.Throws<PeerIdFormatException>(() => PeerId.FromBytes(input)).Error);
    }

    [Fact]
    public void Accepts_the_inline_limit_exactly()
    {
        byte[] fortyTwo = [0x00, 42, .. new byte[42]];
        Assert.True(PeerId.TryFromBytes(fortyTwo, out PeerId id));
        Assert.True(id.HasInlinePublicKey);
        Assert.False(id.TryExtractPublicKey(out _));  // not a key protobuf
        Assert.Equal(id, PeerId.Parse(id.ToString()));
    }

    [Theory]
    [InlineData("", PeerIdFormatError.Empty)]
    [InlineData("1", PeerIdFormatError.InvalidMultihash)]
    [InlineData("Qm", PeerIdFormatError.InvalidMultihash)]
    [InlineData("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5", PeerIdFormatError.InvalidMultihash)]   // one character short
    [InlineData("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N1", PeerIdFormatError.InvalidMultihash)] // one character long
    [InlineData("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5O", PeerIdFormatError.InvalidText)]       // 'O' is not base58
    [InlineData("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5S0", PeerIdFormatError.InvalidText)]
    [InlineData(" QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", PeerIdFormatError.InvalidText)]
    [InlineData("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N ", PeerIdFormatError.InvalidText)]
    [InlineData("Xyz", PeerIdFormatError.InvalidText)]                                                  // not a multibase prefix
    [InlineData("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xq", PeerIdFormatError.InvalidMultihash)]  // CID cut by one byte
    [InlineData("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5x", PeerIdFormatError.InvalidText)]  // impossible base32 length
    [InlineData("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxf", PeerIdFormatError.InvalidText)]  // stray trailing bits
    [InlineData("bafkreie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", PeerIdFormatError.NotALibp2pKeyCid)]  // raw codec (0x55)
    public void Rejects_bad_text(string text, PeerIdFormatError expected)
    {
        Assert.False(PeerId.TryParse(text, out PeerId id, out PeerIdFormatError error));
        Assert.True(id.IsEmpty);
        Assert.Equal(expected, error);
        Assert.Equal(expected, Assert.Throws<PeerIdFormatException>(() => PeerId.Parse(text)).Error);
        Assert.False(PeerId.TryParseUtf8(Encoding.UTF8.GetBytes(text), out _, out _));
    }

    [Theory]
    [InlineData("b")]
    [InlineData("z")]
    [InlineData("bafz")]
    [InlineData("bafzbeie")]
    [InlineData("bagaqaaaa")]
    public void Rejects_cids_that_are_empty_or_cut_short(string text)
    {
        Assert.False(PeerId.TryParse(text, out PeerId id, out PeerIdFormatError error));
        Assert.True(id.IsEmpty);
        Assert.NotEqual(PeerIdFormatError.None, error);
    }

    [Fact]
    public void Rejects_overlong_text_before_decoding()
    {
        string text = new('1', PeerId.MaxTextLength + 1);
        Assert.False(PeerId.TryParse(text, out _, out PeerIdFormatError error));
        Assert.Equal(PeerIdFormatError.TooLong, error);
        Assert.False(PeerId.TryParseUtf8(Encoding.ASCII.GetBytes(text), out _, out error));
        Assert.Equal(PeerIdFormatError.TooLong, error);
    }

    [Fact]
    public void Parses_cids_in_other_multibases()
    {
        // The same libp2p-key CID in base32 upper case ('B'), base58btc ('z') and base16 ('f').
        PeerId id = IdentityVectors.Generated(KeyType.Ed25519).PeerId;
        byte[] cid = [0x01, 0x72, .. id.Bytes];
        Assert.Equal(id, PeerId.Parse("B" + id.ToCidString()[1..].ToUpperInvariant()));
        Assert.Equal(id, PeerId.Parse("z" + Base58.Encode(cid)));
        Assert.Equal(id, PeerId.Parse("f" + Hex.Encode(cid)));
    }

    [Fact]
    public void Default_is_the_empty_id()
    {
        PeerId empty = default;
        Assert.True(empty.IsEmpty);
        Assert.Equal(string.Empty, empty.ToString());
        Assert.Equal(string.Empty, empty.ToCidString());
        Assert.True(empty.Bytes.IsEmpty);
        Assert.Equal(default, empty);
        Assert.NotEqual(IdentityVectors.Generated(KeyType.Ed25519).PeerId, empty);
        Assert.False(empty.HasInlinePublicKey);
        Assert.False(empty.TryExtractPublicKey(out _));
        Assert.Empty(empty.ToByteArray());
    }

    [Fact]
    public void Formats_into_spans_and_utf8()
    {
        PeerId id = IdentityVectors.Generated(KeyType.Ed25519).PeerId;
        string text = id.ToString();
        Span<char> chars = stackalloc char[64];
        Assert.True(id.TryFormat(chars, out int written));
        Assert.Equal(text, chars[..written].ToString());
        Assert.False(id.TryFormat(chars[..(text.Length - 1)], out _));
        Span<byte> utf8 = stackalloc byte[64];
        Assert.True(id.TryFormat(utf8, out written));
        Assert.Equal(Encoding.ASCII.GetBytes(text), utf8[..written].ToArray());
        Assert.False(id.TryFormat(utf8[..(text.Length - 1)], out _));
        Assert.Equal(text, $"{id}");
        Assert.Equal(id, PeerId.ParseUtf8(Encoding.ASCII.GetBytes(text)));
        Assert.Equal(id, ParseGeneric<PeerId>(text));
    }

    [Fact]
    public void Text_forms_round_trip_for_random_peer_ids()
    {
        Gen<byte[]> multihashes = Gen.OneOf(
            Gen.Byte.Array[0, PeerId.MaxInlineKeyLength].Select(d => (byte[])[0x00, (byte)d.Length, .. d]),
            Gen.Byte.Array[32].Select(d => (byte[])[0x12, 0x20, .. d]));
        Property.ForAll(multihashes, multihash =>
        {
            PeerId id = PeerId.FromBytes(multihash);
            Assert.Equal(multihash, id.ToByteArray());
            string base58 = id.ToString();
            string cid = id.ToCidString();
            Assert.StartsWith("b", cid, StringComparison.Ordinal);
            PeerId fromBase58 = PeerId.Parse(base58);
            PeerId fromCid = PeerId.Parse(cid);
            Assert.Equal(id, fromBase58);
            Assert.Equal(id, fromCid);
            Assert.Equal(id.GetHashCode(), fromCid.GetHashCode());
            Assert.Equal(0, id.CompareTo(fromCid));
        }, iterations: 3_000);
    }

    [Fact]
    public void Mutating_the_source_buffer_does_not_change_the_peer_id()
    {
        byte[] multihash = IdentityVectors.Generated(KeyType.Ed25519).PeerId.ToByteArray();
        PeerId id = PeerId.FromBytes(multihash);
        multihash[^1] ^= 1;
        Assert.NotEqual(multihash, id.ToByteArray());
        byte[] copy = id.ToByteArray();
        copy[^1] ^= 1;
        Assert.NotEqual(copy, id.Bytes.ToArray());
    }

    [Fact]
    public void Identity_ids_whose_inline_bytes_are_not_a_key_yield_no_key()
    {
        byte[] ed25519 = IdentityVectors.Generated(KeyType.Ed25519).PublicKey.ToProtobuf();
        PeerId withTrailing = PeerId.FromBytes([0x00, (byte)(ed25519.Length + 1), .. ed25519, 0x00]);
        Assert.False(withTrailing.TryExtractPublicKey(out _));
        byte[] notOnCurve = [0x08, 0x01, 0x12, 0x20, 0x02, .. new byte[31]];
        Assert.False(PeerId.FromBytes([0x00, (byte)notOnCurve.Length, .. notOnCurve]).TryExtractPublicKey(out _));
        Assert.False(PeerId.FromBytes([0x00, 0x00]).TryExtractPublicKey(out _));
    }

    private static T ParseGeneric<T>(string text)
        where T : ISpanParsable<T> => T.Parse(text.AsSpan(), null);
}
