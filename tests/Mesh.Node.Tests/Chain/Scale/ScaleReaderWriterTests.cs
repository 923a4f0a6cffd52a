using System.Buffers;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Scale;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Scale;

/// <summary>Fixed-width integers, bools, vectors, strings and options with the examples of the Substrate docs'
/// "SCALE encoding" page and the parity-scale-codec README.</summary>
public sealed class ScaleReaderWriterTests
{
    private static string Write(Action<ScaleWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new ScaleWriter(buffer));
        return Hex.Encode(buffer.WrittenSpan);
    }

    [Fact]
    public void Fixed_width_integers_are_little_endian()
    {
        Assert.Equal("45", Write(w => w.WriteI8(69)));
        Assert.Equal("2a00", Write(w => w.WriteU16(42)));
        Assert.Equal("ffffff00", Write(w => w.WriteU32(16777215)));
        Assert.Equal("0000c16ff2862300", Write(w => w.WriteU64(10_000_000_000_000_000)));
        Assert.Equal("000010632d5ec76b0500000000000000", Write(w => w.WriteU128(UInt128.Parse("100000000000000000000"))));
        var r = new ScaleReader(Hex.Decode("45" + "2a00" + "ffffff00" + "000010632d5ec76b0500000000000000"));
        Assert.Equal(69, r.ReadI8());
        Assert.Equal(42, r.ReadU16());
        Assert.Equal(16777215u, r.ReadU32());
        Assert.Equal(UInt128.Parse("100000000000000000000"), r.ReadU128());
        Assert.True(r.End);
    }

    [Fact]
    public void Bool_is_one_byte_and_strict()
    {
        Assert.Equal("00", Write(w => w.WriteBool(false)));
        Assert.Equal("01", Write(w => w.WriteBool(true)));
        var r = new ScaleReader(Hex.Decode("02"));
        try
        {
            r.ReadBool();
            Assert.Fail("0x02 is not a bool");
        }
        catch (ChainDecodeException)
        {
        }
    }

    [Fact]
    public void Vec_of_u16_example()
    {
        // [4, 8, 15, 16, 23, 42] → 0x18 0400 0800 0f00 1000 1700 2a00
        string hex = Write(w =>
        {
            ushort[] items = [4, 8, 15, 16, 23, 42];
            w.WriteCompact((uint)items.Length);
            foreach (ushort i in items)
            {
                w.WriteU16(i);
            }
        });
        Assert.Equal("18040008000f00100017002a00", hex);
    }

    [Fact]
    public void String_is_a_compact_length_and_utf8()
    {
        Assert.Equal("1448656c6c6f", Write(w => w.WriteString("Hello")));
        var r = new ScaleReader(Hex.Decode("1448656c6c6f"));
        Assert.Equal("Hello", r.ReadString());
        var bad = new ScaleReader(Hex.Decode("04ff"));
        try
        {
            bad.ReadString();
            Assert.Fail("0xff is not UTF-8");
        }
        catch (ChainDecodeException)
        {
        }
    }

    [Fact]
    public void Option_tag_is_strict()
    {
        var r = new ScaleReader(Hex.Decode("000102"));
        Assert.False(r.ReadOptionTag());
        Assert.True(r.ReadOptionTag());
        try
        {
            r.ReadOptionTag();
            Assert.Fail("0x02 is not an Option tag");
        }
        catch (ChainDecodeException)
        {
        }
    }

    [Fact]
    public void Truncation_is_a_typed_error()
    {
        var r = new ScaleReader(Hex.Decode("010203"));
        try
        {
            r.ReadU32();
            Assert.Fail("expected truncation");
        }
        catch (ChainDecodeException ex)
        {
            Assert.Contains("truncated", ex.Message);
        }
    }

    [Fact]
    public void Hostile_length_prefix_is_refused_before_allocation()
    {
        // Compact 2^30 items of u128 with four bytes of input.
        var r = new ScaleReader(Hex.Decode("030000004000000000"));
        try
        {
            r.ReadLength(16);
            Assert.Fail("expected the length to be refused");
        }
        catch (ChainDecodeException ex)
        {
            Assert.Contains("exceeds", ex.Message);
        }
    }
}
