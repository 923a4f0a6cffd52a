using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Multistream;

/// <summary>
/// Allocation-free IP address text for multiaddrs. IPv4 is a strict dotted quad (no leading zeros, no shorthand
/// like <c>127.1</c> or hex parts that <see cref="IPAddress.TryParse(string?, out IPAddress?)"/> accepts). IPv6 is
/// printed in RFC 5952 canonical form (lower case, longest zero run compressed, <c>::ffff:a.b.c.d</c> for
/// IPv4-mapped) and parsed by the BCL after a character check that keeps out scope ids, brackets and ports.
/// </summary>
internal static class IPAddressText
{
    public const int MaxIPv4Length = 15;
    public const int MaxIPv6Length = 45;

    public static bool TryFormatIPv4(ReadOnlySpan<byte> address, Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        int pos = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                if (pos >= destination.Length)
                {
                    return false;
                }
                destination[pos++] = '.';
            }
            if (!address[i].TryFormat(destination[pos..], out int n, default, System.Globalization.CultureInfo.InvariantCulture))
            {
                return false;
            }
            pos += n;
        }
        charsWritten = pos;
        return true;
    }

    public static bool TryParseIPv4(ReadOnlySpan<char> text, Span<byte> destination)
    {
        int part = 0;
        int pos = 0;
        while (true)
        {
            int start = pos;
            int value = 0;
            while (pos < text.Length && char.IsAsciiDigit(text[pos]) && pos - start < 3)
            {
                value = (value * 10) + (text[pos] - '0');
                pos++;
            }
            int digits = pos - start;
            if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0'))
            {
                return false;
            }
            destination[part++] = (byte)value;
            if (part == 4)
            {
                return pos == text.Length;
            }
            if (pos >= text.Length || text[pos] != '.')
            {
                return false;
            }
            pos++;
        }
    }

    public static bool TryFormatIPv6(ReadOnlySpan<byte> address, Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        Span<ushort> groups = stackalloc ushort[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = BinaryPrimitives.ReadUInt16BigEndian(address[(2 * i)..]);
        }
        int pos = 0;
        bool mapped = groups[..5].IndexOfAnyExcept((ushort)0) < 0 && groups[5] == 0xFFFF;
        if (mapped)
        {
            // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad.
            if (!"::ffff:".TryCopyTo(destination))
            {
                return false;
            }
            pos = 7;
            if (!TryFormatIPv4(address[12..], destination[pos..], out int n))
            {
                return false;
            }
            charsWritten = pos + n;
            return true;
        }

        // Longest run of two or more zero groups (first one on ties) becomes "::" (RFC 5952 section 4.2).
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }
            if (j - i > bestLength)
            {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                if (destination.Length - pos < 2)
                {
                    return false;
                }
                destination[pos++] = ':';
                destination[pos++] = ':';
                i += bestLength - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLength)
            {
                if (pos >= destination.Length)
                {
                    return false;
                }
                destination[pos++] = ':';
            }
            if (!groups[i].TryFormat(destination[pos..], out int n, "x", System.Globalization.CultureInfo.InvariantCulture))
            {
                return false;
            }
            pos += n;
        }
        charsWritten = pos;
        return true;
    }

    public static bool TryParseIPv6(ReadOnlySpan<char> text, Span<byte> destination)
    {
        if (text.IsEmpty || text.Length > MaxIPv6Length || text.ContainsAnyExcept("0123456789abcdefABCDEF:.") || !text.Contains(':'))
        {
            return false;
        }
        if (!IPAddress.TryParse(text, out IPAddress? address) || address.AddressFamily != AddressFamily.InterNetworkV6 || address.ScopeId != 0)
        {
            return false;
        }
        return address.TryWriteBytes(destination, out int written) && written == 16;
    }
}
