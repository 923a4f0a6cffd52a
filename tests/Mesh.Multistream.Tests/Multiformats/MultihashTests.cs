using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Mesh.TestKit;

namespace Mesh.Multistream.Tests;

public sealed class MultihashTests
{
    private const string Ed25519PeerId = "002408011220802297406813d6d49e0585227bfdfe9a28201bd758204aee0d430ef35a2f86b5";

    [Fact]
    public void Parses_an_identity_peer_id()
    {
        byte[] mh = Hex.Decode(Ed25519PeerId);
        Assert.True(Multihash.TryParse(mh, out ulong code, out ReadOnlySpan<byte> digest, out MultiformatError error));
        Assert.Equal(MultiformatError.None, error);
        Assert.Equal(Multihash.IdentityCode, code);
        Assert.Equal("08011220802297406813d6d49e0585227bfdfe9a28201bd758204aee0d430ef35a2f86b5", Hex.Encode(digest));
        Assert.Equal(mh, Multihash.CreateIdentity(digest));
    }

    [Fact]
    public void Computes_sha2_256_multihashes()
    {
        // multihash README: sha2-256("multihash") = 12 20 9cbc07c3...
        byte[] mh = Multihash.ComputeSha2_256(Encoding.ASCII.GetBytes("multihash"));
        Assert.Equal("12209cbc07c3f991725836a3aa2a581ca2029198aa420b9d99bc0e131d9f3e2cbe47", Hex.Encode(mh));
        Assert.Equal(Multihash.Sha2_256Code, Multihash.Parse(mh, out ulong code).Length == 32 ? code : 0);
        Assert.Equal(mh, Multihash.Create(Multihash.Sha2_256Code, SHA256.HashData(Encoding.ASCII.GetBytes("multihash"))));
    }

    [Fact]
    public void Matches_the_rsa_peer_ids_in_the_golden_vectors()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(SharedData.RequireVector("peerid.json")));
        int count = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            byte[] peerId = Hex.Decode(c.GetProperty("peer_id_hex").GetString()!);
            byte[] publicKey = Hex.Decode(c.GetProperty("public_key_protobuf_hex").GetString()!);
            byte[] expected = publicKey.Length <= 42 ? Multihash.CreateIdentity(publicKey) : Multihash.ComputeSha2_256(publicKey);
            Assert.Equal(peerId, expected);
            Multihash.Validate(peerId);
            count++;
        }
        Assert.Equal(5, count);
    }

    [Theory]
    [InlineData("", MultiformatError.Truncated)]
    [InlineData("12", MultiformatError.Truncated)]
    [InlineData("1220", MultiformatError.Truncated)]
    [InlineData("12209cbc07", MultiformatError.Truncated)]
    [InlineData("1210000102030405060708090a0b0c0d0e0f", MultiformatError.DigestLengthMismatch)] // truncated sha2-256 rejected
    [InlineData("0003616263ff", MultiformatError.TrailingBytes)]
    [InlineData("8000", MultiformatError.InvalidVarint)]
    [InlineData("008000", MultiformatError.InvalidVarint)]
    [InlineData("00ffffffffffffffffff", MultiformatError.InvalidVarint)]
    [InlineData("00ffffffffffffff7f", MultiformatError.Truncated)] // huge declared length
    [InlineData("1110000102030405060708090a0b0c0d0e0f", MultiformatError.DigestLengthMismatch)] // sha1 must be 20 bytes
    [InlineData("1114000102030405060708090a0b0c0d0e0f101112", MultiformatError.Truncated)] // sha1, 19 of 20 bytes
    public void Rejects_malformed_multihashes_with_a_reason(string hex, MultiformatError expected)
    {
        byte[] data = Hex.Decode(hex);
        Assert.False(Multihash.TryParse(data, out _, out _, out MultiformatError error));
        Assert.Equal(expected, error);
        Assert.False(Multihash.IsValid(data));
        var ex = Assert.Throws<MultiformatException>(() => Multihash.Validate(data));
        Assert.Equal(expected, ex.Error);
    }

    [Fact]
    public void TryRead_reads_one_multihash_from_a_longer_span_and_reports_need_more_data()
    {
        byte[] mh = Hex.Decode(Ed25519PeerId);
        byte[] longer = [.. mh, 0xAA, 0xBB];
        Assert.Equal(OperationStatus.Done, Multihash.TryRead(longer, out ulong code, out ReadOnlySpan<byte> digest, out int bytesRead, out _));
        Assert.Equal(0UL, code);
        Assert.Equal(mh.Length, bytesRead);
        Assert.Equal(36, digest.Length);
        for (int len = 0; len < mh.Length; len++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, Multihash.TryRead(mh.AsSpan(0, len), out _, out _, out bytesRead, out _));
            Assert.Equal(0, bytesRead);
        }
    }

    [Fact]
    public void Creation_rejects_a_wrong_digest_length_for_a_known_function()
    {
        Assert.Throws<ArgumentException>(() => Multihash.Create(Multihash.Sha2_256Code, new byte[31]));
        Assert.False(Multihash.TryWrite(new byte[33], Multihash.Sha2_256Code, new byte[32], out _));
        Assert.False(Multihash.TryComputeSha2_256([1, 2, 3], new byte[33], out _));
        var writer = new ArrayBufferWriter<byte>();
        Multihash.Write(writer, 0x1e /* blake3: free length */, new byte[64]);
        Assert.Equal(Multihash.GetByteCount(0x1e, 64), writer.WrittenCount);
        Assert.Equal(66, writer.WrittenCount);
    }

    [Fact]
    public void Round_trips_random_code_and_digest_pairs()
    {
        Gen<ulong> codes = Gen.OneOf(Gen.Const(Multihash.IdentityCode), Gen.Const(Multihash.Sha2_256Code), Gen.ULong[0x100, Uvarint.MaxValue]);
        Property.ForAll(Gen.Select(codes, Gen.Byte.Array[0, 200]), t =>
        {
            (ulong code, byte[] digest) = t;
            if (code == Multihash.Sha2_256Code)
            {
                digest = SHA256.HashData(digest);
            }
            byte[] mh = Multihash.Create(code, digest);
            Assert.Equal(Multihash.GetByteCount(code, digest.Length), mh.Length);
            ReadOnlySpan<byte> parsed = Multihash.Parse(mh, out ulong parsedCode);
            Assert.Equal(code, parsedCode);
            Assert.Equal(digest, parsed.ToArray());
        }, iterations: 2_000);
    }
}
