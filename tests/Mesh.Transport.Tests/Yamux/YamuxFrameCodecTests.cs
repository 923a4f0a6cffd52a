using System.Buffers;
using CsCheck;
using Mesh.TestKit;
using Mesh.Transport.Yamux;

namespace Mesh.Transport.Tests.Yamux;

public sealed class YamuxFrameCodecTests
{
    // Hand-built from the spec's field layout: version u8 | type u8 | flags u16 | stream id u32 | length u32, big endian.
    public static TheoryData<string, YamuxFrameType, YamuxFlags, uint, uint> SpecVectors() => new()
    {
        { "00" + "00" + "0001" + "00000001" + "00000005", YamuxFrameType.Data, YamuxFlags.Syn, 1, 5 },                       // open stream 1 with 5 bytes
        { "00" + "01" + "0001" + "00000003" + "00000000", YamuxFrameType.WindowUpdate, YamuxFlags.Syn, 3, 0 },               // js opens with WindowUpdate+SYN
        { "00" + "01" + "0002" + "00000002" + "00040000", YamuxFrameType.WindowUpdate, YamuxFlags.Ack, 2, 256 * 1024 },      // ACK announcing +256 KiB
        { "00" + "01" + "0004" + "00000007" + "00000000", YamuxFrameType.WindowUpdate, YamuxFlags.Fin, 7, 0 },               // half-close
        { "00" + "01" + "0008" + "00000009" + "00000000", YamuxFrameType.WindowUpdate, YamuxFlags.Rst, 9, 0 },               // reset
        { "00" + "00" + "000c" + "0000000b" + "00000000", YamuxFrameType.Data, YamuxFlags.Fin | YamuxFlags.Rst, 11, 0 },
        { "00" + "02" + "0001" + "00000000" + "12345678", YamuxFrameType.Ping, YamuxFlags.Syn, 0, 0x12345678 },              // ping request
        { "00" + "02" + "0002" + "00000000" + "12345678", YamuxFrameType.Ping, YamuxFlags.Ack, 0, 0x12345678 },              // its reply
        { "00" + "03" + "0000" + "00000000" + "00000000", YamuxFrameType.GoAway, YamuxFlags.None, 0, 0 },                    // normal termination
        { "00" + "03" + "0000" + "00000000" + "00000001", YamuxFrameType.GoAway, YamuxFlags.None, 0, 1 },                    // protocol error
        { "00" + "03" + "0000" + "00000000" + "00000002", YamuxFrameType.GoAway, YamuxFlags.None, 0, 2 },                    // internal error
        { "00" + "00" + "ffff" + "ffffffff" + "ffffffff", YamuxFrameType.Data, (YamuxFlags)0xffff, uint.MaxValue, uint.MaxValue },
    };

    [Theory]
    [MemberData(nameof(SpecVectors))]
    public void Reads_and_writes_spec_vectors(string hex, YamuxFrameType type, YamuxFlags flags, uint streamId, uint length)
    {
        byte[] bytes = Hex.Decode(hex);
        var expected = new YamuxHeader(type, flags, streamId, length);

        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(OperationStatus.Done, YamuxFrameCodec.TryReadHeader(ref buffer, out YamuxHeader header, out YamuxError error));
        Assert.Equal(YamuxError.None, error);
        Assert.Equal(expected, header);
        Assert.True(buffer.IsEmpty);

        byte[] written = new byte[YamuxHeader.Size];
        Assert.True(YamuxFrameCodec.TryWriteHeader(written, expected, out int count));
        Assert.Equal(YamuxHeader.Size, count);
        Assert.Equal(hex, Hex.Encode(written));

        var writer = new ArrayBufferWriter<byte>();
        YamuxFrameCodec.WriteHeader(writer, expected);
        Assert.Equal(hex, Hex.Encode(writer.WrittenSpan));
    }

    [Fact]
    public void Factory_methods_build_the_spec_frames()
    {
        Assert.Equal(new YamuxHeader(YamuxFrameType.Ping, YamuxFlags.Syn, 0, 7), YamuxHeader.Ping(YamuxFlags.Syn, 7));
        Assert.Equal(new YamuxHeader(YamuxFrameType.GoAway, YamuxFlags.None, 0, 1), YamuxHeader.GoAway(YamuxGoAwayCode.ProtocolError));
        Assert.Equal(new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Rst, 5, 0), YamuxHeader.WindowUpdate(5, YamuxFlags.Rst, 0));
        Assert.Equal(new YamuxHeader(YamuxFrameType.Data, YamuxFlags.Ack, 4, 10), YamuxHeader.Data(4, YamuxFlags.Ack, 10));
    }

    private static readonly Gen<YamuxHeader> s_headers =
        Gen.Select(Gen.Byte[0, 3], Gen.UShort, Gen.UInt, Gen.UInt, (t, f, id, len) => new YamuxHeader((YamuxFrameType)t, (YamuxFlags)f, id, len));

    [Fact]
    public void Round_trips_every_header_on_single_and_split_buffers()
    {
        byte[] frame = new byte[YamuxHeader.Size + 3];
        Property.ForAll(Gen.Select(s_headers, Gen.Int[0, YamuxHeader.Size]), input =>
        {
            (YamuxHeader header, int split) = input;
            Assert.True(YamuxFrameCodec.TryWriteHeader(frame, header, out _));
            frame[12] = 0xAA; frame[13] = 0xBB; frame[14] = 0xCC; // guard bytes: the next frame, never consumed

            var single = new ReadOnlySequence<byte>(frame);
            Assert.Equal(OperationStatus.Done, YamuxFrameCodec.TryReadHeader(ref single, out YamuxHeader a, out _));
            Assert.Equal(header, a);
            Assert.Equal(3, single.Length);

            ReadOnlySequence<byte> twoSegments = Segments.SplitAt(frame, split);
            Assert.Equal(OperationStatus.Done, YamuxFrameCodec.TryReadHeader(ref twoSegments, out YamuxHeader b, out _));
            Assert.Equal(header, b);
            Assert.Equal(new byte[] { 0xAA, 0xBB, 0xCC }, twoSegments.ToArray());

            Assert.Equal(OperationStatus.Done, YamuxFrameCodec.TryReadHeader(frame.AsSpan(), out YamuxHeader c, out _));
            Assert.Equal(header, c);
        });
    }

    [Fact]
    public void Decodes_at_every_split_point_and_one_byte_per_segment()
    {
        byte[] frame = Hex.Decode("00" + "01" + "0003" + "01020304" + "0a0b0c0d" + "ffee"); // header + 2 bytes of what follows
        var expected = new YamuxHeader(YamuxFrameType.WindowUpdate, YamuxFlags.Syn | YamuxFlags.Ack, 0x01020304, 0x0a0b0c0d);
        foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(frame))
        {
            ReadOnlySequence<byte> buffer = sequence;
            Assert.True(OperationStatus.Done == YamuxFrameCodec.TryReadHeader(ref buffer, out YamuxHeader header, out _), shape);
            Assert.Equal(expected, header);
            Assert.Equal(new byte[] { 0xff, 0xee }, buffer.ToArray());
            Assert.Equal(sequence.GetPosition(YamuxHeader.Size), buffer.Start);
        }
    }

    [Fact]
    public void Does_not_consume_incomplete_headers()
    {
        byte[] frame = Hex.Decode("00" + "00" + "0001" + "00000001" + "00000005");
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(frame))
        {
            ReadOnlySequence<byte> buffer = prefix;
            Assert.Equal(OperationStatus.NeedMoreData, YamuxFrameCodec.TryReadHeader(ref buffer, out _, out YamuxError error));
            Assert.Equal(YamuxError.None, error);
            Assert.Equal(prefix.Start, buffer.Start);
            Assert.Equal(prefix.End, buffer.End);
        }
        for (int length = 0; length < YamuxHeader.Size; length++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, YamuxFrameCodec.TryReadHeader(frame.AsSpan(0, length), out _, out _));
        }
    }

    [Fact]
    public void Rejects_every_version_but_zero_without_consuming()
    {
        for (int version = 1; version <= 255; version++)
        {
            byte[] frame = Hex.Decode("00" + "00" + "0000" + "00000001" + "00000000");
            frame[0] = (byte)version;
            foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(frame))
            {
                ReadOnlySequence<byte> buffer = sequence;
                Assert.Equal(OperationStatus.InvalidData, YamuxFrameCodec.TryReadHeader(ref buffer, out _, out YamuxError error));
                Assert.Equal(YamuxError.InvalidVersion, error);
                Assert.Equal(sequence.Start, buffer.Start);
            }
        }
    }

    [Fact]
    public void Rejects_unknown_frame_types_without_consuming()
    {
        for (int type = 4; type <= 255; type++)
        {
            byte[] frame = Hex.Decode("00" + "00" + "0000" + "00000000" + "00000000");
            frame[1] = (byte)type;
            ReadOnlySequence<byte> buffer = Segments.OneBytePerSegment(frame);
            ReadOnlySequence<byte> before = buffer;
            Assert.Equal(OperationStatus.InvalidData, YamuxFrameCodec.TryReadHeader(ref buffer, out _, out YamuxError error));
            Assert.Equal(YamuxError.InvalidFrameType, error);
            Assert.Equal(before.Start, buffer.Start);
            Assert.Equal(OperationStatus.InvalidData, YamuxFrameCodec.TryReadHeader(frame, out _, out error));
            Assert.Equal(YamuxError.InvalidFrameType, error);
        }
    }

    [Fact]
    public void Writer_refuses_a_short_destination()
    {
        Span<byte> small = stackalloc byte[YamuxHeader.Size - 1];
        Assert.False(YamuxFrameCodec.TryWriteHeader(small, YamuxHeader.GoAway(YamuxGoAwayCode.Normal), out int written));
        Assert.Equal(0, written);
    }
}
