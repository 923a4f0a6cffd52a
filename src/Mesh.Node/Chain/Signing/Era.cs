using System.Numerics;

namespace Mesh.Node.Chain.Signing;

/// <summary>
/// Transaction mortality (<c>sp_runtime::generic::Era</c>). Immortal encodes as one zero byte. Mortal encodes as a
/// little-endian u16: low 4 bits = log2(period) − 1 (clamped to 1..15), high 12 bits = phase / quantize_factor, where
/// period is a power of two in [4, 65536], phase = birth block % period and quantize_factor = max(period &gt;&gt; 12, 1).
/// A mortal transaction signs the hash of its birth block.
/// </summary>
public readonly record struct Era(bool IsImmortal, ulong Period, ulong Phase)
{
    public static Era Immortal => new(true, 0, 0);

    /// <summary>A mortal era of about <paramref name="period"/> blocks starting at <paramref name="currentBlock"/>.</summary>
    public static Era Mortal(ulong period, ulong currentBlock)
    {
        ulong p = Math.Clamp(BitOperations.RoundUpToPowerOf2(Math.Max(period, 1)), 4, 1 << 16);
        ulong phase = currentBlock % p;
        ulong quantize = Math.Max(p >> 12, 1);
        return new Era(false, p, phase / quantize * quantize);
    }

    /// <summary>The block whose hash a mortal transaction signs (and from which it is valid).</summary>
    public ulong BirthBlock(ulong currentBlock) =>
        IsImmortal ? 0 : (Math.Max(currentBlock, Phase) - Phase) / Period * Period + Phase;

    public int EncodedLength => IsImmortal ? 1 : 2;

    public int Write(Span<byte> destination)
    {
        if (IsImmortal)
        {
            destination[0] = 0;
            return 1;
        }
        ulong quantize = Math.Max(Period >> 12, 1);
        int low = Math.Clamp(BitOperations.TrailingZeroCount(Period) - 1, 1, 15);
        ushort encoded = (ushort)(low | (int)(Phase / quantize << 4));
        destination[0] = (byte)encoded;
        destination[1] = (byte)(encoded >> 8);
        return 2;
    }

    public byte[] ToBytes()
    {
        var b = new byte[EncodedLength];
        Write(b);
        return b;
    }

    /// <summary>Decodes an era from its first byte(s); returns the bytes consumed, or throws on a malformed era.</summary>
    public static Era Read(ReadOnlySpan<byte> source, out int consumed)
    {
        if (source.IsEmpty)
        {
            ChainThrow.Truncated(1, 0);
        }
        if (source[0] == 0)
        {
            consumed = 1;
            return Immortal;
        }
        if (source.Length < 2)
        {
            ChainThrow.Truncated(2, source.Length);
        }
        int encoded = source[0] | (source[1] << 8);
        ulong period = 2UL << (encoded % (1 << 4));
        ulong quantize = Math.Max(period >> 12, 1);
        ulong phase = (ulong)(encoded >> 4) * quantize;
        if (period < 4 || phase >= period)
        {
            ChainThrow.Decode("invalid mortal era encoding");
        }
        consumed = 2;
        return new Era(false, period, phase);
    }
}
