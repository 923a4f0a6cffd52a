using Mesh.Multistream.Protobuf;

namespace Mesh.Multistream.Tests.Protobuf;

public sealed class ProtobufSpanReaderTests
{
    // field 1 varint 150, field 2 bytes "hi", field 3 fixed64, field 4 fixed32, field 5 group { field 6 varint 1 }
    private static readonly byte[] s_message =
    [
        0x08, 0x96, 0x01,
        0x12, 0x02, (byte)'h', (byte)'i',
        0x19, 1, 2, 3, 4, 5, 6, 7, 8,
        0x25, 1, 2, 3, 4,
        0x2B, 0x30, 0x01, 0x2C,
    ];

    [Fact]
    public void Reads_every_wire_type_and_skips_what_it_is_told_to()
    {
        var reader = new ProtobufSpanReader(s_message);
        Assert.Equal(ProtobufReadError.None, reader.ReadTag(out int field, out int wire));
        Assert.Equal((1, ProtobufSpanReader.WireVarint), (field, wire));
        Assert.Equal(ProtobufReadError.None, reader.ReadVarint(out ulong value));
        Assert.Equal(150ul, value);
        Assert.Equal(ProtobufReadError.None, reader.ReadTag(out field, out wire));
        Assert.Equal((2, ProtobufSpanReader.WireLengthDelimited), (field, wire));
        Assert.Equal(ProtobufReadError.None, reader.ReadLengthDelimited(out ReadOnlySpan<byte> bytes));
        Assert.Equal("hi"u8.ToArray(), bytes.ToArray());
        for (int expected = 3; expected <= 5; expected++)
        {
            Assert.Equal(ProtobufReadError.None, reader.ReadTag(out field, out wire));
            Assert.Equal(expected, field);
            Assert.Equal(ProtobufReadError.None, reader.SkipField(field, wire));
        }
        Assert.True(reader.IsAtEnd);
    }

    [Fact]
    public void Every_truncation_is_reported_as_truncated_never_read_past()
    {
        for (int length = 0; length < s_message.Length; length++)
        {
            ProtobufReadError error = ReadAll(s_message.AsSpan(0, length));
            // Cuts between fields leave a shorter valid message; every other cut is Truncated.
            Assert.True(error is ProtobufReadError.None or ProtobufReadError.Truncated, $"cut at {length}: {error}");
        }
        Assert.Equal(ProtobufReadError.Truncated, ReadAll([0x12, 0x05, 1, 2]));
    }

    [Theory]
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 }, ProtobufReadError.MalformedVarint)] // > 64 bits
    [InlineData(new byte[] { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, ProtobufReadError.MalformedVarint)] // 11 bytes
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, ProtobufReadError.MalformedVarint)] // tag > 32 bits
    [InlineData(new byte[] { 0x00, 0x00 }, ProtobufReadError.InvalidTag)] // field 0
    [InlineData(new byte[] { 0x0E }, ProtobufReadError.InvalidWireType)] // wire type 6
    [InlineData(new byte[] { 0x0C }, ProtobufReadError.InvalidWireType)] // end-group without a start
    [InlineData(new byte[] { 0x0B, 0x14 }, ProtobufReadError.InvalidWireType)] // group 1 closed as group 2
    public void Malformed_input_is_a_typed_error(byte[] message, ProtobufReadError expected) => Assert.Equal(expected, ReadAll(message));

    [Fact]
    public void Non_minimal_varints_are_accepted_as_protobuf_parsers_do()
    {
        var reader = new ProtobufSpanReader([0x96, 0x81, 0x80, 0x00]);
        Assert.Equal(ProtobufReadError.None, reader.ReadVarint(out ulong value));
        Assert.Equal(150ul, value);
        Assert.Equal(ProtobufReadError.None, new ProtobufSpanReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).ReadVarint(out value));
        Assert.Equal(ulong.MaxValue, value);
    }

    [Fact]
    public void Groups_nest_up_to_the_depth_limit()
    {
        Assert.Equal(ProtobufReadError.None, ReadAll(NestedGroups(8)));
        Assert.Equal(ProtobufReadError.InvalidWireType, ReadAll(NestedGroups(9)));
    }

    private static byte[] NestedGroups(int depth) =>
        [.. Enumerable.Repeat((byte)0x0B, depth), .. Enumerable.Repeat((byte)0x0C, depth)];

    private static ProtobufReadError ReadAll(ReadOnlySpan<byte> message)
    {
        var reader = new ProtobufSpanReader(message);
        while (!reader.IsAtEnd)
        {
            ProtobufReadError error = reader.ReadTag(out int field, out int wire);
            if (error == ProtobufReadError.None)
            {
                error = reader.SkipField(field, wire);
            }
            if (error != ProtobufReadError.None)
            {
                return error;
            }
        }
        return ProtobufReadError.None;
    }
}
