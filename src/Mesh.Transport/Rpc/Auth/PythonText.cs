using System.Buffers;
using System.Globalization;

namespace Mesh.Transport.Rpc.Auth;

/// <summary>
/// The Python text forms the mesh access token is made of: <c>repr(bytes)</c> (the token's public key is formatted
/// into the signed text as a bytes object, <c>b'ssh-ed25519 AAAA…'</c>) and <c>str(datetime)</c> of an aware UTC
/// datetime (the token's <c>expiration_time</c>).
/// </summary>
internal static class PythonText
{
    /// <summary>The longest <see cref="WriteBytesRepr"/> output for <paramref name="length"/> input bytes (every byte as <c>\xhh</c>).</summary>
    public static int MaxBytesReprLength(int length) => 3 + (4 * length);

    /// <summary>
    /// CPython's <c>bytes.__repr__</c> (Objects/bytesobject.c, <c>PyBytes_Repr</c> with smart quotes): <c>b'…'</c>,
    /// double quotes when the bytes contain <c>'</c> but no <c>"</c>; backslash and the quote escaped; tab, newline and
    /// carriage return as <c>\t \n \r</c>; other bytes below 0x20 or from 0x7f as lowercase <c>\xhh</c>.
    /// </summary>
    public static int WriteBytesRepr(ReadOnlySpan<byte> value, Span<byte> destination)
    {
        byte quote = value.Contains((byte)'\'') && !value.Contains((byte)'"') ? (byte)'"' : (byte)'\'';
        int pos = 0;
        destination[pos++] = (byte)'b';
        destination[pos++] = quote;
        foreach (byte c in value)
        {
            if (c == quote || c == '\\')
            {
                destination[pos++] = (byte)'\\';
                destination[pos++] = c;
            }
            else if (c == '\t')
            {
                destination[pos++] = (byte)'\\';
                destination[pos++] = (byte)'t';
            }
            else if (c == '\n')
            {
                destination[pos++] = (byte)'\\';
                destination[pos++] = (byte)'n';
            }
            else if (c == '\r')
            {
                destination[pos++] = (byte)'\\';
                destination[pos++] = (byte)'r';
            }
            else if (c < 0x20 || c >= 0x7F)
            {
                destination[pos++] = (byte)'\\';
                destination[pos++] = (byte)'x';
                destination[pos++] = (byte)"0123456789abcdef"[c >> 4];
                destination[pos++] = (byte)"0123456789abcdef"[c & 0xF];
            }
            else
            {
                destination[pos++] = c;
            }
        }
        destination[pos++] = quote;
        return pos;
    }

    /// <summary>
    /// <c>str(dt)</c> for an aware UTC datetime: <c>YYYY-MM-DD HH:MM:SS[.ffffff]+00:00</c>, the fraction only when the
    /// microseconds are not zero. Python datetimes hold microseconds; finer ticks are truncated.
    /// </summary>
    public static string FormatUtcDateTime(DateTimeOffset value)
    {
        DateTime utc = value.UtcDateTime;
        long microseconds = utc.Ticks % TimeSpan.TicksPerSecond / 10;
        string seconds = utc.ToString("yyyy'-'MM'-'dd' 'HH':'mm':'ss", CultureInfo.InvariantCulture);
        return microseconds == 0
            ? seconds + "+00:00"
            : seconds + "." + microseconds.ToString("D6", CultureInfo.InvariantCulture) + "+00:00";
    }

    /// <summary>
    /// Reads what <c>str(datetime)</c> produces: <c>YYYY-MM-DD HH:MM:SS</c>, an optional fraction of 1 to 6 digits, and
    /// an optional UTC offset <c>±HH:MM</c> (with optional <c>:SS</c>); no offset means UTC. <c>T</c> is accepted as the
    /// separator too (<c>isoformat()</c>).
    /// </summary>
    public static bool TryParseDateTime(ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length < 19 || text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':')
        {
            return false;
        }
        if (!TryDigits(text[..4], out int year) || !TryDigits(text.Slice(5, 2), out int month) || !TryDigits(text.Slice(8, 2), out int day)
            || !TryDigits(text.Slice(11, 2), out int hour) || !TryDigits(text.Slice(14, 2), out int minute) || !TryDigits(text.Slice(17, 2), out int second))
        {
            return false;
        }
        int pos = 19;
        long fractionTicks = 0;
        if (pos < text.Length && text[pos] == '.')
        {
            int start = ++pos;
            while (pos < text.Length && char.IsAsciiDigit(text[pos]))
            {
                pos++;
            }
            int digits = pos - start;
            if (digits is < 1 or > 6 || !TryDigits(text[start..pos], out int fraction))
            {
                return false;
            }
            fractionTicks = fraction * (long)Math.Pow(10, 7 - digits);
        }
        TimeSpan offset = TimeSpan.Zero;
        if (pos < text.Length)
        {
            if (text[pos] == 'Z' && pos + 1 == text.Length)
            {
                pos++;
            }
            else
            {
                int sign = text[pos] == '+' ? 1 : text[pos] == '-' ? -1 : 0;
                ReadOnlySpan<char> rest = text[(pos + 1)..];
                if (sign == 0 || rest.Length is not (5 or 8) || rest[2] != ':' || !TryDigits(rest[..2], out int offsetHours) || !TryDigits(rest.Slice(3, 2), out int offsetMinutes))
                {
                    return false;
                }
                int offsetSeconds = 0;
                if (rest.Length == 8 && (rest[5] != ':' || !TryDigits(rest.Slice(6, 2), out offsetSeconds)))
                {
                    return false;
                }
                if (offsetHours > 23 || offsetMinutes > 59 || offsetSeconds > 59)
                {
                    return false;
                }
                offset = sign * new TimeSpan(offsetHours, offsetMinutes, offsetSeconds);
                pos = text.Length;
            }
        }
        if (pos != text.Length || month is < 1 or > 12 || day < 1 || year < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        try
        {
            var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
            // DateTimeOffset accepts whole-minute offsets only; apply the seconds part by hand.
            TimeSpan wholeMinutes = new(offset.Hours, offset.Minutes, 0);
            value = new DateTimeOffset(local - (offset - wholeMinutes), wholeMinutes).ToUniversalTime();
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static bool TryDigits(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        foreach (char c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        return true;
    }
}
