using System.Buffers;
using CsCheck;
using Google.Protobuf;
using Mesh.TestKit;
using Mesh.Transport.Rpc.Streaming;
using Mesh.Transport.Tests.Protocols;

namespace Mesh.Transport.Tests.Rpc.Streaming;

public sealed class StreamFrameCodecTests
{
    private const int Max = StreamFrameCodec.DefaultMaxMessageSize;

    // mesh P2P.send_protobuf(RPCError(message="boom")): marker 01, u64 BE length 6, RPCError{1: "boom"}.
    private const string BoomErrorFrame = "01" + "0000000000000006" + "0a04626f6f6d";

    // P2P.END_OF_STREAM = RPCError() serializes to nothing.
    private const string EndOfStream = "01" + "0000000000000000";

    [Fact]
    public void End_of_stream_is_an_empty_error_frame()
    {
        var writer = new ArrayBufferWriter<byte>();
        StreamFrameCodec.WriteEndOfStream(writer);
        Assert.Equal(EndOfStream, Hex.Encode(writer.WrittenSpan));
        Assert.Equal(0, new RPCError().CalculateSize());
    }

    [Fact]
    public void An_error_frame_carries_an_RPCError_as_mesh_writes_it()
    {
        var error = new RPCError { Message = "boom" };
        var writer = new ArrayBufferWriter<byte>();
        StreamFrameCodec.WriteHeader(writer, StreamFrameMarker.Error, (ulong)error.CalculateSize());
        writer.Write(error.ToByteArray());
        Assert.Equal(BoomErrorFrame, Hex.Encode(writer.WrittenSpan));

        foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(Hex.Decode(BoomErrorFrame)))
        {
            ReadOnlySequence<byte> buffer = sequence;
            Assert.True(OperationStatus.Done == StreamFrameCodec.TryReadFrame(ref buffer, Max, out StreamFrameMarker marker, out ReadOnlySequence<byte> payload, out _, out _), shape);
            Assert.Equal(StreamFrameMarker.Error, marker);
            Assert.Equal("boom", RPCError.Parser.ParseFrom(payload).Message);
            Assert.True(buffer.IsEmpty, shape);
        }
    }

    [Fact]
    public void No_proper_prefix_is_consumed()
    {
        byte[] frame = Hex.Decode(BoomErrorFrame);
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(frame))
        {
            ReadOnlySequence<byte> buffer = prefix;
            Assert.Equal(OperationStatus.NeedMoreData, StreamFrameCodec.TryReadFrame(ref buffer, Max, out _, out _, out _, out _));
            Assert.Equal(prefix.Start, buffer.Start);
            Assert.Equal(prefix.End, buffer.End);
        }
    }

    [Fact]
    public void An_oversized_frame_is_rejected_from_its_header_alone()
    {
        byte[] header = new byte[StreamFrameCodec.HeaderLength];
        StreamFrameCodec.WriteHeader(header, StreamFrameMarker.Message, Max + 1UL);
        var buffer = new ReadOnlySequence<byte>(header);
        Assert.Equal(OperationStatus.InvalidData, StreamFrameCodec.TryReadFrame(ref buffer, Max, out _, out _, out StreamFrameError error, out ulong declared));
        Assert.Equal(StreamFrameError.MessageTooLarge, error);
        Assert.Equal(Max + 1UL, declared);
        Assert.Equal(header.Length, buffer.Length);

        // The largest u64 (Python would try to read it) is also just "too large".
        StreamFrameCodec.WriteHeader(header, StreamFrameMarker.Message, ulong.MaxValue);
        buffer = new ReadOnlySequence<byte>(header);
        Assert.Equal(OperationStatus.InvalidData, StreamFrameCodec.TryReadFrame(ref buffer, Max, out _, out _, out error, out _));
        Assert.Equal(StreamFrameError.MessageTooLarge, error);

        // Exactly the limit waits for the payload.
        StreamFrameCodec.WriteHeader(header, StreamFrameMarker.Message, Max);
        buffer = new ReadOnlySequence<byte>(header);
        Assert.Equal(OperationStatus.NeedMoreData, StreamFrameCodec.TryReadFrame(ref buffer, Max, out _, out _, out _, out _));
    }

    [Theory]
    [InlineData("02")]
    [InlineData("ff0000000000000000")]
    public void An_unknown_marker_is_rejected_from_its_first_byte(string hex)
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Decode(hex));
        Assert.Equal(OperationStatus.InvalidData, StreamFrameCodec.TryReadFrame(ref buffer, Max, out _, out _, out StreamFrameError error, out _));
        Assert.Equal(StreamFrameError.UnknownMarker, error);
    }

    [Fact]
    public void An_empty_message_frame_is_a_message_with_no_bytes()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Decode("000000000000000000"));
        Assert.Equal(OperationStatus.Done, StreamFrameCodec.TryReadFrame(ref buffer, Max, out StreamFrameMarker marker, out ReadOnlySequence<byte> payload, out _, out _));
        Assert.Equal(StreamFrameMarker.Message, marker);
        Assert.True(payload.IsEmpty);
    }

    [Fact]
    public void Frames_round_trip_in_every_segmentation()
    {
        Gen<(bool, byte[][])> gen = Gen.Select(Gen.Bool, Gen.Byte.Array[0, 600].Array[1, 4], (error, payloads) => (error, payloads));
        Property.ForAll(gen, t =>
        {
            (bool lastIsError, byte[][] payloads) = t;
            var writer = new ArrayBufferWriter<byte>();
            for (int i = 0; i < payloads.Length; i++)
            {
                StreamFrameMarker marker = lastIsError && i == payloads.Length - 1 ? StreamFrameMarker.Error : StreamFrameMarker.Message;
                StreamFrameCodec.WriteHeader(writer, marker, (ulong)payloads[i].Length);
                writer.Write(payloads[i]);
            }
            byte[] bytes = writer.WrittenSpan.ToArray();
            ReadOnlySequence<byte>[] shapes = [new(bytes), Segments.OneBytePerSegment(bytes), Segments.SplitAt(bytes, bytes.Length / 3)];
            foreach (ReadOnlySequence<byte> shape in shapes)
            {
                ReadOnlySequence<byte> buffer = shape;
                for (int i = 0; i < payloads.Length; i++)
                {
                    Assert.Equal(OperationStatus.Done, StreamFrameCodec.TryReadFrame(ref buffer, Max, out StreamFrameMarker marker, out ReadOnlySequence<byte> payload, out _, out _));
                    Assert.Equal(lastIsError && i == payloads.Length - 1 ? StreamFrameMarker.Error : StreamFrameMarker.Message, marker);
                    Assert.Equal(payloads[i], payload.ToArray());
                }
                Assert.True(buffer.IsEmpty);
            }
        }, iterations: 1_000);
    }
}
