using System.Globalization;

namespace Mesh.Kademlia.Libp2p.Records;

/// <summary>
/// RFC 3339 timestamps as the libp2p DHT carries them: <c>Record.timeReceived</c> and IPNS <c>Validity</c>
/// (go writes nanoseconds, <c>2006-01-02T15:04:05.999999999Z07:00</c>; js milliseconds). .NET parses at most 7
/// fractional digits, so longer fractions are truncated to 100 ns before parsing.
/// </summary>
public static class Rfc3339
{
    private const int MaxLength = 64;

    public static bool TryParse(ReadOnlySpan<char> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length is < 20 or > MaxLength)
        {
            return false;
        }
        Span<char> buffer = stackalloc char[MaxLength];
        int n = 0;
        int dot = text.IndexOf('.');
        if (dot >= 0)
        {
            int end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }
            int digits = end - dot - 1;
            if (digits == 0)
            {
                return false;
            }
            text[..(dot + 1 + Math.Min(digits, 7))].CopyTo(buffer);
            n = dot + 1 + Math.Min(digits, 7);
            text[end..].CopyTo(buffer[n..]);
            n += text.Length - end;
        }
        else
        {
            text.CopyTo(buffer);
            n = text.Length;
        }
        ReadOnlySpan<char> normalized = buffer[..n];
        // 'T' (or 't', RFC 3339 §5.6 allows either) between date and time; 'Z' or a numeric offset.
        return (normalized.Length > 10 && (normalized[10] == 'T' || normalized[10] == 't'))
            && DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    /// <summary>UTC with 100 ns precision, e.g. <c>2025-12-06T21:38:13.1234567Z</c>.</summary>
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
