using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace Mesh.Multistream;

/// <summary>An alphabet for a big-number base (base58btc, base36): the data is one big-endian number in that base.</summary>
internal interface IBigRadixAlphabet
{
    /// <summary>The base (58, 36).</summary>
    static abstract uint Radix { get; }

    /// <summary>Radix^5, the limb base used while encoding (must stay below 2^30).</summary>
    static abstract uint Radix5 { get; }

    /// <summary>The digits, zero first; the zero digit also stands for each leading zero byte.</summary>
    static abstract string Alphabet { get; }

    /// <summary>Digit value of an ASCII character, or -1.</summary>
    static abstract int DigitValue(char c);

    /// <summary>An upper bound on characters per byte, as a ratio numerator/100 (log 256 / log radix, rounded up).</summary>
    static abstract int CharsPerByteTimes100 { get; }
}

/// <summary>
/// Big-number base conversion shared by base58btc and base36. Works on 32-bit limbs instead of one digit at a time:
/// encoding accumulates four input bytes per step into limbs of base radix^5, decoding five characters per step into
/// limbs of base 2^32, which cuts the quadratic work roughly 20-fold versus the textbook byte-by-digit loop. Each
/// leading zero byte is one leading zero digit and back. <typeparamref name="T"/> is a struct, so the JIT specializes
/// the code per alphabet and divides by constants. Both directions stay quadratic in the length: callers decoding
/// untrusted text bound its length first.
/// </summary>
internal static class BigRadixCodec<T>
    where T : struct, IBigRadixAlphabet
{
    private const int StackLimbs = 64;

    public static int GetMaxEncodedLength(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        long max = ((long)byteCount * T.CharsPerByteTimes100 / 100) + 1;
        return max > Array.MaxLength ? throw new ArgumentOutOfRangeException(nameof(byteCount)) : (int)max;
    }

    public static bool TryEncode(ReadOnlySpan<byte> data, Span<char> destination, out int charsWritten)
    {
        int zeros = data.IndexOfAnyExcept((byte)0);
        if (zeros < 0)
        {
            zeros = data.Length;
        }
        ReadOnlySpan<byte> rest = data[zeros..];

        // 8n bits in limbs of log2(radix^5) ≥ 25.8 bits (base36; 29.3 for base58): n/3 + 1 limbs always suffice.
        int maxLimbs = (rest.Length / 3) + 1;
        uint[]? rented = null;
        Span<uint> limbs = maxLimbs <= StackLimbs ? stackalloc uint[StackLimbs] : (rented = ArrayPool<uint>.Shared.Rent(maxLimbs));
        try
        {
            int used = BytesToRadix5Limbs(rest, limbs);
            int digits = used == 0 ? 0 : ((used - 1) * 5) + DigitCount(limbs[used - 1]);
            int total = zeros + digits;
            if (destination.Length < total)
            {
                charsWritten = 0;
                return false;
            }
            destination[..zeros].Fill(T.Alphabet[0]);
            int pos = zeros;
            if (used > 0)
            {
                // Most significant limb without its leading zero digits, then every other limb as exactly 5 digits.
                uint top = limbs[used - 1];
                int topDigits = DigitCount(top);
                WriteDigits(destination.Slice(pos, topDigits), top);
                pos += topDigits;
                for (int i = used - 2; i >= 0; i--)
                {
                    WriteDigits(destination.Slice(pos, 5), limbs[i]);
                    pos += 5;
                }
            }
            charsWritten = total;
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<uint>.Shared.Return(rented);
            }
        }
    }

    public static OperationStatus TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        int zeros = text.IndexOfAnyExcept(T.Alphabet[0]);
        if (zeros < 0)
        {
            zeros = text.Length;
        }
        ReadOnlySpan<char> rest = text[zeros..];

        // n characters carry at most n·log2(58) ≈ 5.86n bits: n/5 + 2 limbs of 32 bits always suffice.
        int maxLimbs = (rest.Length / 5) + 2;
        uint[]? rented = null;
        Span<uint> limbs = maxLimbs <= StackLimbs ? stackalloc uint[StackLimbs] : (rented = ArrayPool<uint>.Shared.Rent(maxLimbs));
        try
        {
            int used = 0;
            int pos = 0;
            int head = rest.Length % 5;
            if (head != 0)
            {
                uint multiplier = 1;
                uint value = 0;
                for (; pos < head; pos++)
                {
                    int d = T.DigitValue(rest[pos]);
                    if (d < 0)
                    {
                        return OperationStatus.InvalidData;
                    }
                    value = (value * T.Radix) + (uint)d;
                    multiplier *= T.Radix;
                }
                used = MulAddRadix2To32(limbs, used, multiplier, value);
            }
            for (; pos < rest.Length; pos += 5)
            {
                uint value = 0;
                for (int k = 0; k < 5; k++)
                {
                    int d = T.DigitValue(rest[pos + k]);
                    if (d < 0)
                    {
                        return OperationStatus.InvalidData;
                    }
                    value = (value * T.Radix) + (uint)d;
                }
                used = MulAddRadix2To32(limbs, used, T.Radix5, value);
            }

            int significant = used == 0 ? 0 : ((used - 1) * 4) + ((32 - BitOperations.LeadingZeroCount(limbs[used - 1]) + 7) / 8);
            int total = zeros + significant;
            if (destination.Length < total)
            {
                return OperationStatus.DestinationTooSmall;
            }
            destination[..zeros].Clear();
            int outPos = zeros;
            if (used > 0)
            {
                uint top = limbs[used - 1];
                int topBytes = significant - ((used - 1) * 4);
                for (int k = topBytes - 1; k >= 0; k--)
                {
                    destination[outPos++] = (byte)(top >> (8 * k));
                }
                for (int i = used - 2; i >= 0; i--)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(outPos, 4), limbs[i]);
                    outPos += 4;
                }
            }
            bytesWritten = total;
            return OperationStatus.Done;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<uint>.Shared.Return(rented);
            }
        }
    }

    public static int IndexOfInvalid(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (T.DigitValue(text[i]) < 0)
            {
                return i;
            }
        }
        return -1;
    }

    // Big-endian bytes → little-endian limbs of base radix^5, four bytes per multiply-add.
    private static int BytesToRadix5Limbs(ReadOnlySpan<byte> bytes, Span<uint> limbs)
    {
        int used = 0;
        int pos = 0;
        int head = bytes.Length & 3;
        if (head != 0)
        {
            uint chunk = 0;
            for (; pos < head; pos++)
            {
                chunk = (chunk << 8) | bytes[pos];
            }
            used = MulAddRadix5(limbs, used, 1UL << (8 * head), chunk);
        }
        for (; pos < bytes.Length; pos += 4)
        {
            used = MulAddRadix5(limbs, used, 1UL << 32, BinaryPrimitives.ReadUInt32BigEndian(bytes[pos..]));
        }
        return used;
    }

    // limbs = limbs · multiplier + carry, in base radix^5. limb < 2^30 and multiplier ≤ 2^32, so the product plus a
    // carry (< 2^32 + 8) stays below 2^63. The divisor is a JIT-time constant per alphabet.
    private static int MulAddRadix5(Span<uint> limbs, int used, ulong multiplier, ulong carry)
    {
        for (int i = 0; i < used; i++)
        {
            ulong t = (limbs[i] * multiplier) + carry;
            carry = t / T.Radix5;
            limbs[i] = (uint)(t - (carry * T.Radix5));
        }
        while (carry != 0)
        {
            ulong q = carry / T.Radix5;
            limbs[used++] = (uint)(carry - (q * T.Radix5));
            carry = q;
        }
        return used;
    }

    // limbs = limbs · multiplier + addend, in base 2^32; multiplier ≤ radix^5 < 2^30, so nothing overflows 64 bits.
    private static int MulAddRadix2To32(Span<uint> limbs, int used, uint multiplier, uint addend)
    {
        ulong carry = addend;
        for (int i = 0; i < used; i++)
        {
            ulong t = ((ulong)limbs[i] * multiplier) + carry;
            limbs[i] = (uint)t;
            carry = t >> 32;
        }
        while (carry != 0)
        {
            limbs[used++] = (uint)carry;
            carry >>= 32;
        }
        return used;
    }

    private static int DigitCount(uint limb)
    {
        int n = 1;
        while (limb >= T.Radix)
        {
            limb /= T.Radix;
            n++;
        }
        return n;
    }

    private static void WriteDigits(Span<char> destination, uint limb)
    {
        for (int k = destination.Length - 1; k >= 0; k--)
        {
            uint q = limb / T.Radix;
            destination[k] = T.Alphabet[(int)(limb - (q * T.Radix))];
            limb = q;
        }
    }
}

/// <summary>Base58btc: the Bitcoin alphabet (no 0, O, I or l).</summary>
internal readonly struct Base58BtcAlphabet : IBigRadixAlphabet
{
    public static uint Radix => 58;

    public static uint Radix5 => 58 * 58 * 58 * 58 * 58; // 656,356,768 < 2^30

    public static string Alphabet => "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    public static int CharsPerByteTimes100 => 138; // log 256 / log 58 ≈ 1.3657

    public static int DigitValue(char c) => c < 128 ? Map[c] : -1;

    private static ReadOnlySpan<sbyte> Map =>
    [
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1,  0,  1,  2,  3,  4,  5,  6,  7,  8, -1, -1, -1, -1, -1, -1,
        -1,  9, 10, 11, 12, 13, 14, 15, 16, -1, 17, 18, 19, 20, 21, -1,
        22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, -1, -1, -1, -1, -1,
        -1, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, -1, 44, 45, 46,
        47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, -1, -1, -1, -1, -1,
    ];
}

/// <summary>Base36, lower case (multibase <c>k</c>: IPNS names and some CIDv1 peer ids, <c>k51…</c>).</summary>
internal readonly struct Base36LowerAlphabet : IBigRadixAlphabet
{
    public static uint Radix => 36;

    public static uint Radix5 => 36 * 36 * 36 * 36 * 36; // 60,466,176 < 2^26

    public static string Alphabet => "0123456789abcdefghijklmnopqrstuvwxyz";

    public static int CharsPerByteTimes100 => 155; // log 256 / log 36 ≈ 1.5474

    public static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'z' => c - 'a' + 10,
        _ => -1,
    };
}

/// <summary>Base36, upper case (multibase <c>K</c>).</summary>
internal readonly struct Base36UpperAlphabet : IBigRadixAlphabet
{
    public static uint Radix => 36;

    public static uint Radix5 => 36 * 36 * 36 * 36 * 36;

    public static string Alphabet => "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    public static int CharsPerByteTimes100 => 155;

    public static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'Z' => c - 'A' + 10,
        _ => -1,
    };
}
