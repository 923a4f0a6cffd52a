using System.Buffers;
using Mesh.TestKit;
using Mesh.Transport.Noise;

namespace Mesh.Transport.Tests.Noise;

public sealed class NoiseFrameCodecTests
{
    private static byte[] Frame(int length, byte fill = 0xAB)
    {
        var frame = new byte[2 + length];
        frame[0] = (byte)(length >> 8);
        frame[1] = (byte)length;
        frame.AsSpan(2).Fill(fill);
        return frame;
    }

    [Theory]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(300)]
    public void Reads_one_frame_in_every_segmentation_and_leaves_guard_bytes(int length)
    {
        byte[] frame = Frame(length);
        byte[] withGuard = [.. frame, 0xEE, 0xFF];
        foreach (byte[] data in new[] { frame, withGuard })
        {
            foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(data))
            {
                ReadOnlySequence<byte> buffer = sequence;
                OperationStatus status = NoiseFrameCodec.TryReadFrame(ref buffer, NoiseConstants.TagLength, out ReadOnlySequence<byte> message, out NoiseError error);
                Assert.True(status == OperationStatus.Done, shape);
                Assert.Equal(NoiseError.None, error);
                Assert.Equal(length, message.Length);
                Assert.All(message.ToArray(), b => Assert.Equal(0xAB, b));
                Assert.Equal(data.Length - frame.Length, buffer.Length);
            }
        }
    }

    [Fact]
    public void Does_not_consume_any_proper_prefix()
    {
        byte[] frame = Frame(40);
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(frame))
        {
            ReadOnlySequence<byte> buffer = prefix;
            OperationStatus status = NoiseFrameCodec.TryReadFrame(ref buffer, NoiseConstants.TagLength, out _, out _);
            Assert.Equal(OperationStatus.NeedMoreData, status);
            Assert.Equal(prefix.Start, buffer.Start);
            Assert.Equal(prefix.End, buffer.End);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    public void Rejects_a_transport_frame_shorter_than_the_tag_from_the_header_alone(int length)
    {
        // Only the two header bytes: the length is judged before any body arrives.
        var buffer = new ReadOnlySequence<byte>(Frame(length).AsMemory(0, 2));
        OperationStatus status = NoiseFrameCodec.TryReadFrame(ref buffer, NoiseConstants.TagLength, out _, out NoiseError error);
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal(NoiseError.FrameTooShort, error);
    }

    [Fact]
    public void Reads_the_largest_frame_and_several_frames_in_a_row()
    {
        byte[] data = [.. Frame(NoiseConstants.MaxMessageLength, 1), .. Frame(16, 2), .. Frame(17, 3)];
        var buffer = new ReadOnlySequence<byte>(data);
        var lengths = new List<long>();
        while (NoiseFrameCodec.TryReadFrame(ref buffer, NoiseConstants.TagLength, out ReadOnlySequence<byte> message, out _) == OperationStatus.Done)
        {
            lengths.Add(message.Length);
        }
        Assert.Equal([65535L, 16L, 17L], lengths);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Header_is_big_endian_and_refuses_lengths_above_65535()
    {
        var header = new byte[2];
        NoiseFrameCodec.WriteHeader(header, 0x1234);
        Assert.Equal([0x12, 0x34], header);
        NoiseFrameCodec.WriteHeader(header, 65535);
        Assert.Equal([0xFF, 0xFF], header);
        Assert.Throws<ArgumentOutOfRangeException>(() => NoiseFrameCodec.WriteHeader(header, 65536));
    }
}
