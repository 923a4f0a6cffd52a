using System.Collections.Concurrent;
using System.Text;

namespace Mesh.Transport.Protocols;

/// <summary>
/// Shares one string instance per protocol id seen on the wire. Every peer advertises the same handful of ids
/// (<c>/ipfs/id/1.0.0</c>, <c>/ipfs/kad/1.0.0</c>, …); keeping one copy each saves memory per peer-store entry and
/// makes later comparisons reference-equal fast. Bounded: past <see cref="MaxEntries"/> distinct ids, new ones are
/// returned un-interned so a peer cannot grow the table without limit.
/// </summary>
internal static class ProtocolNames
{
    public const int MaxEntries = 4096;

    private static readonly ConcurrentDictionary<string, string> s_table = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> s_lookup =
        s_table.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Intern(ReadOnlySpan<byte> utf8)
    {
        int charCount = Encoding.UTF8.GetCharCount(utf8);
        if (charCount <= 256)
        {
            Span<char> chars = stackalloc char[charCount];
            Encoding.UTF8.GetChars(utf8, chars);
            if (s_lookup.TryGetValue(chars, out string? existing))
            {
                return existing;
            }
            return Add(new string(chars));
        }
        return Add(Encoding.UTF8.GetString(utf8));
    }

    private static string Add(string value)
    {
        if (s_table.Count >= MaxEntries)
        {
            return value;
        }
        return s_table.GetOrAdd(value, value);
    }
}
