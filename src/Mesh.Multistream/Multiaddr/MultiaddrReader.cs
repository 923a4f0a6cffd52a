using System.Buffers;

namespace Mesh.Multistream;

/// <summary>
/// Allocation-free reader and validator over a binary multiaddr (multiaddr spec, "Binary format"):
/// <code>
///   +--------------+-----------------------------------------------------+--------------+---
///   | uvarint code | value: fixed size (ip4 4, ip6 16, ports 2, 0 …)     | uvarint code | …
///   |              |     or uvarint length || bytes (p2p, dns, certhash) |              |
///   +--------------+-----------------------------------------------------+--------------+---
///   /ip4/127.0.0.1/tcp/4001  =  04 7f 00 00 01 | 06 0f a1
/// </code>
/// Each <see cref="TryRead"/> validates one component completely (known code, minimal varints, value present
/// and within <see cref="Multiaddr.MaxValueLength"/>, value well-formed for its protocol: valid multihash for
/// <c>/p2p</c> and <c>/certhash</c>, UTF-8 name without <c>/</c> for <c>/dns*</c>). After the first error the
/// reader stays failed.
/// </summary>
public ref struct MultiaddrReader
{
    private readonly ReadOnlySpan<byte> _bytes;
    private int _position;
    private bool _failed;
    private MultiaddrError _error;

    /// <summary>A reader positioned at the first component of <paramref name="bytes"/>.</summary>
    public MultiaddrReader(ReadOnlySpan<byte> bytes)
    {
        _bytes = bytes;
        _position = 0;
        _failed = false;
        _error = MultiaddrError.None;
        FailedCode = 0;
    }

    /// <summary>Bytes consumed by the components read so far (the offset of the next component).</summary>
    public readonly int Position => _position;

    /// <summary>True when every byte has been read without error.</summary>
    public readonly bool End => !_failed && _position >= _bytes.Length;

    /// <summary>After a failure, the protocol code of the offending component (0 if the code itself was unreadable).</summary>
    public ulong FailedCode { get; private set; }

    /// <summary>
    /// Reads and validates the next component. Returns false at the end of the input (with
    /// <paramref name="error"/> = <see cref="MultiaddrError.None"/>) or on malformed input (with the reason).
    /// </summary>
    public bool TryRead(out MultiaddrComponent component, out MultiaddrError error)
    {
        component = default;
        if (_failed || _position >= _bytes.Length)
        {
            error = _error;
            return false;
        }
        ReadOnlySpan<byte> rest = _bytes[_position..];
        if (Uvarint.TryRead(rest, out ulong code, out int codeLength) != OperationStatus.Done)
        {
            return Fail(0, MultiaddrError.InvalidVarint, out error);
        }
        var protocol = (MultiaddrProtocol)(int)Math.Min(code, int.MaxValue);
        if (code > int.MaxValue || !MultiaddrProtocols.GetKind(protocol, out MultiaddrValueKind kind))
        {
            return Fail(code, MultiaddrError.UnknownProtocol, out error);
        }
        int valueStart = codeLength;
        int valueLength = MultiaddrProtocols.FixedSize(kind);
        if (valueLength < 0)
        {
            OperationStatus status = Uvarint.TryRead(rest[codeLength..], out ulong declared, out int lengthLength);
            if (status != OperationStatus.Done)
            {
                return Fail(code, status == OperationStatus.NeedMoreData ? MultiaddrError.MissingValue : MultiaddrError.InvalidVarint, out error);
            }
            if (declared > Multiaddr.MaxValueLength)
            {
                return Fail(code, MultiaddrError.ValueTooLong, out error);
            }
            valueStart += lengthLength;
            valueLength = (int)declared;
        }
        if (rest.Length - valueStart < valueLength)
        {
            return Fail(code, MultiaddrError.MissingValue, out error);
        }
        ReadOnlySpan<byte> value = rest.Slice(valueStart, valueLength);
        error = MultiaddrValues.Validate(kind, value);
        if (error != MultiaddrError.None)
        {
            return Fail(code, error, out error);
        }
        int total = valueStart + valueLength;
        component = new MultiaddrComponent(protocol, value, rest[..total]);
        _position += total;
        return true;
    }

    private bool Fail(ulong code, MultiaddrError reason, out MultiaddrError error)
    {
        _failed = true;
        _error = reason;
        FailedCode = code;
        error = reason;
        return false;
    }
}
