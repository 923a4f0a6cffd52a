namespace Mesh.Multistream.Protobuf;

/// <summary>
/// The protobuf wire format (protobuf.dev/programming-guides/encoding) for the hand-written span decoders of the
/// handshake payload and the kad messages, which must not allocate per field:
/// <code>
///   tag   = varint(field_number &lt;&lt; 3 | wire_type)
///   0 VARINT  varint            1 I64  8 bytes      2 LEN  varint(n) ‖ n bytes
///   3 SGROUP  fields … EGROUP   4 EGROUP            5 I32  4 bytes
/// </code>
/// Varints follow protobuf (not multiformats) rules: up to 10 bytes, non-minimal forms accepted, as every protobuf
/// parser does. Every read reports a <see cref="ProtobufReadError"/> instead of throwing, and never reads past the span.
/// </summary>
public ref struct ProtobufSpanReader
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireStartGroup = 3;
    public const int WireEndGroup = 4;
    public const int WireFixed32 = 5;

    // Groups are deprecated and no libp2p peer sends them, but they are valid protobuf in unknown fields, so they are
    // skipped, to this depth.
    private const int MaxGroupDepth = 8;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtobufSpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly bool IsAtEnd => _position >= _data.Length;

    public ProtobufReadError ReadTag(out int fieldNumber, out int wireType)
    {
        fieldNumber = 0;
        wireType = 0;
        ProtobufReadError error = ReadVarint(out ulong tag);
        if (error != ProtobufReadError.None)
        {
            return error;
        }
        if (tag > uint.MaxValue)
        {
            return ProtobufReadError.MalformedVarint;
        }
        fieldNumber = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return fieldNumber == 0 ? ProtobufReadError.InvalidTag : ProtobufReadError.None;
    }

    public ProtobufReadError ReadVarint(out ulong value)
    {
        value = 0;
        for (int i = 0; i < 10; i++)
        {
            if (_position >= _data.Length)
            {
                return ProtobufReadError.Truncated;
            }
            byte b = _data[_position++];
            if (i == 9 && b > 1)
            {
                return ProtobufReadError.MalformedVarint; // bits beyond 64
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                return ProtobufReadError.None;
            }
        }
        return ProtobufReadError.MalformedVarint;
    }

    public ProtobufReadError ReadLengthDelimited(out ReadOnlySpan<byte> value)
    {
        value = default;
        ProtobufReadError error = ReadVarint(out ulong length);
        if (error != ProtobufReadError.None)
        {
            return error;
        }
        if (length > (ulong)(_data.Length - _position))
        {
            return ProtobufReadError.Truncated;
        }
        value = _data.Slice(_position, (int)length);
        _position += (int)length;
        return ProtobufReadError.None;
    }

    /// <summary>Skips the value of a field whose tag has just been read.</summary>
    public ProtobufReadError SkipField(int fieldNumber, int wireType) => SkipField(fieldNumber, wireType, 0);

    private ProtobufReadError SkipField(int fieldNumber, int wireType, int depth)
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
                    return ProtobufReadError.InvalidWireType;
                }
                while (true)
                {
                    ProtobufReadError error = ReadTag(out int innerField, out int innerWire);
                    if (error != ProtobufReadError.None)
                    {
                        return error;
                    }
                    if (innerWire == WireEndGroup)
                    {
                        return innerField == fieldNumber ? ProtobufReadError.None : ProtobufReadError.InvalidWireType;
                    }
                    error = SkipField(innerField, innerWire, depth + 1);
                    if (error != ProtobufReadError.None)
                    {
                        return error;
                    }
                }
            default: // an end-group without a start, or wire types 6 and 7
                return ProtobufReadError.InvalidWireType;
        }
    }

    private ProtobufReadError Skip(int count)
    {
        if (_data.Length - _position < count)
        {
            return ProtobufReadError.Truncated;
        }
        _position += count;
        return ProtobufReadError.None;
    }
}
