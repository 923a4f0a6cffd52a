using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Multistream;

/// <summary>
/// An immutable, validated multiaddr (https://github.com/multiformats/multiaddr): a self-describing network address
/// such as <c>/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…</c>. The instance wraps its canonical binary form; equality and
/// hashing are on those bytes, <see cref="ToString()"/> gives the canonical text.
/// </summary>
/// <remarks>
/// <para>Binary input from peers is validated by <see cref="MultiaddrReader"/>, which allocates nothing; use
/// <see cref="IsValid(ReadOnlySpan{byte})"/> / <see cref="TryValidate"/> to check bytes and the reader to walk them
/// without materializing a <see cref="Multiaddr"/>. <see cref="FromBytes"/> validates and copies the bytes once.</para>
/// <para>Text parsing is strict: canonical decimal ports (no sign or leading zeros), dotted-quad IPv4 only, IPv6
/// without zone/brackets (zones use <c>/ip6zone</c>), <c>/ipfs</c> accepted as <c>/p2p</c>, one optional trailing
/// <c>/</c>. Errors are <see cref="MultiaddrFormatException"/> naming the component and the reason.</para>
/// </remarks>
public sealed class Multiaddr : IEquatable<Multiaddr>, ISpanFormattable, ISpanParsable<Multiaddr>
{
    /// <summary>The longest variable-length value accepted (a <c>/p2p</c> multihash, a DNS name, a unix path…).</summary>
    public const int MaxValueLength = 1024;

    // A value's text is at most this long: base58 of MaxValueLength bytes, or a %XX-encoded path of it.
    private const int MaxValueTextLength = MaxValueLength * 3;

    private readonly byte[] _bytes;
    private string? _text;

    private Multiaddr(byte[] validatedBytes) => _bytes = validatedBytes;

    /// <summary>The empty address (no components). Only produced by decapsulation; never valid input.</summary>
    public static Multiaddr Empty { get; } = new([]);

    /// <summary>The binary form.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>The binary form as a span.</summary>
    public ReadOnlySpan<byte> Span => _bytes;

    /// <summary>True for <see cref="Empty"/>.</summary>
    public bool IsEmpty => _bytes.Length == 0;

    /// <summary>The number of components.</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (MultiaddrComponent _ in this)
            {
                count++;
            }
            return count;
        }
    }

    // ---------------- binary ----------------

    /// <summary>Validates <paramref name="bytes"/> and copies them into a new <see cref="Multiaddr"/>.</summary>
    /// <exception cref="MultiaddrFormatException">The bytes are not a valid multiaddr.</exception>
    public static Multiaddr FromBytes(ReadOnlySpan<byte> bytes)
    {
        Validate(bytes);
        return new Multiaddr(bytes.ToArray());
    }

    /// <summary>Validates and copies <paramref name="bytes"/>; false (no allocation) when they are not a valid multiaddr.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out Multiaddr? multiaddr) =>
        TryRead(bytes, out multiaddr, out _);

    /// <summary>As <see cref="TryRead(ReadOnlySpan{byte}, out Multiaddr?)"/>, reporting why the bytes were rejected.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out Multiaddr? multiaddr, out MultiaddrError error)
    {
        if (!TryValidate(bytes, out error))
        {
            multiaddr = null;
            return false;
        }
        multiaddr = new Multiaddr(bytes.ToArray());
        return true;
    }

    /// <summary>True when <paramref name="bytes"/> is a complete, valid binary multiaddr. Allocates nothing.</summary>
    public static bool IsValid(ReadOnlySpan<byte> bytes) => TryValidate(bytes, out _);

    /// <summary>Validates a binary multiaddr without allocating, reporting the reason on failure.</summary>
    public static bool TryValidate(ReadOnlySpan<byte> bytes, out MultiaddrError error)
    {
        if (bytes.IsEmpty)
        {
            error = MultiaddrError.Empty;
            return false;
        }
        var reader = new MultiaddrReader(bytes);
        while (reader.TryRead(out _, out error))
        {
        }
        return error == MultiaddrError.None;
    }

    /// <summary>Validates a binary multiaddr, throwing a <see cref="MultiaddrFormatException"/> that names the bad component.</summary>
    public static void Validate(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            MultiaddrFormatException.Throw(MultiaddrError.Empty, null);
        }
        var reader = new MultiaddrReader(bytes);
        MultiaddrError error;
        while (reader.TryRead(out _, out error))
        {
        }
        if (error != MultiaddrError.None)
        {
            MultiaddrFormatException.Throw(error, reader.FailedCode == 0 ? null : MultiaddrProtocols.Describe(reader.FailedCode),
                $"at byte offset {reader.Position}");
        }
    }

    /// <summary>A copy of the binary form.</summary>
    public byte[] ToArray() => (byte[])_bytes.Clone();

    // ---------------- text ----------------

    /// <summary>Parses multiaddr text.</summary>
    /// <exception cref="MultiaddrFormatException">The text is not a valid multiaddr.</exception>
    public static Multiaddr Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.AsSpan());
    }

    /// <summary>Parses multiaddr text.</summary>
    /// <exception cref="MultiaddrFormatException">The text is not a valid multiaddr.</exception>
    public static Multiaddr Parse(ReadOnlySpan<char> text)
    {
        if (!TryParseCore(text, out Multiaddr? result, out MultiaddrError error, out Range failed))
        {
            string? protocol = failed.Equals(default(Range)) ? null : text[failed].ToString();
            MultiaddrFormatException.Throw(error, protocol, $"in \"{Truncate(text)}\"");
        }
        return result;
    }

    /// <summary>Parses multiaddr text; false when it is not valid.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Multiaddr? multiaddr)
    {
        if (text is null)
        {
            multiaddr = null;
            return false;
        }
        return TryParseCore(text, out multiaddr, out _, out _);
    }

    /// <summary>Parses multiaddr text, reporting why it was rejected.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out Multiaddr? multiaddr, out MultiaddrError error) =>
        TryParseCore(text, out multiaddr, out error, out _);

    static Multiaddr IParsable<Multiaddr>.Parse(string s, IFormatProvider? provider) => Parse(s);

    static bool IParsable<Multiaddr>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, [MaybeNullWhen(false)] out Multiaddr result) =>
        TryParse(s, out result);

    static Multiaddr ISpanParsable<Multiaddr>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s);

    static bool ISpanParsable<Multiaddr>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, [MaybeNullWhen(false)] out Multiaddr result) =>
        TryParseCore(s, out result, out _, out _);

    /// <summary>The canonical text form (<c>/ip4/127.0.0.1/tcp/4001</c>); empty for <see cref="Empty"/>.</summary>
    public override string ToString() => _text ??= FormatText();

    string IFormattable.ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>An upper bound on the characters of the text form.</summary>
    public int GetMaxFormattedLength()
    {
        int max = 0;
        foreach (MultiaddrComponent component in this)
        {
            max += component.GetMaxFormattedLength();
        }
        return max;
    }

    /// <summary>Writes the canonical text form without allocating; false when the destination is too small.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        int pos = 0;
        foreach (MultiaddrComponent component in this)
        {
            if (!component.TryFormat(destination[pos..], out int n))
            {
                charsWritten = 0;
                return false;
            }
            pos += n;
        }
        charsWritten = pos;
        return true;
    }

    bool ISpanFormattable.TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        TryFormat(destination, out charsWritten);

    // ---------------- components ----------------

    /// <summary>Enumerates the components without allocating: <c>foreach (MultiaddrComponent c in addr)</c>.</summary>
    public Enumerator GetEnumerator() => new(_bytes);

    /// <summary>The value of the first component with this protocol.</summary>
    public bool TryGetComponent(MultiaddrProtocol protocol, out ReadOnlySpan<byte> value)
    {
        foreach (MultiaddrComponent component in this)
        {
            if (component.Protocol == protocol)
            {
                value = component.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>True when some component has this protocol.</summary>
    public bool Contains(MultiaddrProtocol protocol) => TryGetComponent(protocol, out _);

    /// <summary>
    /// The peer id this address points at: the multihash bytes of the final <c>/p2p</c> component, if the address
    /// ends with one (so <c>…/p2p/RELAY/p2p-circuit</c> has none, and <c>…/p2p-circuit/p2p/TARGET</c> gives TARGET).
    /// </summary>
    public bool TryGetPeerId(out ReadOnlySpan<byte> multihash)
    {
        multihash = default;
        bool last = false;
        foreach (MultiaddrComponent component in this)
        {
            last = component.Protocol == MultiaddrProtocol.P2p;
            if (last)
            {
                multihash = component.Value;
            }
        }
        if (!last)
        {
            multihash = default;
        }
        return last;
    }

    /// <summary>This address followed by <paramref name="other"/> (e.g. <c>/ip4/…/tcp/…</c> + <c>/p2p/…</c>).</summary>
    public Multiaddr Encapsulate(Multiaddr other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.IsEmpty)
        {
            return this;
        }
        if (IsEmpty)
        {
            return other;
        }
        return new Multiaddr([.. _bytes, .. other._bytes]);
    }

    /// <summary>This address followed by the parsed <paramref name="text"/>.</summary>
    /// <exception cref="MultiaddrFormatException">The text is not a valid multiaddr.</exception>
    public Multiaddr Encapsulate(string text) => Encapsulate(Parse(text));

    /// <summary>This address followed by <c>/p2p/&lt;multihash&gt;</c>.</summary>
    /// <exception cref="MultiaddrFormatException">The bytes are not a valid multihash.</exception>
    public Multiaddr WithPeerId(ReadOnlySpan<byte> multihash)
    {
        if (!Multihash.IsValid(multihash) || multihash.Length > MaxValueLength)
        {
            MultiaddrFormatException.Throw(MultiaddrError.InvalidPeerId, "p2p");
        }
        byte[] bytes = new byte[_bytes.Length + 2 + Uvarint.GetByteCount((ulong)multihash.Length) + multihash.Length];
        _bytes.CopyTo(bytes, 0);
        int pos = _bytes.Length;
        Uvarint.TryWrite(bytes.AsSpan(pos), (ulong)MultiaddrProtocol.P2p, out int n);
        pos += n;
        Uvarint.TryWrite(bytes.AsSpan(pos), (ulong)multihash.Length, out n);
        pos += n;
        multihash.CopyTo(bytes.AsSpan(pos));
        return new Multiaddr(bytes);
    }

    /// <summary>
    /// Removes the last occurrence of <paramref name="other"/> (matched on whole components) and everything after
    /// it; returns this address unchanged when <paramref name="other"/> does not occur.
    /// </summary>
    public Multiaddr Decapsulate(Multiaddr other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.IsEmpty)
        {
            return this;
        }
        int cut = -1;
        var reader = new MultiaddrReader(_bytes);
        int start = 0;
        while (reader.TryRead(out _, out _))
        {
            if (_bytes.AsSpan(start).StartsWith(other._bytes))
            {
                cut = start;
            }
            start = reader.Position;
        }
        return cut < 0 ? this : Slice(cut);
    }

    /// <summary>
    /// Removes the last component with <paramref name="protocol"/> and everything after it; returns this address
    /// unchanged when there is none. <c>/ip4/1.2.3.4/tcp/1/p2p/Qm…</c> minus <c>p2p</c> is <c>/ip4/1.2.3.4/tcp/1</c>.
    /// </summary>
    public Multiaddr Decapsulate(MultiaddrProtocol protocol)
    {
        int cut = -1;
        var reader = new MultiaddrReader(_bytes);
        int start = 0;
        while (reader.TryRead(out MultiaddrComponent component, out _))
        {
            if (component.Protocol == protocol)
            {
                cut = start;
            }
            start = reader.Position;
        }
        return cut < 0 ? this : Slice(cut);
    }

    private Multiaddr Slice(int length) => length == 0 ? Empty : new Multiaddr(_bytes.AsSpan(0, length).ToArray());

    // ---------------- IP endpoints ----------------

    /// <summary>
    /// The IP endpoint of an address that starts with <c>/ip4</c> or <c>/ip6</c> followed by <c>/tcp</c> or
    /// <c>/udp</c> (anything after, such as <c>/quic-v1</c> or <c>/p2p</c>, is ignored).
    /// </summary>
    public bool TryGetIPEndPoint([NotNullWhen(true)] out IPEndPoint? endPoint) => TryGetIPEndPoint(out endPoint, out _);

    /// <summary>As <see cref="TryGetIPEndPoint(out IPEndPoint?)"/>, also saying whether the port is TCP or UDP.</summary>
    public bool TryGetIPEndPoint([NotNullWhen(true)] out IPEndPoint? endPoint, out MultiaddrProtocol transport)
    {
        endPoint = null;
        transport = default;
        Enumerator e = GetEnumerator();
        if (!e.MoveNext())
        {
            return false;
        }
        MultiaddrComponent ip = e.Current;
        if (ip.Protocol is not (MultiaddrProtocol.Ip4 or MultiaddrProtocol.Ip6) || !e.MoveNext())
        {
            return false;
        }
        MultiaddrComponent port = e.Current;
        if (port.Protocol is not (MultiaddrProtocol.Tcp or MultiaddrProtocol.Udp))
        {
            return false;
        }
        transport = port.Protocol;
        endPoint = new IPEndPoint(new IPAddress(ip.Value), BinaryPrimitives.ReadUInt16BigEndian(port.Value));
        return true;
    }

    /// <summary>
    /// <c>/ip4/A/tcp/P</c> (or <c>/ip6/…</c>, <c>/udp/…</c>) for an endpoint. IPv4-mapped IPv6 addresses (what a
    /// dual-mode socket reports) become <c>/ip4</c>; an IPv6 scope id becomes a leading <c>/ip6zone</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="transport"/> is not TCP or UDP.</exception>
    public static Multiaddr FromIPEndPoint(IPEndPoint endPoint, MultiaddrProtocol transport = MultiaddrProtocol.Tcp)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (transport is not (MultiaddrProtocol.Tcp or MultiaddrProtocol.Udp))
        {
            throw new ArgumentException("transport must be Tcp or Udp", nameof(transport));
        }
        IPAddress address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        Span<byte> buffer = stackalloc byte[64];
        int pos = 0;
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            Span<byte> zone = stackalloc byte[20];
            address.ScopeId.TryFormat(zone, out int zoneLength, default, System.Globalization.CultureInfo.InvariantCulture);
            buffer[pos++] = (byte)MultiaddrProtocol.Ip6Zone;
            buffer[pos++] = (byte)zoneLength;
            zone[..zoneLength].CopyTo(buffer[pos..]);
            pos += zoneLength;
        }
        buffer[pos++] = address.AddressFamily == AddressFamily.InterNetwork ? (byte)MultiaddrProtocol.Ip4 : (byte)MultiaddrProtocol.Ip6;
        address.TryWriteBytes(buffer[pos..], out int written);
        pos += written;
        Uvarint.TryWrite(buffer[pos..], (ulong)transport, out int n);
        pos += n;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[pos..], (ushort)endPoint.Port);
        pos += 2;
        return new Multiaddr(buffer[..pos].ToArray());
    }

    // ---------------- equality ----------------

    public bool Equals(Multiaddr? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    public override bool Equals(object? obj) => obj is Multiaddr other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    public static bool operator ==(Multiaddr? left, Multiaddr? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Multiaddr? left, Multiaddr? right) => !(left == right);

    // ---------------- internals ----------------

    private string FormatText()
    {
        int max = GetMaxFormattedLength();
        char[]? rented = null;
        Span<char> buffer = max <= 512 ? stackalloc char[512] : (rented = ArrayPool<char>.Shared.Rent(max));
        try
        {
            TryFormat(buffer, out int written);
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

    private static bool TryParseCore(ReadOnlySpan<char> text, [NotNullWhen(true)] out Multiaddr? multiaddr, out MultiaddrError error, out Range failed)
    {
        multiaddr = null;
        // Binary is at most 3 bytes per text character (a UTF-16 unit is ≤ 3 UTF-8 bytes; every other value is
        // denser in text than in binary, and each component spends ≥ 3 characters on "/name").
        long max = (3L * text.Length) + 16;
        if (max > 1 << 20)
        {
            error = MultiaddrError.ValueTooLong;
            failed = default;
            return false;
        }
        byte[]? rented = null;
        Span<byte> buffer = max <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent((int)max));
        try
        {
            error = ParseText(text, buffer, out int written, out failed);
            if (error != MultiaddrError.None)
            {
                return false;
            }
            multiaddr = new Multiaddr(buffer[..written].ToArray());
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    // Text grammar: ("/" name ["/" value])+ ["/"], where a value is present exactly when the protocol has one and
    // never contains '/'. Writes the binary form into destination; reports the failing protocol name's range.
    private static MultiaddrError ParseText(ReadOnlySpan<char> text, Span<byte> destination, out int bytesWritten, out Range failed)
    {
        bytesWritten = 0;
        failed = default;
        if (text.IsEmpty || text is "/")
        {
            return MultiaddrError.Empty;
        }
        if (text[0] != '/')
        {
            return MultiaddrError.InvalidSyntax;
        }
        Span<byte> value = stackalloc byte[MaxValueLength];
        int outPos = 0;
        int pos = 0; // always at a '/'
        while (pos < text.Length)
        {
            if (pos == text.Length - 1 && outPos > 0)
            {
                break; // one trailing slash
            }
            int nameStart = pos + 1;
            int nameEnd = NextSlash(text, nameStart);
            ReadOnlySpan<char> name = text[nameStart..nameEnd];
            if (name.IsEmpty)
            {
                failed = default;
                return MultiaddrError.InvalidSyntax;
            }
            failed = nameStart..nameEnd;
            if (!MultiaddrProtocols.TryParseName(name, out MultiaddrProtocol protocol))
            {
                return MultiaddrError.UnknownProtocol;
            }
            MultiaddrProtocols.GetKind(protocol, out MultiaddrValueKind kind);
            Uvarint.TryWrite(destination[outPos..], (ulong)protocol, out int n);
            outPos += n;
            pos = nameEnd;
            if (kind == MultiaddrValueKind.None)
            {
                continue;
            }
            if (pos >= text.Length)
            {
                return MultiaddrError.MissingValue;
            }
            int valueStart = pos + 1;
            int valueEnd = NextSlash(text, valueStart);
            ReadOnlySpan<char> valueText = text[valueStart..valueEnd];
            if (valueText.IsEmpty)
            {
                return MultiaddrError.MissingValue;
            }
            if (valueText.Length > MaxValueTextLength)
            {
                return MultiaddrError.ValueTooLong;
            }
            MultiaddrError error = MultiaddrValues.TryParse(kind, valueText, value, out int valueLength);
            if (error != MultiaddrError.None)
            {
                return error;
            }
            if (MultiaddrProtocols.FixedSize(kind) < 0)
            {
                Uvarint.TryWrite(destination[outPos..], (ulong)valueLength, out n);
                outPos += n;
            }
            value[..valueLength].CopyTo(destination[outPos..]);
            outPos += valueLength;
            pos = valueEnd;
        }
        failed = default;
        bytesWritten = outPos;
        return MultiaddrError.None;
    }

    private static int NextSlash(ReadOnlySpan<char> text, int start)
    {
        int i = text[start..].IndexOf('/');
        return i < 0 ? text.Length : start + i;
    }

    private static string Truncate(ReadOnlySpan<char> text) => text.Length <= 200 ? text.ToString() : string.Concat(text[..200], "…");

    /// <summary>Allocation-free component enumerator over an already validated address.</summary>
    public ref struct Enumerator
    {
        private MultiaddrReader _reader;
        private MultiaddrComponent _current;

        internal Enumerator(ReadOnlySpan<byte> bytes)
        {
            _reader = new MultiaddrReader(bytes);
            _current = default;
        }

        /// <summary>The current component.</summary>
        public readonly MultiaddrComponent Current => _current;

        /// <summary>Advances to the next component.</summary>
        public bool MoveNext() => _reader.TryRead(out _current, out _);
    }
}
