using System.Buffers;
using CsCheck;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Scale;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Scale;

public sealed class ScaleCompactTests
{
    // parity-scale-codec README / Substrate docs "SCALE encoding" table: compact/general integers.
    [Theory]
    [InlineData("0", "00")]
    [InlineData("1", "04")]
    [InlineData("42", "a8")]
    [InlineData("63", "fc")]
    [InlineData("64", "0101")]
    [InlineData("69", "1501")]
    [InlineData("16383", "fdff")]
    [InlineData("16384", "02000100")]
    [InlineData("65535", "feff0300")]
    [InlineData("1073741823", "feffffff")]
    [InlineData("1073741824", "0300000040")]
    [InlineData("4294967295", "03ffffffff")]
    [InlineData("100000000000000", "0b00407a10f35a")]
    [InlineData("18446744073709551615", "13ffffffffffffffff")]
    [InlineData("340282366920938463463374607431768211455", "33ffffffffffffffffffffffffffffffff")]
    public void Spec_vectors_encode_and_decode(string decimalValue, string hex)
    {
        UInt128 value = UInt128.Parse(decimalValue);
        byte[] expected = Hex.Decode(hex);
        Span<byte> buffer = stackalloc byte[ScaleCompact.MaxEncodedLength];
        Assert.True(ScaleCompact.TryWrite(buffer, value, out int written));
        Assert.Equal(hex, Hex.Encode(buffer[..written]));
        Assert.Equal(expected.Length, ScaleCompact.GetByteCount(value));
        Assert.Equal(OperationStatus.Done, ScaleCompact.TryRead(expected, out UInt128 decoded, out int consumed));
        Assert.Equal(value, decoded);
        Assert.Equal(expected.Length, consumed);
    }

    // Non-canonical encodings are refused, as parity-scale-codec refuses them ("out of range").
    [Theory]
    [InlineData("0100")] // 0 in two-byte mode
    [InlineData("fd00")] // 63 in two-byte mode
    [InlineData("02000000")] // 0 in four-byte mode
    [InlineData("feff0000")] // 16383 in four-byte mode
    [InlineData("03ffffff3f")] // 2^30-1 in big mode
    [InlineData("070000004000")] // 2^30 in five big-mode bytes: the top byte is zero
    [InlineData("3700000000000000000000000000000000ff")] // 17-byte big integer: wider than 128 bits
    public void Non_canonical_or_too_wide_is_invalid(string hex)
    {
        Assert.Equal(OperationStatus.InvalidData, ScaleCompact.TryRead(Hex.Decode(hex), out UInt128 _, out _));
        var reader = new ScaleReader(Hex.Decode(hex));
        try
        {
            reader.ReadCompact();
            Assert.Fail("expected a ChainDecodeException");
        }
        catch (ChainDecodeException)
        {
        }
    }

    [Fact]
    public void U64_overload_refuses_values_above_u64()
    {
        Assert.Equal(OperationStatus.InvalidData, ScaleCompact.TryRead(Hex.Decode("1700000000000000000001"), out ulong _, out _));
    }

    [Fact]
    public void Every_split_point_decodes_and_proper_prefixes_are_not_consumed()
    {
        byte[] data = Hex.Decode("0b00407a10f35a");
        foreach ((string shape, ReadOnlySequence<byte> seq) in Segments.Variants(data))
        {
            ReadOnlySequence<byte> buffer = seq;
            Assert.Equal(OperationStatus.Done, ScaleCompact.TryRead(ref buffer, out UInt128 v));
            Assert.True(v == 100000000000000, shape);
            Assert.Equal(0, buffer.Length);
        }
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(data))
        {
            ReadOnlySequence<byte> buffer = prefix;
            Assert.Equal(OperationStatus.NeedMoreData, ScaleCompact.TryRead(ref buffer, out UInt128 _));
            Assert.Equal(prefix.Length, buffer.Length);
        }
    }

    [Fact]
    public void Round_trip_property()
    {
        Gen.Select(Gen.ULong, Gen.ULong, Gen.Int[0, 128]).Select((hi, lo, bits) =>
                bits == 128 ? new UInt128(hi, lo) : new UInt128(hi, lo) & ((UInt128.One << bits) - 1))
            .Sample(value =>
            {
                Span<byte> buffer = stackalloc byte[ScaleCompact.MaxEncodedLength];
                Assert.True(ScaleCompact.TryWrite(buffer, value, out int written));
                Assert.Equal(OperationStatus.Done, ScaleCompact.TryRead(buffer[..written], out UInt128 back, out int consumed));
                Assert.Equal(value, back);
                Assert.Equal(written, consumed);
            }, iter: 10_000, seed: "0N0XIzNsQ0O2");
    }
}
