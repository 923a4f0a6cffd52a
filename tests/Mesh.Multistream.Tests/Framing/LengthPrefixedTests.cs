using System.Buffers;
using CsCheck;
using Mesh.TestKit;

namespace Mesh.Multistream.Tests;

public sealed class LengthPrefixedTests
{
    public static TheoryData<int> Lengths() => new() { 0, 1, 5, 127, 128, 300 };

    [Fact]
    public void Frames_a_message_as_uvarint_length_then_bytes()
    {
        var writer = new ArrayBufferWriter<byte>();
        LengthPrefixed.Write(writer, "hello"u8);
        Assert.Equal("0568656c6c6f", Hex.Encode(writer.WrittenSpan));

        writer.Clear();
        LengthPrefixed.WritePrefix(writer, 300);
        Assert.Equal("ac02", Hex.Encode(writer.WrittenSpan));
        Assert.Equal(302, LengthPrefixed.GetByteCount(300));
        Assert.True(LengthPrefixed.TryWritePrefix(new byte[2], 300, out int n));
        Assert.Equal(2, n);
        Assert.False(LengthPrefixed.TryWritePrefix(new byte[1], 300, out _));
    }

    [Fact]
    public void Large_messages_are_written_in_chunks_and_read_back()
    {
        byte[] body = new byte[100_000];
        new Random(7).NextBytes(body);
        var writer = new ArrayBufferWriter<byte>();
        LengthPrefixed.Write(writer, body);
        LengthPrefixed.Write(writer, new ReadOnlySequence<byte>(body));
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(OperationStatus.Done, LengthPrefixed.TryRead(ref buffer, body.Length, out ReadOnlySequence<byte> message));
            Assert.Equal(body, message.ToArray());
        }
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Reads_at_every_split_point_and_leaves_guard_bytes(int length)
    {
        byte[] body = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        var writer = new ArrayBufferWriter<byte>();
        LengthPrefixed.Write(writer, body);
        byte[] framed = [.. writer.WrittenSpan, 0xEE];
        foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(framed))
        {
            ReadOnlySequence<byte> buffer = sequence;
            Assert.True(OperationStatus.Done == LengthPrefixed.TryRead(ref buffer, 1024, out ReadOnlySequence<byte> message), shape);
            Assert.Equal(body, message.ToArray());
            Assert.Equal(new byte[] { 0xEE }, buffer.ToArray());
        }
        Assert.Equal(OperationStatus.Done, LengthPrefixed.TryRead(framed, 1024, out ReadOnlySpan<byte> spanMessage, out int consumed, out _));
        Assert.Equal(body, spanMessage.ToArray());
        Assert.Equal(framed.Length - 1, consumed);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Does_not_consume_a_proper_prefix(int length)
    {
        var writer = new ArrayBufferWriter<byte>();
        LengthPrefixed.Write(writer, new byte[length]);
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(writer.WrittenSpan.ToArray()))
        {
            ReadOnlySequence<byte> buffer = prefix;
            Assert.Equal(OperationStatus.NeedMoreData, LengthPrefixed.TryRead(ref buffer, 1024, out _, out FramingError error));
            Assert.Equal(FramingError.None, error);
            Assert.Equal(prefix.Start, buffer.Start);
            Assert.Equal(prefix.End, buffer.End);
        }
    }

    [Fact]
    public void Refuses_an_oversized_declaration_from_the_prefix_alone()
    {
        // 4 GiB declared, no body present: refused at once, without waiting for (or buffering) the body.
        var writer = new ArrayBufferWriter<byte>();
        LengthPrefixed.WritePrefix(writer, int.MaxValue);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Equal(OperationStatus.InvalidData, LengthPrefixed.TryRead(ref buffer, 4 << 20, out _, out FramingError error));
        Assert.Equal(FramingError.MessageTooLarge, error);
        Assert.Equal(writer.WrittenCount, buffer.Length);

        // Exactly at the limit is fine; one over is not.
        Assert.Equal(OperationStatus.NeedMoreData, LengthPrefixed.TryRead(Hex.Decode("8008"), 1024, out _, out _, out error));
        Assert.Equal(OperationStatus.InvalidData, LengthPrefixed.TryRead(Hex.Decode("8108"), 1024, out _, out _, out error));
        Assert.Equal(FramingError.MessageTooLarge, error);
    }

    [Fact]
    public void Refuses_an_incomplete_prefix_that_already_implies_too_much()
    {
        // Two continuation bytes mean at least 2^14 = 16384, above a 1024 limit: no need to wait for the third.
        var buffer = new ReadOnlySequence<byte>(Hex.Decode("8080"));
        Assert.Equal(OperationStatus.InvalidData, LengthPrefixed.TryRead(ref buffer, 1024, out _, out FramingError error));
        Assert.Equal(FramingError.MessageTooLarge, error);
        // One continuation byte means at least 128: still possible under 1024.
        buffer = new ReadOnlySequence<byte>(Hex.Decode("80"));
        Assert.Equal(OperationStatus.NeedMoreData, LengthPrefixed.TryRead(ref buffer, 1024, out _, out error));
    }

    [Theory]
    [InlineData("8000")]
    [InlineData("ffffffffffffffffff")]
    public void Reports_a_malformed_prefix(string hex)
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Decode(hex));
        Assert.Equal(OperationStatus.InvalidData, LengthPrefixed.TryRead(ref buffer, int.MaxValue, out _, out FramingError error));
        Assert.Equal(FramingError.InvalidLengthPrefix, error);
        var ex = Assert.Throws<FramingException>(() => FramingException.Throw(error, int.MaxValue));
        Assert.Equal(FramingError.InvalidLengthPrefix, ex.Error);
        Assert.IsAssignableFrom<MeshProtocolException>(ex);
    }

    [Fact]
    public void Round_trips_message_sequences_split_anywhere()
    {
        Property.ForAll(Gen.Select(Gen.Byte.Array[0, 300].Array[1, 5], Gen.Int[0, 2000]), t =>
        {
            (byte[][] messages, int split) = t;
            var writer = new ArrayBufferWriter<byte>();
            foreach (byte[] m in messages)
            {
                LengthPrefixed.Write(writer, m);
            }
            byte[] all = writer.WrittenSpan.ToArray();
            ReadOnlySequence<byte> buffer = Segments.SplitAt(all, Math.Min(split, all.Length));
            foreach (byte[] m in messages)
            {
                Assert.Equal(OperationStatus.Done, LengthPrefixed.TryRead(ref buffer, 300, out ReadOnlySequence<byte> read));
                Assert.Equal(m, read.ToArray());
            }
            Assert.True(buffer.IsEmpty);
        }, iterations: 3_000);
    }
}
