using System.Buffers;
using System.Text;
using CsCheck;
using Mesh.TestKit;

namespace Mesh.Multistream.Tests;

public sealed class MultistreamCodecTests
{
    [Fact]
    public void Encodes_the_spec_messages()
    {
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteHeader(writer);
        Assert.Equal("13" + Hex.Encode("/multistream/1.0.0"u8) + "0a", Hex.Encode(writer.WrittenSpan));
        writer.Clear();
        MultistreamCodec.WriteNotAvailable(writer);
        Assert.Equal("036e610a", Hex.Encode(writer.WrittenSpan));
        writer.Clear();
        MultistreamCodec.WriteListRequest(writer);
        Assert.Equal("036c730a", Hex.Encode(writer.WrittenSpan));
        writer.Clear();
        MultistreamCodec.WriteMessage(writer, "/noise");
        Assert.Equal("07" + Hex.Encode("/noise"u8) + "0a", Hex.Encode(writer.WrittenSpan));
        writer.Clear();
        MultistreamCodec.WriteMessage(writer, MultistreamCodec.ProtocolId);
        Assert.Equal(MultistreamCodec.GetMessageByteCount(18), writer.WrittenCount);
    }

    [Fact]
    public void Encodes_an_ls_response_ending_in_two_newlines()
    {
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteListResponse(writer, ["/a", "/bb"]);
        // total = (1+2+1) + (1+3+1) + 1 = 10; then 03 "/a" 0a, 04 "/bb" 0a, 0a.
        Assert.Equal("0a" + "032f610a" + "042f62620a" + "0a", Hex.Encode(writer.WrittenSpan));

        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Equal(OperationStatus.Done, MultistreamCodec.TryReadMessage(ref buffer, MultistreamCodec.MaxMessageLength, out ReadOnlySequence<byte> body, out _));
        var list = new List<string>();
        Assert.True(MultistreamCodec.TryParseListResponse(body, list));
        Assert.Equal(["/a", "/bb"], list);

        writer.Clear();
        MultistreamCodec.WriteListResponse(writer, []);
        Assert.Equal("010a", Hex.Encode(writer.WrittenSpan));
    }

    [Fact]
    public void An_ls_response_never_exceeds_a_two_byte_length_prefix()
    {
        string[] many = Enumerable.Range(0, 2000).Select(i => $"/protocol/number/{i:D6}").ToArray();
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteListResponse(writer, many);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Equal(OperationStatus.Done, MultistreamCodec.TryReadMessage(ref buffer, MultistreamCodec.MaxMessageLength, out ReadOnlySequence<byte> body, out _));
        var list = new List<string>();
        Assert.True(MultistreamCodec.TryParseListResponse(body, list));
        Assert.InRange(list.Count, 100, 1999);
        Assert.Equal(many.Take(list.Count), list);
    }

    public static TheoryData<string> Messages() => new() { "na", "ls", "/noise", MultistreamCodec.ProtocolId, "/" + new string('x', 200), "/ünïcödé/1.0" };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Reads_at_every_split_point_and_leaves_guard_bytes(string text)
    {
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteMessage(writer, text);
        byte[] framed = [.. writer.WrittenSpan, 0x13, 0x2f];
        foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(framed))
        {
            ReadOnlySequence<byte> buffer = sequence;
            Assert.True(OperationStatus.Done == MultistreamCodec.TryReadMessage(ref buffer, out ReadOnlySequence<byte> body, out _), shape);
            Assert.True(MultistreamCodec.BodyEquals(body, text), shape);
            Assert.True(MultistreamCodec.TryDecodeProtocol(body, out string decoded));
            Assert.Equal(text, decoded);
            Assert.Equal(new byte[] { 0x13, 0x2f }, buffer.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Does_not_consume_a_proper_prefix(string text)
    {
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteMessage(writer, text);
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(writer.WrittenSpan.ToArray()))
        {
            ReadOnlySequence<byte> buffer = prefix;
            Assert.Equal(OperationStatus.NeedMoreData, MultistreamCodec.TryReadMessage(ref buffer, out _, out MultistreamError error));
            Assert.Equal(MultistreamError.None, error);
            Assert.Equal(prefix.Start, buffer.Start);
            Assert.Equal(prefix.End, buffer.End);
        }
    }

    [Theory]
    [InlineData("8208", MultistreamError.MessageTooLarge)]           // 1026 declared: refused from the prefix alone
    [InlineData("8180", MultistreamError.MessageTooLarge)]           // third prefix byte pending: already ≥ 16384
    [InlineData("ffff7f", MultistreamError.MessageTooLarge)]
    [InlineData("8000", MultistreamError.InvalidLengthPrefix)]
    [InlineData("00", MultistreamError.MissingNewline)]
    [InlineData("036e6161", MultistreamError.MissingNewline)]
    public void Rejects_bad_frames_with_a_typed_error(string hex, MultistreamError expected)
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Decode(hex));
        Assert.Equal(OperationStatus.InvalidData, MultistreamCodec.TryReadMessage(ref buffer, out _, out MultistreamError error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void The_limit_is_1024_protocol_bytes_plus_the_newline()
    {
        var writer = new ArrayBufferWriter<byte>();
        string longest = "/" + new string('a', MultistreamCodec.MaxProtocolLength - 1);
        MultistreamCodec.WriteMessage(writer, longest);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Equal(OperationStatus.Done, MultistreamCodec.TryReadMessage(ref buffer, out _, out _));
        Assert.Throws<ArgumentException>(() => MultistreamCodec.WriteMessage(writer, longest + "a"));
        Assert.Throws<ArgumentException>(() => MultistreamCodec.WriteMessage(writer, "/a\nb"));
        Assert.Throws<ArgumentException>(() => MultistreamCodec.WriteMessage(writer, ""));
        Assert.Throws<ArgumentException>(() => MultistreamCodec.WriteMessage(writer, new string(['/', '\ud800'])));
        Assert.False(MultistreamCodec.IsValidProtocolId("/" + new string('é', 600)));
    }

    [Fact]
    public void Protocol_bodies_must_be_utf8_without_newlines()
    {
        Assert.False(MultistreamCodec.TryDecodeProtocol(new ReadOnlySequence<byte>([0x2f, 0xff]), out _));
        Assert.False(MultistreamCodec.TryDecodeProtocol(new ReadOnlySequence<byte>("/a\nb"u8.ToArray()), out _));
        Assert.False(MultistreamCodec.TryDecodeProtocol(ReadOnlySequence<byte>.Empty, out _));
        Assert.False(MultistreamCodec.TryParseListResponse(new ReadOnlySequence<byte>(Hex.Decode("032f61")), new List<string>()));
    }

    [Fact]
    public void Round_trips_random_protocol_ids_split_anywhere()
    {
        Gen<string> ids = Gen.Char["/abcdefghijklmnopqrstuvwxyz0123456789.-_é日"].Array[1, 300].Select(c => new string(c));
        Property.ForAll(Gen.Select(ids.Array[1, 4], Gen.Int[0, 5000]), t =>
        {
            (string[] protocols, int split) = t;
            var writer = new ArrayBufferWriter<byte>();
            foreach (string p in protocols)
            {
                MultistreamCodec.WriteMessage(writer, p);
            }
            byte[] all = writer.WrittenSpan.ToArray();
            ReadOnlySequence<byte> buffer = Segments.SplitAt(all, Math.Min(split, all.Length));
            foreach (string p in protocols)
            {
                Assert.Equal(OperationStatus.Done, MultistreamCodec.TryReadMessage(ref buffer, out ReadOnlySequence<byte> body, out _));
                Assert.True(MultistreamCodec.BodyEquals(body, p));
                Assert.Equal(Encoding.UTF8.GetByteCount(p), body.Length);
            }
            Assert.True(buffer.IsEmpty);
        }, iterations: 3_000);
    }
}
