namespace Mesh.Kademlia.Validation;

/// <summary>One <c>[owner:…]</c> or <c>[signature:…]</c> occurrence: the whole marker and its content.</summary>
public readonly record struct MarkerMatch(int Start, int Length, int ContentStart, int ContentLength)
{
    public int End => Start + Length;

    public Range Content => new(ContentStart, ContentStart + ContentLength);
}

/// <summary>
/// The record markers of mesh's <c>SignatureValidator</c> (mesh-reference §2, <c>mesh/dht/crypto.py</c>), found
/// without a regex engine but with exactly the semantics of Python's <c>re.findall</c> / <c>re.sub</c> for the byte
/// patterns <c>\[owner:(.+?)\]</c> and <c>\[signature:(.+?)\]</c> (no DOTALL):
/// <list type="bullet">
/// <item>the content is at least one byte, and the shortest possible: it ends at the first <c>]</c> after its first
/// byte (so a <c>]</c> right after the colon is content, as <c>.+?</c> must eat one byte);</item>
/// <item><c>.</c> does not match <c>\n</c>: a newline inside the content means no match at that position, and the
/// search resumes one byte after the failed start;</item>
/// <item>matches do not overlap; scanning resumes after each match.</item>
/// </list>
/// Searches use vectorised <see cref="MemoryExtensions.IndexOf{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>.
/// </summary>
public static class RecordMarkers
{
    /// <summary><c>b"[owner:"</c>.</summary>
    public static ReadOnlySpan<byte> OwnerPrefix => "[owner:"u8;

    /// <summary><c>b"[signature:"</c>.</summary>
    public static ReadOnlySpan<byte> SignaturePrefix => "[signature:"u8;

    private const byte Close = (byte)']';
    private const byte NewLine = (byte)'\n';

    /// <summary>Enumerates the matches of <c>\[prefix(.+?)\]</c> in <paramref name="data"/>, left to right.</summary>
    public static MarkerEnumerator FindAll(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix) => new(data, prefix);

    /// <summary>The first match at or after <paramref name="from"/>, as <c>re.search</c> finds it.</summary>
    public static bool TryFind(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix, int from, out MarkerMatch match)
    {
        if (prefix.IsEmpty)
        {
            throw new ArgumentException("A marker prefix cannot be empty.", nameof(prefix));
        }
        int start = from;
        while (start <= data.Length - prefix.Length)
        {
            int found = data[start..].IndexOf(prefix);
            if (found < 0)
            {
                break;
            }
            int s = start + found;
            int content = s + prefix.Length;
            // .+? takes one byte first (any but \n, ']' included), then stops at the first ']' not preceded by \n.
            if (content < data.Length && data[content] != NewLine)
            {
                int stop = data[(content + 1)..].IndexOfAny(Close, NewLine);
                if (stop >= 0 && data[content + 1 + stop] == Close)
                {
                    int close = content + 1 + stop;
                    match = new MarkerMatch(s, close + 1 - s, content, close - content);
                    return true;
                }
            }
            start = s + 1;
        }
        match = default;
        return false;
    }

    /// <summary>Number of matches (<c>len(re.findall(...))</c>).</summary>
    public static int Count(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix)
    {
        int n = 0;
        foreach (MarkerMatch _ in FindAll(data, prefix))
        {
            n++;
        }
        return n;
    }

    /// <summary>Length of <paramref name="data"/> with every match removed.</summary>
    public static int GetStrippedLength(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix)
    {
        int removed = 0;
        foreach (MarkerMatch m in FindAll(data, prefix))
        {
            removed += m.Length;
        }
        return data.Length - removed;
    }

    /// <summary><c>re.sub(pattern, b"", data)</c> into <paramref name="destination"/>; false if it is too small.</summary>
    public static bool TryStrip(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix, Span<byte> destination, out int written)
    {
        written = 0;
        int copied = 0;
        foreach (MarkerMatch m in FindAll(data, prefix))
        {
            int n = m.Start - copied;
            if (!data.Slice(copied, n).TryCopyTo(destination[written..]))
            {
                written = 0;
                return false;
            }
            written += n;
            copied = m.End;
        }
        if (!data[copied..].TryCopyTo(destination[written..]))
        {
            written = 0;
            return false;
        }
        written += data.Length - copied;
        return true;
    }

    /// <summary>
    /// <c>re.sub(pattern, b"", value)</c>: <paramref name="value"/> itself (no copy) when there is no match, else a new
    /// array without the matches.
    /// </summary>
    public static ReadOnlyMemory<byte> Strip(ReadOnlyMemory<byte> value, ReadOnlySpan<byte> prefix)
    {
        int length = GetStrippedLength(value.Span, prefix);
        if (length == value.Length)
        {
            return value;
        }
        byte[] result = new byte[length];
        TryStrip(value.Span, prefix, result, out _);
        return result;
    }

    /// <summary>
    /// Whether <c>re.match(b".*\[owner:(.+?)\].*", data)</c> succeeds, the constraint of mesh's
    /// <c>BytesWithPublicKey</c>: an owner marker that starts on the first line (the leading <c>.*</c> cannot cross a
    /// newline).
    /// </summary>
    public static bool StartsWithLineHoldingOwner(ReadOnlySpan<byte> data)
    {
        int newline = data.IndexOf(NewLine);
        ReadOnlySpan<byte> firstLine = newline < 0 ? data : data[..newline];
        return TryFind(firstLine, OwnerPrefix, 0, out _);
    }

    /// <summary>Allocation-free enumerator over marker matches.</summary>
    public ref struct MarkerEnumerator
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly ReadOnlySpan<byte> _prefix;
        private int _next;
        private MarkerMatch _current;

        internal MarkerEnumerator(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix)
        {
            _data = data;
            _prefix = prefix;
            _next = 0;
            _current = default;
        }

        public readonly MarkerMatch Current => _current;

        public readonly MarkerEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_next > _data.Length || !TryFind(_data, _prefix, _next, out _current))
            {
                _next = _data.Length + 1;
                return false;
            }
            _next = _current.End;
            return true;
        }
    }
}
