using System.Buffers;

namespace Mesh.Multistream;

/// <summary>
/// Base58btc (the Bitcoin alphabet, https://datatracker.ietf.org/doc/html/draft-msporny-base58): the text form of
/// peer ids (<c>12D3KooW…</c>, <c>Qm…</c>) and multibase <c>z</c>. The input is read as one big-endian number written
/// in base 58; every leading zero byte becomes a leading <c>'1'</c> and back.
/// </summary>
/// <remarks>
/// The conversion works on 32-bit limbs instead of one digit at a time (see <c>BigRadixCodec</c>), roughly 20x less
/// work than the textbook byte-by-digit loop. Scratch space is on the stack for peer-id sized values and pooled above
/// that. Both directions are still quadratic in the length, so callers decoding untrusted text should bound its
/// length first (the multiaddr and CID parsers do).
/// </remarks>
public static class Base58
{
    /// <summary>The base58btc alphabet: no 0, O, I or l.</summary>
    public const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    /// <summary>An upper bound on the characters <paramref name="byteCount"/> bytes encode to (log 256 / log 58 ≈ 1.366).</summary>
    public static int GetMaxEncodedLength(int byteCount) => BigRadixCodec<Base58BtcAlphabet>.GetMaxEncodedLength(byteCount);

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
    public static bool TryEncode(ReadOnlySpan<byte> data, Span<char> destination, out int charsWritten) =>
        BigRadixCodec<Base58BtcAlphabet>.TryEncode(data, destination, out charsWritten);

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
    public static OperationStatus TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten) =>
        BigRadixCodec<Base58BtcAlphabet>.TryDecode(text, destination, out bytesWritten);

    /// <summary>True when every character of <paramref name="text"/> is in the base58btc alphabet.</summary>
    public static bool IsValid(ReadOnlySpan<char> text) => IndexOfInvalid(text) < 0;

    internal static int IndexOfInvalid(ReadOnlySpan<char> text) => BigRadixCodec<Base58BtcAlphabet>.IndexOfInvalid(text);

    internal static void ThrowInvalid(ReadOnlySpan<char> text)
    {
        int bad = IndexOfInvalid(text);
        if (bad >= 0)
        {
            MultiformatException.ThrowInvalidCharacter("base58btc", text[bad], bad);
        }
        MultiformatException.Throw(MultiformatError.NonCanonicalEncoding, "base58btc");
    }
}
