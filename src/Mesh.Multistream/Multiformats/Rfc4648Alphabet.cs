using System.Buffers;

namespace Mesh.Multistream;

/// <summary>
/// One RFC 4648 power-of-two alphabet (base16, base32, base64 and their variants): a bit-stream codec with an
/// optional '=' padding to a whole block. Decoding is strict so that every byte string has exactly one text form:
/// characters outside the alphabet, impossible lengths, non-zero trailing bits and padding in the wrong place or
/// amount are all rejected (RFC 4648 section 3.5 "canonical encoding").
/// </summary>
internal sealed class Rfc4648Alphabet
{
    public static readonly Rfc4648Alphabet Base16Lower = new("0123456789abcdef", 4, padded: false);
    public static readonly Rfc4648Alphabet Base16Upper = new("0123456789ABCDEF", 4, padded: false);
    public static readonly Rfc4648Alphabet Base32Lower = new("abcdefghijklmnopqrstuvwxyz234567", 5, padded: false);
    public static readonly Rfc4648Alphabet Base32Upper = new("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 5, padded: false);
    public static readonly Rfc4648Alphabet Base32PadLower = new("abcdefghijklmnopqrstuvwxyz234567", 5, padded: true);
    public static readonly Rfc4648Alphabet Base32PadUpper = new("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 5, padded: true);
    public static readonly Rfc4648Alphabet Base64 = new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 6, padded: false);
    public static readonly Rfc4648Alphabet Base64Pad = new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 6, padded: true);
    public static readonly Rfc4648Alphabet Base64Url = new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 6, padded: false);
    public static readonly Rfc4648Alphabet Base64UrlPad = new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 6, padded: true);

    private readonly string _alphabet;
    private readonly sbyte[] _decodeMap;
    private readonly int _bitsPerChar;
    private readonly bool _padded;
    private readonly int _blockChars; // characters per padded block: 8 for base32, 4 for base64

    private Rfc4648Alphabet(string alphabet, int bitsPerChar, bool padded)
    {
        _alphabet = alphabet;
        _bitsPerChar = bitsPerChar;
        _padded = padded;
        _blockChars = bitsPerChar switch { 5 => 8, 6 => 4, _ => 2 };
        _decodeMap = new sbyte[128];
        _decodeMap.AsSpan().Fill(-1);
        for (int i = 0; i < alphabet.Length; i++)
        {
            _decodeMap[alphabet[i]] = (sbyte)i;
        }
    }

    public int GetEncodedLength(int byteCount)
    {
        long chars = (((long)byteCount * 8) + _bitsPerChar - 1) / _bitsPerChar;
        if (_padded)
        {
            chars = (chars + _blockChars - 1) / _blockChars * _blockChars;
        }
        return chars > Array.MaxLength ? throw new ArgumentOutOfRangeException(nameof(byteCount)) : (int)chars;
    }

    /// <summary>An upper bound on the decoded size of <paramref name="charCount"/> characters.</summary>
    public int GetMaxDecodedLength(int charCount) => (int)((long)charCount * _bitsPerChar / 8);

    public bool TryEncode(ReadOnlySpan<byte> data, Span<char> destination, out int charsWritten)
    {
        int length = GetEncodedLength(data.Length);
        if (destination.Length < length)
        {
            charsWritten = 0;
            return false;
        }
        int mask = (1 << _bitsPerChar) - 1;
        uint buffer = 0;
        int bits = 0;
        int pos = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= _bitsPerChar)
            {
                bits -= _bitsPerChar;
                destination[pos++] = _alphabet[(int)(buffer >> bits) & mask];
            }
        }
        if (bits > 0)
        {
            destination[pos++] = _alphabet[(int)(buffer << (_bitsPerChar - bits)) & mask];
        }
        destination[pos..length].Fill('=');
        charsWritten = length;
        return true;
    }

    public OperationStatus TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten, out MultiformatError error)
    {
        bytesWritten = 0;
        error = MultiformatError.None;
        int dataChars = text.Length;
        if (_padded)
        {
            while (dataChars > 0 && text[dataChars - 1] == '=')
            {
                dataChars--;
            }
        }
        // Alphabet first, so that a stray character is reported as such rather than as a length problem.
        if (IndexOfInvalid(text[..dataChars]) >= 0)
        {
            error = MultiformatError.InvalidCharacter;
            return OperationStatus.InvalidData;
        }
        // The padding must be exactly what the encoder would have written for this many data characters.
        if (_padded && GetEncodedLength(GetMaxDecodedLength(dataChars)) != text.Length)
        {
            error = MultiformatError.NonCanonicalEncoding;
            return OperationStatus.InvalidData;
        }
        // A final character must contribute at least one bit to a byte: otherwise the length is impossible.
        int leftoverBits = (int)((long)dataChars * _bitsPerChar % 8);
        if (leftoverBits >= _bitsPerChar)
        {
            error = MultiformatError.NonCanonicalEncoding;
            return OperationStatus.InvalidData;
        }
        int length = GetMaxDecodedLength(dataChars);
        if (destination.Length < length)
        {
            return OperationStatus.DestinationTooSmall;
        }
        uint buffer = 0;
        int bits = 0;
        int pos = 0;
        for (int i = 0; i < dataChars; i++)
        {
            buffer = (buffer << _bitsPerChar) | (byte)_decodeMap[text[i]];
            bits += _bitsPerChar;
            if (bits >= 8)
            {
                bits -= 8;
                destination[pos++] = (byte)(buffer >> bits);
            }
        }
        if ((buffer & ((1u << bits) - 1)) != 0)
        {
            // Non-zero bits after the last whole byte: a second spelling of the same bytes.
            error = MultiformatError.NonCanonicalEncoding;
            return OperationStatus.InvalidData;
        }
        bytesWritten = pos;
        return OperationStatus.Done;
    }

    /// <summary>Index of the first character outside the alphabet (trailing padding of a padded variant excluded), or -1.</summary>
    public int IndexOfInvalid(ReadOnlySpan<char> text)
    {
        int end = text.Length;
        if (_padded)
        {
            while (end > 0 && text[end - 1] == '=')
            {
                end--;
            }
        }
        for (int i = 0; i < end; i++)
        {
            char c = text[i];
            if (c >= 128 || _decodeMap[c] < 0)
            {
                return i;
            }
        }
        return -1;
    }
}
