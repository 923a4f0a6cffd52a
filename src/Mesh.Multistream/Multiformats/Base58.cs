using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace Mesh.Multistream;

/// <summary>
/// Base58btc (the Bitcoin alphabet, https://datatracker.ietf.org/doc/html/draft-msporny-base58): the text form of
/// peer ids (<c>12D3KooW…</c>, <c>Qm…</c>) and multibase <c>z</c>. The input is read as one big-endian number written
/// in base 58; every leading zero byte becomes a leading <c>'1'</c> and back.
/// </summary>
/// <remarks>
/// The conversion works on 32-bit limbs instead of one digit at a time: encoding accumulates four input bytes per
/// step into limbs of base 58^5, decoding five characters per step into limbs of base 2^32. That cuts the quadratic
/// work by roughly 20x versus the textbook byte-by-digit loop. Scratch space is on the stack for peer-id sized values
/// and pooled above that. Both directions are still quadratic in the length, so callers decoding untrusted text
/// should bound its length first (the multiaddr and CID parsers do).
/// </remarks>
public static class Base58
{
    /// <summary>The base58btc alphabet: no 0, O, I or l.</summary>
    public const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    private const uint Radix5 = 58 * 58 * 58 * 58 * 58; // 656,356,768 < 2^30
    private const int StackLimbs = 64;

    // ASCII → digit value, -1 for characters outside the alphabet.
    private static ReadOnlySpan<sbyte> DecodeMap =>
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

    /// <summary>An upper bound on the characters <paramref name="byteCount"/> bytes encode to (log 256 / log 58 ≈ 1.366).</summary>
    public static int GetMaxEncodedLength(int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        long max = ((long)byteCount * 138 / 100) + 1;
        return max > Array.MaxLength ? throw new ArgumentOutOfRangeException(nameof(byteCount)) : (int)max;
    }

    /// <summary>
    /// An upper bound on the bytes <paramref name="charCount"/> characters decode to. It equals the character count
    /// because each leading <c>'1'</c> decodes to one zero byte; callers wanting a tight buffer decode first into
    /// this bound.
    /// </summary>
    public static int GetMaxDecodedLength(int charCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(charCount);
        return charCount;
    }

    /// <summary>Encodes <paramref name="data"/> as base58btc.</summary>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return string.Empty;
        }
        int max = GetMaxEncodedLength(data.Length);
        char[]? rented = null;
        Span<char> buffer = max <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(max));
        try
        {
            TryEncode(data, buffer, out int written);
            return new string(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Encodes <paramref name="data"/> into <paramref name="destination"/>; returns false (and writes nothing
    /// meaningful) when the destination is too small. <see cref="GetMaxEncodedLength"/> always suffices.
    /// </summary>
    public static bool TryEncode(ReadOnlySpan<byte> data, Span<char> destination, out int charsWritten)
    {
        int zeros = data.IndexOfAnyExcept((byte)0);
        if (zeros < 0)
        {
            zeros = data.Length;
        }
        ReadOnlySpan<byte> rest = data[zeros..];

        // 8n bits in limbs of log2(58^5) ≈ 29.3 bits: n/3 + 1 limbs are always enough.
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
            destination[..zeros].Fill('1');
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

    /// <summary>Decodes base58btc text, throwing <see cref="MultiformatException"/> on a character outside the alphabet.</summary>
    public static byte[] Decode(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return [];
        }
        byte[]? rented = null;
        Span<byte> buffer = text.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(text.Length));
        try
        {
            OperationStatus status = TryDecode(text, buffer, out int written);
            if (status != OperationStatus.Done)
            {
                ThrowInvalid(text);
            }
            return buffer[..written].ToArray();
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Decodes base58btc text into <paramref name="destination"/>.</summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>; <see cref="OperationStatus.DestinationTooSmall"/> (nothing meaningful
    /// written; <see cref="GetMaxDecodedLength"/> always suffices); or <see cref="OperationStatus.InvalidData"/> for a
    /// character outside the alphabet.
    /// </returns>
    public static OperationStatus TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        int zeros = text.IndexOfAnyExcept('1');
        if (zeros < 0)
        {
            zeros = text.Length;
        }
        ReadOnlySpan<char> rest = text[zeros..];

        // n characters carry n·log2(58) ≈ 5.86n bits: n/5 + 2 limbs of 32 bits are always enough.
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
                    int d = DigitValue(rest[pos]);
                    if (d < 0)
                    {
                        return OperationStatus.InvalidData;
                    }
                    value = (value * 58) + (uint)d;
                    multiplier *= 58;
                }
                used = MulAddRadix2To32(limbs, used, multiplier, value);
            }
            for (; pos < rest.Length; pos += 5)
            {
                uint value = 0;
                for (int k = 0; k < 5; k++)
                {
                    int d = DigitValue(rest[pos + k]);
                    if (d < 0)
                    {
                        return OperationStatus.InvalidData;
                    }
                    value = (value * 58) + (uint)d;
                }
                used = MulAddRadix2To32(limbs, used, Radix5, value);
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

    /// <summary>True when every character of <paramref name="text"/> is in the base58btc alphabet.</summary>
    public static bool IsValid(ReadOnlySpan<char> text) => IndexOfInvalid(text) < 0;

    internal static int IndexOfInvalid(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (DigitValue(text[i]) < 0)
            {
                return i;
            }
        }
        return -1;
    }

    internal static void ThrowInvalid(ReadOnlySpan<char> text)
    {
        int bad = IndexOfInvalid(text);
        if (bad >= 0)
        {
            MultiformatException.ThrowInvalidCharacter("base58btc", text[bad], bad);
        }
        MultiformatException.Throw(MultiformatError.NonCanonicalEncoding, "base58btc");
    }

    private static int DigitValue(char c) => c < 128 ? DecodeMap[c] : -1;

    // Big-endian bytes → little-endian limbs of base 58^5, four bytes per multiply-add.
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

    // limbs = limbs · multiplier + addend, in base 58^5. limb < 2^29.3 and multiplier ≤ 2^32, so the product plus a
    // carry (< 2^32 + 8) stays below 2^62. The divisor is a constant, which the JIT turns into a multiply.
    private static int MulAddRadix5(Span<uint> limbs, int used, ulong multiplier, ulong carry)
    {
        for (int i = 0; i < used; i++)
        {
            ulong t = (limbs[i] * multiplier) + carry;
            carry = t / Radix5;
            limbs[i] = (uint)(t - (carry * Radix5));
        }
        while (carry != 0)
        {
            ulong q = carry / Radix5;
            limbs[used++] = (uint)(carry - (q * Radix5));
            carry = q;
        }
        return used;
    }

    // limbs = limbs · multiplier + addend, in base 2^32; multiplier ≤ 58^5 < 2^30, so nothing overflows 64 bits.
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
        while (limb >= 58)
        {
            limb /= 58;
            n++;
        }
        return n;
    }

    private static void WriteDigits(Span<char> destination, uint limb)
    {
        for (int k = destination.Length - 1; k >= 0; k--)
        {
            uint q = limb / 58;
            destination[k] = Alphabet[(int)(limb - (q * 58))];
            limb = q;
        }
    }
}
