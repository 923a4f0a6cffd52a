using System.Buffers;

namespace Mesh.Multistream;

/// <summary>
/// Multibase (https://github.com/multiformats/multibase): a one-character prefix naming the base, then the data in
/// that base. <c>z</c> base58btc, <c>k</c>/<c>K</c> base36, <c>b</c>/<c>B</c>/<c>c</c>/<c>C</c> base32, <c>f</c>/<c>F</c> base16,
/// <c>m</c>/<c>M</c>/<c>u</c>/<c>U</c> base64 (see <see cref="MultibaseEncoding"/>).
/// </summary>
/// <remarks>
/// Decoding is strict and case-exact per alphabet (<c>b</c> is lower-case base32 only), and rejects non-canonical
/// text (impossible lengths, stray trailing bits, wrong padding), so decode followed by encode with the same base
/// returns the input. Errors are <see cref="MultiformatException"/> / <see cref="MultiformatError"/>.
/// </remarks>
public static class Multibase
{
    /// <summary>True when this library can decode text that starts with <paramref name="prefix"/>.</summary>
    public static bool IsSupported(char prefix) => IsBigRadix(prefix) || GetAlphabet(prefix) is not null;

    /// <summary>The characters <paramref name="byteCount"/> bytes encode to, prefix included (an upper bound for base58btc).</summary>
    public static int GetMaxEncodedLength(MultibaseEncoding encoding, int byteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteCount);
        return 1 + encoding switch
        {
            MultibaseEncoding.Base58Btc => Base58.GetMaxEncodedLength(byteCount),
            MultibaseEncoding.Base36Lower or MultibaseEncoding.Base36Upper => BigRadixCodec<Base36LowerAlphabet>.GetMaxEncodedLength(byteCount),
            _ => RequireAlphabet(encoding).GetEncodedLength(byteCount),
        };
    }

    /// <summary>An upper bound on the bytes <paramref name="text"/> (prefix included) decodes to; 0 for an unknown prefix.</summary>
    public static int GetMaxDecodedLength(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return 0;
        }
        if (IsBigRadix(text[0]))
        {
            return text.Length - 1; // each leading zero digit is one byte
        }
        return GetAlphabet(text[0])?.GetMaxDecodedLength(text.Length - 1) ?? 0;
    }

    /// <summary>Encodes <paramref name="data"/> with the given base, prefix first.</summary>
    public static string Encode(MultibaseEncoding encoding, ReadOnlySpan<byte> data)
    {
        int max = GetMaxEncodedLength(encoding, data.Length);
        char[]? rented = null;
        Span<char> buffer = max <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(max));
        try
        {
            TryEncode(encoding, data, buffer, out int written);
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

    /// <summary>Encodes into <paramref name="destination"/>; false when it is too small (<see cref="GetMaxEncodedLength"/> suffices).</summary>
    public static bool TryEncode(MultibaseEncoding encoding, ReadOnlySpan<byte> data, Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        if (destination.IsEmpty)
        {
            RequireKnown(encoding);
            return false;
        }
        int written;
        bool ok = encoding switch
        {
            MultibaseEncoding.Base58Btc => Base58.TryEncode(data, destination[1..], out written),
            MultibaseEncoding.Base36Lower => BigRadixCodec<Base36LowerAlphabet>.TryEncode(data, destination[1..], out written),
            MultibaseEncoding.Base36Upper => BigRadixCodec<Base36UpperAlphabet>.TryEncode(data, destination[1..], out written),
            _ => RequireAlphabet(encoding).TryEncode(data, destination[1..], out written),
        };
        if (!ok)
        {
            return false;
        }
        destination[0] = (char)encoding;
        charsWritten = written + 1;
        return true;
    }

    /// <summary>Decodes multibase text, throwing <see cref="MultiformatException"/> when it is malformed.</summary>
    public static byte[] Decode(ReadOnlySpan<char> text) => Decode(text, out _);

    /// <summary>Decodes multibase text and reports which base it used; throws <see cref="MultiformatException"/> when malformed.</summary>
    public static byte[] Decode(ReadOnlySpan<char> text, out MultibaseEncoding encoding)
    {
        int max = GetMaxDecodedLength(text);
        byte[]? rented = null;
        Span<byte> buffer = max <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            OperationStatus status = TryDecode(text, buffer, out int written, out encoding, out MultiformatError error);
            if (status != OperationStatus.Done)
            {
                ThrowDecodeError(text, error);
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

    /// <summary>Decodes multibase text into <paramref name="destination"/> without allocating.</summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>; <see cref="OperationStatus.DestinationTooSmall"/>
    /// (<see cref="GetMaxDecodedLength"/> suffices); or <see cref="OperationStatus.InvalidData"/> with
    /// <paramref name="error"/> (<see cref="MultiformatError.Empty"/>, <see cref="MultiformatError.UnsupportedMultibase"/>,
    /// <see cref="MultiformatError.InvalidCharacter"/>, <see cref="MultiformatError.NonCanonicalEncoding"/>).
    /// </returns>
    public static OperationStatus TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten, out MultibaseEncoding encoding, out MultiformatError error)
    {
        bytesWritten = 0;
        encoding = default;
        if (text.IsEmpty)
        {
            error = MultiformatError.Empty;
            return OperationStatus.InvalidData;
        }
        char prefix = text[0];
        ReadOnlySpan<char> body = text[1..];
        if (IsBigRadix(prefix))
        {
            encoding = (MultibaseEncoding)prefix;
            OperationStatus status = prefix switch
            {
                'z' => Base58.TryDecode(body, destination, out bytesWritten),
                'k' => BigRadixCodec<Base36LowerAlphabet>.TryDecode(body, destination, out bytesWritten),
                _ => BigRadixCodec<Base36UpperAlphabet>.TryDecode(body, destination, out bytesWritten),
            };
            error = status == OperationStatus.InvalidData ? MultiformatError.InvalidCharacter : MultiformatError.None;
            return status;
        }
        Rfc4648Alphabet? alphabet = GetAlphabet(prefix);
        if (alphabet is null)
        {
            error = MultiformatError.UnsupportedMultibase;
            return OperationStatus.InvalidData;
        }
        encoding = (MultibaseEncoding)prefix;
        return alphabet.TryDecode(body, destination, out bytesWritten, out error);
    }

    internal static void ThrowDecodeError(ReadOnlySpan<char> text, MultiformatError error)
    {
        if (error == MultiformatError.InvalidCharacter && !text.IsEmpty)
        {
            int bad = text[0] switch
            {
                'z' => Base58.IndexOfInvalid(text[1..]),
                'k' => BigRadixCodec<Base36LowerAlphabet>.IndexOfInvalid(text[1..]),
                'K' => BigRadixCodec<Base36UpperAlphabet>.IndexOfInvalid(text[1..]),
                _ => GetAlphabet(text[0])?.IndexOfInvalid(text[1..]) ?? -1,
            };
            if (bad >= 0)
            {
                MultiformatException.ThrowInvalidCharacter($"multibase '{text[0]}'", text[bad + 1], bad + 1);
            }
        }
        if (error == MultiformatError.UnsupportedMultibase)
        {
            throw new MultiformatException(error, $"multibase: unsupported prefix '{(char.IsControl(text[0]) ? '?' : text[0])}' (U+{(int)text[0]:X4})");
        }
        MultiformatException.Throw(error == MultiformatError.None ? MultiformatError.NonCanonicalEncoding : error, "multibase");
    }

    private static Rfc4648Alphabet? GetAlphabet(char prefix) => prefix switch
    {
        'b' => Rfc4648Alphabet.Base32Lower,
        'B' => Rfc4648Alphabet.Base32Upper,
        'c' => Rfc4648Alphabet.Base32PadLower,
        'C' => Rfc4648Alphabet.Base32PadUpper,
        'f' => Rfc4648Alphabet.Base16Lower,
        'F' => Rfc4648Alphabet.Base16Upper,
        'm' => Rfc4648Alphabet.Base64,
        'M' => Rfc4648Alphabet.Base64Pad,
        'u' => Rfc4648Alphabet.Base64Url,
        'U' => Rfc4648Alphabet.Base64UrlPad,
        _ => null,
    };

    private static Rfc4648Alphabet RequireAlphabet(MultibaseEncoding encoding) =>
        GetAlphabet((char)encoding) ?? throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown multibase encoding");

    private static void RequireKnown(MultibaseEncoding encoding)
    {
        if (!IsBigRadix((char)encoding))
        {
            RequireAlphabet(encoding);
        }
    }

    private static bool IsBigRadix(char prefix) => prefix is 'z' or 'k' or 'K';
}
