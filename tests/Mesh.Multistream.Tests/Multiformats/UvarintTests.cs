using System.Buffers;
using CsCheck;
using Mesh.TestKit;

namespace Mesh.Multistream.Tests;

public sealed class UvarintTests
{
    // multiformats/unsigned-varint README examples plus the boundaries of each length.
    public static TheoryData<ulong, string> SpecVectors() => new()
    {
        { 0, "00" },
        { 1, "01" },
        { 127, "7f" },
        { 128, "8001" },
        { 255, "ff01" },
        { 300, "ac02" },
        { 16383, "ff7f" },
        { 16384, "808001" },
        { 2097151, "ffff7f" },
        { 2097152, "80808001" },
        { 4194304, "80808002" },
        { (1UL << 56) - 1, "ffffffffffffff7f" },
        { 1UL << 56, "8080808080808080" + "01" },
        { Uvarint.MaxValue, "ffffffffffffffff7f" },
    };

    [Theory]
    [MemberData(nameof(SpecVectors))]
    public void Writes_and_reads_spec_vectors(ulong value, string hex)
    {
        byte[] expected = Hex.Decode(hex);
        Span<byte> buffer = stackalloc byte[Uvarint.MaxLength];
        Assert.True(Uvarint.TryWrite(buffer, value, out int written));
        Assert.Equal(hex, Hex.Encode(buffer[..written]));
        Assert.Equal(expected.Length, Uvarint.GetByteCount(value));

        Assert.Equal(OperationStatus.Done, Uvarint.TryRead(expected, out ulong read, out int bytesRead));
        Assert.Equal(value, read);
        Assert.Equal(expected.Length, bytesRead);
        Assert.Equal(value, Uvarint.Read(expected, out _));
    }

    [Fact]
    public void Matches_golden_vectors_from_the_python_reference()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(SharedData.RequireVector("unary_envelope.json")));
        int count = 0;
        foreach (var c in doc.RootElement.GetProperty("varint_framing").EnumerateArray())
        {
            ulong value = c.GetProperty("value").GetUInt64();
            byte[] encoded = Hex.Decode(c.GetProperty("uvarint_hex").GetString()!);
            var writer = new ArrayBufferWriter<byte>();
            Uvarint.Write(writer, value);
            Assert.Equal(encoded, writer.WrittenSpan.ToArray());
            Assert.Equal(OperationStatus.Done, Uvarint.TryRead(encoded, out ulong read, out _));
            Assert.Equal(c.GetProperty("read_back").GetUInt64(), read);
            count++;
        }
        Assert.True(count >= 9);
    }

    [Theory]
    [InlineData("8000")]               // 0 with a redundant continuation
    [InlineData("8100")]               // 1 with a redundant continuation
    [InlineData("ff8000")]             // trailing zero after two bytes
    [InlineData("808080808080808000")] // 9 bytes, zero last group
    public void Rejects_non_minimal_encodings(string hex)
    {
        byte[] data = Hex.Decode(hex);
        Assert.Equal(OperationStatus.InvalidData, Uvarint.TryRead(data, out _, out _, out VarintError error));
        Assert.Equal(VarintError.NonMinimal, error);
        var ex = Assert.Throws<VarintException>(() => Uvarint.Read(data, out _));
        Assert.Equal(VarintError.NonMinimal, ex.Error);
    }

    [Theory]
    [InlineData("ffffffffffffffffff")]     // 9 continuation bytes
    [InlineData("ffffffffffffffffff01")]   // 10-byte encoding of 2^63 + ...
    [InlineData("80808080808080808001")]   // 2^63 (needs 10 bytes)
    public void Rejects_more_than_nine_bytes(string hex)
    {
        byte[] data = Hex.Decode(hex);
        Assert.Equal(OperationStatus.InvalidData, Uvarint.TryRead(data, out _, out _, out VarintError error));
        Assert.Equal(VarintError.TooLong, error);
        var seq = new ReadOnlySequence<byte>(data);
        Assert.Equal(OperationStatus.InvalidData, Uvarint.TryRead(ref seq, out _, out error));
        Assert.Equal(VarintError.TooLong, error);
        Assert.Equal(data.Length, seq.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("80")]
    [InlineData("ff")]
    [InlineData("ffffffffffffffff")] // 8 continuation bytes: the 9th could still end it
    public void Truncated_input_needs_more_data(string hex)
    {
        byte[] data = Hex.Decode(hex);
        Assert.Equal(OperationStatus.NeedMoreData, Uvarint.TryRead(data, out _, out int bytesRead));
        Assert.Equal(0, bytesRead);
        var ex = Assert.Throws<VarintException>(() => Uvarint.Read(data, out _));
        Assert.Equal(VarintError.Truncated, ex.Error);
    }

    [Fact]
    public void Writing_refuses_values_above_63_bits_and_short_destinations()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Uvarint.GetByteCount(Uvarint.MaxValue + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Uvarint.TryWrite(new byte[16], ulong.MaxValue, out _));
        Assert.False(Uvarint.TryWrite(new byte[1], 128, out int written));
        Assert.Equal(0, written);
        Assert.False(Uvarint.TryWrite(Span<byte>.Empty, 0, out _));
    }

    [Theory]
    [MemberData(nameof(SpecVectors))]
    public void Reads_at_every_split_point_and_leaves_guard_bytes(ulong value, string hex)
    {
        byte[] encoded = Hex.Decode(hex);
        byte[] withGuard = [.. encoded, 0xEE, 0xFF];
        foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(withGuard))
        {
            ReadOnlySequence<byte> buffer = sequence;
            Assert.True(OperationStatus.Done == Uvarint.TryRead(ref buffer, out ulong read), shape);
            Assert.Equal(value, read);
            Assert.Equal(new byte[] { 0xEE, 0xFF }, buffer.ToArray());

            var reader = new SequenceReader<byte>(sequence);
            Assert.Equal(OperationStatus.Done, Uvarint.TryRead(ref reader, out read, out _));
            Assert.Equal(value, read);
            Assert.Equal(encoded.Length, reader.Consumed);
        }
    }

    [Theory]
    [MemberData(nameof(SpecVectors))]
    public void Does_not_consume_a_proper_prefix(ulong value, string hex)
    {
        _ = value;
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(Hex.Decode(hex)))
        {
            ReadOnlySequence<byte> buffer = prefix;
            Assert.Equal(OperationStatus.NeedMoreData, Uvarint.TryRead(ref buffer, out _));
            Assert.Equal(prefix.Start, buffer.Start);
            Assert.Equal(prefix.End, buffer.End);
        }
    }

    [Fact]
    public void Round_trips_random_values_through_span_and_sequence_paths()
    {
        Gen<ulong> values = Gen.OneOf(Gen.ULong[0, Uvarint.MaxValue], Gen.Int[0, 62].Select(b => 1UL << b), Gen.Int[1, 63].Select(b => (1UL << b) - 1));
        Property.ForAll(Gen.Select(values, Gen.Int[0, 10]), t =>
        {
            (ulong value, int split) = t;
            Span<byte> buffer = stackalloc byte[Uvarint.MaxLength];
            Assert.True(Uvarint.TryWrite(buffer, value, out int written));
            Assert.Equal(Uvarint.GetByteCount(value), written);
            Assert.Equal(OperationStatus.Done, Uvarint.TryRead(buffer[..written], out ulong read, out int bytesRead));
            Assert.Equal(value, read);
            Assert.Equal(written, bytesRead);

            ReadOnlySequence<byte> seq = Segments.SplitAt(buffer[..written], Math.Min(split, written));
            Assert.Equal(OperationStatus.Done, Uvarint.TryRead(ref seq, out read));
            Assert.Equal(value, read);
            Assert.True(seq.IsEmpty);
        });
    }

    [Fact]
    public void Every_byte_string_either_round_trips_canonically_or_is_rejected()
    {
        // Decode → encode must give the same bytes back: there is exactly one encoding per value.
        Property.ForAll(Gen.Byte.Array[0, 11], data =>
        {
            OperationStatus status = Uvarint.TryRead(data, out ulong value, out int bytesRead);
            if (status == OperationStatus.Done)
            {
                Span<byte> again = stackalloc byte[Uvarint.MaxLength];
                Uvarint.TryWrite(again, value, out int written);
                Assert.Equal(data.AsSpan(0, bytesRead).ToArray(), again[..written].ToArray());
            }
        });
    }
}
