using System.Buffers;

namespace Mesh.Multistream;

/// <summary>
/// One validated component of a binary multiaddr: its protocol and its value bytes, both views over the
/// address's own bytes (nothing is copied). Produced by <see cref="MultiaddrReader"/> and by enumerating a
/// <see cref="Multiaddr"/>.
/// </summary>
public readonly ref struct MultiaddrComponent
{
    internal MultiaddrComponent(MultiaddrProtocol protocol, ReadOnlySpan<byte> value, ReadOnlySpan<byte> encoded)
    {
        Protocol = protocol;
        Value = value;
        Encoded = encoded;
    }

    /// <summary>The protocol; its numeric value is the multicodec code.</summary>
    public MultiaddrProtocol Protocol { get; }

    /// <summary>The multicodec code of the protocol.</summary>
    public int Code => (int)Protocol;

    /// <summary>The protocol's text name (<c>ip4</c>, <c>p2p</c>, …).</summary>
    public string Name => MultiaddrProtocols.GetName(Protocol);

    /// <summary>
    /// The raw value: 4/16 address bytes, 2 big-endian port bytes, the multihash of <c>/p2p</c> or
    /// <c>/certhash</c>, the UTF-8 name of <c>/dns*</c>; empty for protocols without a value. Length prefixes
    /// are not included.
    /// </summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>The whole binary component: code, length prefix (if any) and value.</summary>
    public ReadOnlySpan<byte> Encoded { get; }

    /// <summary>Formats the component as text (<c>/tcp/4001</c>) without allocating; false when the destination is too small.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        charsWritten = 0;
        MultiaddrProtocols.GetKind(Protocol, out MultiaddrValueKind kind);
        string name = Name;
        if (destination.Length < name.Length + 1)
        {
            return false;
        }
        destination[0] = '/';
        name.CopyTo(destination[1..]);
        int pos = name.Length + 1;
        if (kind != MultiaddrValueKind.None)
        {
            if (pos >= destination.Length)
            {
                return false;
            }
            destination[pos++] = '/';
            if (!MultiaddrValues.TryFormat(kind, Value, destination[pos..], out int n))
            {
                return false;
            }
            pos += n;
        }
        charsWritten = pos;
        return true;
    }

    /// <summary>An upper bound on the characters <see cref="TryFormat"/> writes.</summary>
    public int GetMaxFormattedLength()
    {
        MultiaddrProtocols.GetKind(Protocol, out MultiaddrValueKind kind);
        return Name.Length + 2 + MultiaddrValues.GetMaxFormattedLength(kind, Value.Length);
    }

    /// <summary>The value as text (<c>127.0.0.1</c>, <c>4001</c>, <c>12D3KooW…</c>); empty for protocols without a value.</summary>
    public string GetValueText()
    {
        MultiaddrProtocols.GetKind(Protocol, out MultiaddrValueKind kind);
        int max = MultiaddrValues.GetMaxFormattedLength(kind, Value.Length);
        char[]? rented = null;
        Span<char> buffer = max <= 512 ? stackalloc char[512] : (rented = ArrayPool<char>.Shared.Rent(max));
        try
        {
            MultiaddrValues.TryFormat(kind, Value, buffer, out int written);
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

    /// <summary>The component as text, e.g. <c>/ip4/127.0.0.1</c>.</summary>
    public override string ToString()
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
}
