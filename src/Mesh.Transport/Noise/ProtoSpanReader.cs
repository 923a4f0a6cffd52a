namespace Mesh.Transport.Noise;

/// <summary>
/// The protobuf wire format (protobuf.dev/programming-guides/encoding) as far as the handshake payload needs it:
/// <code>
///   tag   = varint(field_number &lt;&lt; 3 | wire_type)
///   0 VARINT  varint            1 I64  8 bytes      2 LEN  varint(n) ‖ n bytes
///   3 SGROUP  fields … EGROUP   4 EGROUP            5 I32  4 bytes
/// </code>
/// Varints follow protobuf (not multiformats) rules: up to 10 bytes, non-minimal forms accepted. Every read reports
/// a <see cref="NoisePayloadError"/> instead of throwing, and never reads past the span.
/// </summary>
internal ref struct ProtoSpanReader
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireStartGroup = 3;
    public const int WireEndGroup = 4;
    public const int WireFixed32 = 5;

    // Groups are deprecated and no libp2p peer sends them, but they are valid protobuf, so unknown ones are skipped,
    // to this depth.
    private const int MaxGroupDepth = 8;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtoSpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly bool IsAtEnd => _position >= _data.Length;

    public NoisePayloadError ReadTag(out int fieldNumber, out int wireType)
    {
        fieldNumber = 0;
        wireType = 0;
        NoisePayloadError error = ReadVarint(out ulong tag);
        if (error != NoisePayloadError.None)
        {
            return error;
        }
        if (tag > uint.MaxValue)
        {
            return NoisePayloadError.MalformedVarint;
        }
        fieldNumber = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return fieldNumber == 0 ? NoisePayloadError.InvalidTag : NoisePayloadError.None;
    }

    public NoisePayloadError ReadVarint(out ulong value)
    {
        value = 0;
        for (int i = 0; i < 10; i++)
        {
            if (_position >= _data.Length)
            {
                return NoisePayloadError.Truncated;
            }
            byte b = _data[_position++];
            if (i == 9 && b > 1)
            {
                return NoisePayloadError.MalformedVarint; // bits beyond 64
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                return NoisePayloadError.None;
            }
        }
        return NoisePayloadError.MalformedVarint;
    }

    public NoisePayloadError ReadLengthDelimited(out ReadOnlySpan<byte> value)
    {
        value = default;
        NoisePayloadError error = ReadVarint(out ulong length);
        if (error != NoisePayloadError.None)
        {
            return error;
        }
        if (length > (ulong)(_data.Length - _position))
        {
            return NoisePayloadError.Truncated;
        }
        value = _data.Slice(_position, (int)length);
        _position += (int)length;
        return NoisePayloadError.None;
    }

    /// <summary>Skips the value of a field whose tag has just been read.</summary>
    public NoisePayloadError SkipField(int fieldNumber, int wireType) => SkipField(fieldNumber, wireType, 0);

    private NoisePayloadError SkipField(int fieldNumber, int wireType, int depth)
    {
        switch (wireType)
        {
            case WireVarint:
                return ReadVarint(out _);
            case WireFixed64:
                return Skip(8);
            case WireLengthDelimited:
                return ReadLengthDelimited(out _);
            case WireFixed32:
                return Skip(4);
            case WireStartGroup:
                if (depth >= MaxGroupDepth)
                {
                    return NoisePayloadError.InvalidWireType;
                }
                while (true)
                {
                    NoisePayloadError error = ReadTag(out int innerField, out int innerWire);
                    if (error != NoisePayloadError.None)
                    {
                        return error;
                    }
                    if (innerWire == WireEndGroup)
                    {
                        return innerField == fieldNumber ? NoisePayloadError.None : NoisePayloadError.InvalidWireType;
                    }
                    error = SkipField(innerField, innerWire, depth + 1);
                    if (error != NoisePayloadError.None)
                    {
                        return error;
                    }
                }
            default: // an end-group without a start, or wire types 6 and 7
                return NoisePayloadError.InvalidWireType;
        }
    }

    private NoisePayloadError Skip(int count)
    {
        if (_data.Length - _position < count)
        {
            return NoisePayloadError.Truncated;
        }
        _position += count;
        return NoisePayloadError.None;
    }
}
