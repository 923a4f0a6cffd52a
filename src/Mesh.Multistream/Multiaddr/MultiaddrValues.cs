using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Unicode;

namespace Mesh.Multistream;

/// <summary>
/// Per-kind value codecs: binary validation (allocation-free), binary → text and text → binary. Every text form
/// printed here parses back to the same bytes, which the <c>multiaddr-binary</c> fuzz target checks differentially.
/// </summary>
internal static class MultiaddrValues
{
    public const int MaxDnsNameLength = 255;

    // -------- binary validation --------

    public static MultiaddrError Validate(MultiaddrValueKind kind, ReadOnlySpan<byte> value) => kind switch
    {
        // Fixed sizes were checked by the reader when it sliced the value.
        MultiaddrValueKind.PeerId => Multihash.IsValid(value) ? MultiaddrError.None : MultiaddrError.InvalidPeerId,
        MultiaddrValueKind.CertHash => Multihash.IsValid(value) ? MultiaddrError.None : MultiaddrError.InvalidCertHash,
        MultiaddrValueKind.DnsName => IsValidName(value, MaxDnsNameLength) ? MultiaddrError.None : MultiaddrError.InvalidDnsName,
        MultiaddrValueKind.Text => IsValidName(value, Multiaddr.MaxValueLength) ? MultiaddrError.None : MultiaddrError.InvalidValue,
        MultiaddrValueKind.Path => value.IsEmpty ? MultiaddrError.InvalidValue : MultiaddrError.None,
        _ => MultiaddrError.None,
    };

    // Names travel as one text segment, so they must be non-empty UTF-8 without '/' (the separator) or controls.
    private static bool IsValidName(ReadOnlySpan<byte> value, int maxLength) =>
        !value.IsEmpty && value.Length <= maxLength && Utf8.IsValid(value) && value.IndexOfAnyInRange((byte)0, (byte)0x1F) < 0 && !value.Contains((byte)'/') && !value.Contains((byte)0x7F);

    // -------- binary → text --------

    /// <summary>An upper bound on the characters a value formats to.</summary>
    public static int GetMaxFormattedLength(MultiaddrValueKind kind, int valueLength) => kind switch
    {
        MultiaddrValueKind.None => 0,
        MultiaddrValueKind.Ip4 => IPAddressText.MaxIPv4Length,
        MultiaddrValueKind.Ip6 => IPAddressText.MaxIPv6Length,
        MultiaddrValueKind.Port => 5,
        MultiaddrValueKind.Byte => 3,
        // base58 (≈1.37 per byte) or, for multihashes whose base58 form is ambiguous, a base32 CID (1.6 per byte + 8).
        MultiaddrValueKind.PeerId => Math.Max(Base58.GetMaxEncodedLength(valueLength), Multibase.GetMaxEncodedLength(MultibaseEncoding.Base32Lower, valueLength + 4)),
        MultiaddrValueKind.CertHash => Multibase.GetMaxEncodedLength(MultibaseEncoding.Base64Url, valueLength),
        MultiaddrValueKind.DnsName or MultiaddrValueKind.Text => valueLength, // UTF-8 → UTF-16 never grows
        MultiaddrValueKind.Path => valueLength * 3,                          // worst case %XX per byte
        _ => 0,
    };

    public static bool TryFormat(MultiaddrValueKind kind, ReadOnlySpan<byte> value, Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        switch (kind)
        {
            case MultiaddrValueKind.Ip4:
                return IPAddressText.TryFormatIPv4(value, destination, out charsWritten);
            case MultiaddrValueKind.Ip6:
                return IPAddressText.TryFormatIPv6(value, destination, out charsWritten);
            case MultiaddrValueKind.Port:
                return BinaryPrimitives.ReadUInt16BigEndian(value).TryFormat(destination, out charsWritten, default, CultureInfo.InvariantCulture);
            case MultiaddrValueKind.Byte:
                return value[0].TryFormat(destination, out charsWritten, default, CultureInfo.InvariantCulture);
            case MultiaddrValueKind.PeerId:
                return TryFormatPeerId(value, destination, out charsWritten);
            case MultiaddrValueKind.CertHash:
                return Multibase.TryEncode(MultibaseEncoding.Base64Url, value, destination, out charsWritten);
            case MultiaddrValueKind.DnsName:
            case MultiaddrValueKind.Text:
                return Utf8.ToUtf16(value, destination, out _, out charsWritten, replaceInvalidSequences: false) == OperationStatus.Done;
            case MultiaddrValueKind.Path:
                return TryPercentEncode(value, destination, out charsWritten);
            default:
                return true;
        }
    }

    // go-libp2p's rule (peer.Decode): text starting with "Qm" or "1" is a base58btc multihash, anything else a CID.
    // Peer ids (identity → "1…", sha2-256 → "Qm…") print as base58; any other multihash whose base58 form would be
    // read back as a CID prints as a libp2p-key CID instead, so that binary → text → binary is always exact.
    private static bool TryFormatPeerId(ReadOnlySpan<byte> multihash, Span<char> destination, out int charsWritten)
    {
        if (!Base58.TryEncode(multihash, destination, out charsWritten))
        {
            return false;
        }
        ReadOnlySpan<char> text = destination[..charsWritten];
        if (text.StartsWith('1') || text.StartsWith("Qm"))
        {
            return true;
        }
        Span<byte> cid = stackalloc byte[Multiaddr.MaxValueLength + 4];
        cid[0] = 1;
        cid[1] = (byte)Cid.Libp2pKeyCodec;
        multihash.CopyTo(cid[2..]);
        return Multibase.TryEncode(MultibaseEncoding.Base32Lower, cid[..(multihash.Length + 2)], destination, out charsWritten);
    }

    // RFC 3986 segment-nz: unreserved, sub-delims, ':' and '@' stay literal; every other byte becomes %XX.
    private static bool TryPercentEncode(ReadOnlySpan<byte> value, Span<char> destination, out int charsWritten)
    {
        int pos = 0;
        foreach (byte b in value)
        {
            if (IsSegmentChar(b))
            {
                if (pos >= destination.Length)
                {
                    charsWritten = 0;
                    return false;
                }
                destination[pos++] = (char)b;
            }
            else
            {
                if (destination.Length - pos < 3)
                {
                    charsWritten = 0;
                    return false;
                }
                destination[pos++] = '%';
                destination[pos++] = "0123456789ABCDEF"[b >> 4];
                destination[pos++] = "0123456789ABCDEF"[b & 0xF];
            }
        }
        charsWritten = pos;
        return true;
    }

    private static bool IsSegmentChar(byte b) =>
        char.IsAsciiLetterOrDigit((char)b) || "-._~!$&'()*+,;=:@".Contains((char)b);

    // -------- text → binary --------

    /// <summary>
    /// Parses a value's text into <paramref name="destination"/> (at least <see cref="Multiaddr.MaxValueLength"/>
    /// bytes). Returns <see cref="MultiaddrError.None"/> on success.
    /// </summary>
    public static MultiaddrError TryParse(MultiaddrValueKind kind, ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        switch (kind)
        {
            case MultiaddrValueKind.Ip4:
                bytesWritten = 4;
                return IPAddressText.TryParseIPv4(text, destination) ? MultiaddrError.None : MultiaddrError.InvalidIPAddress;
            case MultiaddrValueKind.Ip6:
                bytesWritten = 16;
                return IPAddressText.TryParseIPv6(text, destination) ? MultiaddrError.None : MultiaddrError.InvalidIPAddress;
            case MultiaddrValueKind.Port:
                if (!TryParseDecimal(text, ushort.MaxValue, out int port))
                {
                    return MultiaddrError.InvalidPort;
                }
                BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)port);
                bytesWritten = 2;
                return MultiaddrError.None;
            case MultiaddrValueKind.Byte:
                if (!TryParseDecimal(text, byte.MaxValue, out int number))
                {
                    return MultiaddrError.InvalidValue;
                }
                destination[0] = (byte)number;
                bytesWritten = 1;
                return MultiaddrError.None;
            case MultiaddrValueKind.PeerId:
                return TryParsePeerId(text, destination, out bytesWritten);
            case MultiaddrValueKind.CertHash:
                return TryParseCertHash(text, destination, out bytesWritten);
            case MultiaddrValueKind.DnsName:
            case MultiaddrValueKind.Text:
                MultiaddrError nameError = kind == MultiaddrValueKind.DnsName ? MultiaddrError.InvalidDnsName : MultiaddrError.InvalidValue;
                if (Utf8.FromUtf16(text, destination, out _, out bytesWritten, replaceInvalidSequences: false) != OperationStatus.Done)
                {
                    // Lone surrogates (InvalidData) or a name too long for the buffer (DestinationTooSmall).
                    return nameError;
                }
                return Validate(kind, destination[..bytesWritten]) == MultiaddrError.None ? MultiaddrError.None : nameError;
            case MultiaddrValueKind.Path:
                return TryPercentDecode(text, destination, out bytesWritten);
            default:
                return MultiaddrError.None;
        }
    }

    // Canonical decimal only: digits, no sign, no leading zeros (so that every port has one text form).
    private static bool TryParseDecimal(ReadOnlySpan<char> text, int max, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 5 || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        return value <= max;
    }

    private static MultiaddrError TryParsePeerId(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (text.StartsWith('1') || text.StartsWith("Qm"))
        {
            if (text.Length > Base58.GetMaxEncodedLength(Multiaddr.MaxValueLength)
                || Base58.TryDecode(text, destination[..Multiaddr.MaxValueLength], out bytesWritten) != OperationStatus.Done)
            {
                return MultiaddrError.InvalidPeerId;
            }
        }
        else
        {
            if (!Cid.TryParse(text, out Cid cid, out _) || cid.Version != 1 || cid.Codec != Cid.Libp2pKeyCodec
                || !cid.Multihash.Span.TryCopyTo(destination[..Multiaddr.MaxValueLength]))
            {
                return MultiaddrError.InvalidPeerId;
            }
            bytesWritten = cid.Multihash.Length;
        }
        return Multihash.IsValid(destination[..bytesWritten]) ? MultiaddrError.None : MultiaddrError.InvalidPeerId;
    }

    private static MultiaddrError TryParseCertHash(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (text.Length > Cid.MaxTextLength * 2
            || Multibase.TryDecode(text, destination[..Multiaddr.MaxValueLength], out bytesWritten, out _, out _) != OperationStatus.Done)
        {
            return MultiaddrError.InvalidCertHash;
        }
        return Multihash.IsValid(destination[..bytesWritten]) ? MultiaddrError.None : MultiaddrError.InvalidCertHash;
    }

    private static MultiaddrError TryPercentDecode(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        int pos = 0;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length)
                {
                    return MultiaddrError.InvalidValue;
                }
                int hi = HexValue(text[i + 1]);
                int lo = HexValue(text[i + 2]);
                if (hi < 0 || lo < 0)
                {
                    return MultiaddrError.InvalidValue;
                }
                if (pos >= destination.Length)
                {
                    return MultiaddrError.ValueTooLong;
                }
                destination[pos++] = (byte)((hi << 4) | lo);
                i += 3;
                continue;
            }
            // A literal run up to the next '%', UTF-8 encoded (lone surrogates rejected).
            int end = text[i..].IndexOf('%');
            end = end < 0 ? text.Length : i + end;
            OperationStatus status = Utf8.FromUtf16(text[i..end], destination[pos..], out _, out int n, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                return status == OperationStatus.DestinationTooSmall ? MultiaddrError.ValueTooLong : MultiaddrError.InvalidValue;
            }
            pos += n;
            i = end;
        }
        bytesWritten = pos;
        return pos == 0 ? MultiaddrError.InvalidValue : MultiaddrError.None;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
