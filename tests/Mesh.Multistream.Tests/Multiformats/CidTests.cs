using Mesh.TestKit;

namespace Mesh.Multistream.Tests;

public sealed class CidTests
{
    private const string Ed25519PeerIdHex = "002408011220802297406813d6d49e0585227bfdfe9a28201bd758204aee0d430ef35a2f86b5";

    [Fact]
    public void Prints_and_parses_the_peer_ids_spec_example()
    {
        // libp2p peer-ids spec: the same RSA peer id in its two text forms.
        Cid cid = Cid.Parse("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe");
        Assert.Equal(1, cid.Version);
        Assert.Equal(Cid.Libp2pKeyCodec, cid.Codec);
        Assert.Equal("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", Base58.Encode(cid.Multihash.Span));
        Assert.Equal("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", cid.ToString());
    }

    [Fact]
    public void Formats_an_ed25519_peer_id_as_bafz()
    {
        byte[] mh = Hex.Decode(Ed25519PeerIdHex);
        // Cross-checked with Python: "b" + base32(01 72 || multihash), lower case, unpadded.
        const string Expected = "bafzaajaiaejcbabcs5agqe6w2spalbjcpp675griean5owbajlxa2qyo6nnc7bvv";
        Assert.Equal(Expected, Cid.FormatV1(Cid.Libp2pKeyCodec, mh));
        Cid cid = Cid.CreateV1(Cid.Libp2pKeyCodec, mh);
        Assert.Equal(Expected, cid.ToString());
        Assert.Equal(cid, Cid.Parse(Expected));
        Assert.Equal(mh, Cid.Parse(Expected).Multihash.ToArray());
    }

    [Fact]
    public void Parses_cid_v1_in_other_multibases()
    {
        byte[] mh = Hex.Decode(Ed25519PeerIdHex);
        Cid cid = Cid.CreateV1(Cid.Libp2pKeyCodec, mh);
        foreach (MultibaseEncoding encoding in Enum.GetValues<MultibaseEncoding>())
        {
            string text = cid.ToString(encoding);
            Assert.Equal((char)encoding, text[0]);
            Assert.Equal(cid, Cid.Parse(text));
        }
        Assert.Equal(cid.ToBytes(), Cid.FromBytes(cid.ToBytes()).ToBytes());
    }

    [Fact]
    public void Parses_cid_v0()
    {
        Cid cid = Cid.Parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
        Assert.Equal(0, cid.Version);
        Assert.Equal(Cid.DagPbCodec, cid.Codec);
        Assert.Equal("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", cid.ToString());
        Assert.Equal(34, cid.ToBytes().Length);
        Assert.Throws<InvalidOperationException>(() => cid.ToString(MultibaseEncoding.Base32Lower));
        Assert.True(Cid.TryParseBytes(cid.ToBytes(), out int version, out _, out ReadOnlySpan<byte> multihash, out _));
        Assert.Equal(0, version);
        Assert.Equal(34, multihash.Length);
    }

    [Theory]
    [InlineData("", MultiformatError.Empty)]
    [InlineData("bafz", MultiformatError.NonCanonicalEncoding)]
    [InlineData("xafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", MultiformatError.UnsupportedMultibase)]
    [InlineData("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx50", MultiformatError.InvalidCharacter)]
    [InlineData("f0272", MultiformatError.UnsupportedCidVersion)]                // version 2
    [InlineData("f0172", MultiformatError.Truncated)]                           // no multihash
    [InlineData("f017212", MultiformatError.Truncated)]
    [InlineData("f01721210", MultiformatError.DigestLengthMismatch)]
    [InlineData("f0172000161ff", MultiformatError.TrailingBytes)]
    [InlineData("f0180", MultiformatError.Truncated)]
    [InlineData("f018000", MultiformatError.InvalidVarint)]
    [InlineData("f8000", MultiformatError.InvalidVarint)]
    [InlineData("f1220a02057e46c5b0537f352a26fa642866fd1a7d26493db8507b6a6169da9ec97c6", MultiformatError.UnsupportedCidVersion)] // CIDv0 bytes inside multibase
    public void Rejects_malformed_cids(string text, MultiformatError expected)
    {
        Assert.False(Cid.TryParse(text, out _, out MultiformatError error));
        Assert.Equal(expected, error);
        var ex = Assert.Throws<MultiformatException>(() => Cid.Parse(text));
        Assert.Equal(expected, ex.Error);
    }

    [Fact]
    public void Rejects_text_longer_than_the_limit_before_decoding()
    {
        string text = "z" + new string('2', Cid.MaxTextLength);
        Assert.False(Cid.TryParse(text, out _, out MultiformatError error));
        Assert.Equal(MultiformatError.TooLong, error);
    }
}
