using System.Buffers;
using System.Text;
using CsCheck;
using Mesh.TestKit;

namespace Mesh.Multistream.Tests;

public sealed class MultibaseTests
{
    // multiformats/multibase tests/basic.csv ("yes mani !").
    public static TheoryData<MultibaseEncoding, string> YesMani() => new()
    {
        { MultibaseEncoding.Base16Lower, "f796573206d616e692021" },
        { MultibaseEncoding.Base16Upper, "F796573206D616E692021" },
        { MultibaseEncoding.Base32Lower, "bpfsxgidnmfxgsibb" },
        { MultibaseEncoding.Base32Upper, "BPFSXGIDNMFXGSIBB" },
        { MultibaseEncoding.Base32PadLower, "cpfsxgidnmfxgsibb" },
        { MultibaseEncoding.Base32PadUpper, "CPFSXGIDNMFXGSIBB" },
        { MultibaseEncoding.Base58Btc, "z7paNL19xttacUY" },
        { MultibaseEncoding.Base36Lower, "k2lcpzo5yikidynfl" },
        { MultibaseEncoding.Base36Upper, "K2LCPZO5YIKIDYNFL" },
        { MultibaseEncoding.Base64, "meWVzIG1hbmkgIQ" },
        { MultibaseEncoding.Base64Pad, "MeWVzIG1hbmkgIQ==" },
        { MultibaseEncoding.Base64Url, "ueWVzIG1hbmkgIQ" },
        { MultibaseEncoding.Base64UrlPad, "UeWVzIG1hbmkgIQ==" },
    };

    [Theory]
    [MemberData(nameof(YesMani))]
    public void Encodes_and_decodes_the_spec_vectors(MultibaseEncoding encoding, string text)
    {
        byte[] data = Encoding.ASCII.GetBytes("yes mani !");
        Assert.Equal(text, Multibase.Encode(encoding, data));
        Assert.Equal(data, Multibase.Decode(text, out MultibaseEncoding decodedWith));
        Assert.Equal(encoding, decodedWith);
        Assert.True(Multibase.GetMaxEncodedLength(encoding, data.Length) >= text.Length);
        Assert.True(Multibase.GetMaxDecodedLength(text) >= data.Length);
    }

    [Theory]
    [InlineData("f", "")]
    [InlineData("b", "")]
    [InlineData("c", "")]
    [InlineData("m", "")]
    [InlineData("z", "")]
    [InlineData("bme", "61")]            // 'a'
    [InlineData("cme======", "61")]
    [InlineData("mYQ", "61")]
    [InlineData("MYQ==", "61")]
    [InlineData("MYWI=", "6162")]
    [InlineData("u-_8", "fbff")]
    [InlineData("k", "")]
    [InlineData("k0", "00")]
    [InlineData("k00a", "00000a")]                                   // leading zero digits are zero bytes
    [InlineData("z11", "0000")]
    public void Decodes_short_and_padded_forms(string text, string hex)
    {
        Assert.Equal(hex, Hex.Encode(Multibase.Decode(text)));
    }

    [Theory]
    [InlineData("", MultiformatError.Empty)]
    [InlineData("x1234", MultiformatError.UnsupportedMultibase)]
    [InlineData("\0abc", MultiformatError.UnsupportedMultibase)]
    [InlineData("f0", MultiformatError.NonCanonicalEncoding)]        // odd hex length
    [InlineData("f012", MultiformatError.NonCanonicalEncoding)]
    [InlineData("f0g", MultiformatError.InvalidCharacter)]
    [InlineData("f0A", MultiformatError.InvalidCharacter)]           // upper case under the lower-case prefix
    [InlineData("f0G1", MultiformatError.InvalidCharacter)]          // the alphabet is checked before the length
    [InlineData("fAB", MultiformatError.InvalidCharacter)]           // upper case under the lower-case prefix
    [InlineData("Fab", MultiformatError.InvalidCharacter)]
    [InlineData("bMZXW6", MultiformatError.InvalidCharacter)]        // upper-case base32 under 'b'
    [InlineData("bm", MultiformatError.NonCanonicalEncoding)]        // 1 char: impossible length
    [InlineData("bmf", MultiformatError.NonCanonicalEncoding)]       // 'f' leaves non-zero trailing bits
    [InlineData("bme=", MultiformatError.InvalidCharacter)]          // padding in the unpadded variant
    [InlineData("cme", MultiformatError.NonCanonicalEncoding)]       // missing padding in the padded variant
    [InlineData("cme==============", MultiformatError.NonCanonicalEncoding)]
    [InlineData("mYR", MultiformatError.NonCanonicalEncoding)]       // trailing bits
    [InlineData("mY", MultiformatError.NonCanonicalEncoding)]        // impossible length
    [InlineData("mYQ==", MultiformatError.InvalidCharacter)]
    [InlineData("MYQ", MultiformatError.NonCanonicalEncoding)]
    [InlineData("MYQ=A", MultiformatError.InvalidCharacter)]         // padding inside the data
    [InlineData("MYQ=", MultiformatError.NonCanonicalEncoding)]
    [InlineData("M====", MultiformatError.NonCanonicalEncoding)]
    [InlineData("meW Vz", MultiformatError.InvalidCharacter)]        // whitespace is not skipped
    [InlineData("ueWVz+", MultiformatError.InvalidCharacter)]        // '+' is not base64url
    [InlineData("meWVz_", MultiformatError.InvalidCharacter)]        // '_' is not base64
    [InlineData("z0OIl", MultiformatError.InvalidCharacter)]
    [InlineData("k2LCP", MultiformatError.InvalidCharacter)]          // upper case under the lower-case base36 prefix
    [InlineData("K2lcp", MultiformatError.InvalidCharacter)]
    public void Rejects_malformed_text_with_a_typed_reason(string text, MultiformatError expected)
    {
        Assert.Equal(OperationStatus.InvalidData, Multibase.TryDecode(text, new byte[64], out _, out _, out MultiformatError error));
        Assert.Equal(expected, error);
        var ex = Assert.Throws<MultiformatException>(() => Multibase.Decode(text));
        Assert.Equal(expected, ex.Error);
    }

    [Fact]
    public void Reports_short_destinations_as_a_status()
    {
        Assert.Equal(OperationStatus.DestinationTooSmall, Multibase.TryDecode("f0102", new byte[1], out _, out _, out _));
        Assert.False(Multibase.TryEncode(MultibaseEncoding.Base32Lower, [1, 2, 3], new char[5], out _));
        Assert.False(Multibase.TryEncode(MultibaseEncoding.Base32Lower, [1, 2, 3], Span<char>.Empty, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Multibase.Encode((MultibaseEncoding)'x', [1]));
    }

    [Fact]
    public void Agrees_with_the_bcl_for_base64_and_hex()
    {
        Property.ForAll(Gen.Byte.Array[0, 100], data =>
        {
            Assert.Equal("m" + Convert.ToBase64String(data).TrimEnd('='), Multibase.Encode(MultibaseEncoding.Base64, data));
            Assert.Equal("M" + Convert.ToBase64String(data), Multibase.Encode(MultibaseEncoding.Base64Pad, data));
            Assert.Equal("u" + Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_'), Multibase.Encode(MultibaseEncoding.Base64Url, data));
            Assert.Equal("f" + Convert.ToHexStringLower(data), Multibase.Encode(MultibaseEncoding.Base16Lower, data));
        }, iterations: 2_000);
    }

    [Fact]
    public void Round_trips_every_encoding()
    {
        MultibaseEncoding[] all = Enum.GetValues<MultibaseEncoding>();
        Property.ForAll(Gen.Select(Gen.Int[0, all.Length - 1], Gen.Byte.Array[0, 120]), t =>
        {
            (int which, byte[] data) = t;
            MultibaseEncoding encoding = all[which];
            string text = Multibase.Encode(encoding, data);
            Assert.Equal(data, Multibase.Decode(text, out MultibaseEncoding decodedWith));
            Assert.Equal(encoding, decodedWith);
            Span<byte> buffer = stackalloc byte[Multibase.GetMaxDecodedLength(text)];
            Assert.Equal(OperationStatus.Done, Multibase.TryDecode(text, buffer, out int written, out _, out _));
            Assert.Equal(data.Length, written);
        }, iterations: 5_000);
    }

    [Fact]
    public void Any_text_that_decodes_re_encodes_to_itself()
    {
        // Strict decoding: no second spelling of the same bytes is accepted.
        Gen<string> text = Gen.Select(Gen.Char["zkKbBcCfFmMuU"], Gen.Char["abcdefABCDEF0123456789mnopqrstuvwxyz+/-_=QRSTUVWXYZ"].Array[0, 24],
            (prefix, body) => prefix + new string(body));
        Property.ForAll(text, s =>
        {
            if (Multibase.TryDecode(s, new byte[64], out int written, out MultibaseEncoding encoding, out _) == OperationStatus.Done)
            {
                byte[] bytes = Multibase.Decode(s);
                Assert.Equal(written, bytes.Length);
                Assert.Equal(s, Multibase.Encode(encoding, bytes));
            }
        }, iterations: 20_000);
    }
}
