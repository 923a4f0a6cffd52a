namespace Mesh.Kademlia.Libp2p.Messages;

/// <summary>
/// The protobuf wire format (protobuf.dev/programming-guides/encoding) as far as the kad messages need it:
/// <code>
///   tag   = varint(field_number &lt;&lt; 3 | wire_type)
///   0 VARINT  varint            1 I64  8 bytes      2 LEN  varint(n) ‖ n bytes
///   3 SGROUP  fields … EGROUP   4 EGROUP            5 I32  4 bytes
/// </code>
/// Varints follow protobuf rules (up to 10 bytes, non-minimal forms accepted, as every protobuf parser does). Reads
/// never go past the span and report <see cref="KadMessageError.MalformedProtobuf"/> instead of throwing.
/// </summary>
internal ref struct KadProtoReader
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireStartGroup = 3;
    public const int WireEndGroup = 4;
    public const int WireFixed32 = 5;

    // Groups are deprecated and no kad implementation sends them, but they are valid protobuf in unknown fields, so
    // they are skipped, to this depth.
    private const int MaxGroupDepth = 8;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public KadProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly bool IsAtEnd => _position >= _data.Length;

    public bool TryReadTag(out int fieldNumber, out int wireType)
    {
        fieldNumber = 0;
        wireType = 0;
        if (!TryReadVarint(out ulong tag) || tag > uint.MaxValue || (tag >> 3) == 0)
        {
            return false;
        }
        fieldNumber = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return true;
    }

    public bool TryReadVarint(out ulong value)
    {
        value = 0;
        for (int i = 0; i < 10; i++)
        {
            if (_position >= _data.Length)
            {
                return false;
            }
            byte b = _data[_position++];
            if (i == 9 && b > 1)
            {
                return false; // bits beyond 64
            }
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                return true;
            }
        }
        return false;
    }

    public bool TryReadLengthDelimited(out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryReadVarint(out ulong length) || length > (ulong)(_data.Length - _position))
        {
            return false;
        }
        value = _data.Slice(_position, (int)length);
        _position += (int)length;
        return true;
    }

    /// <summary>Reads a length-delimited field whose tag (with <paramref name="wireType"/>) has just been read.</summary>
    public KadMessageError ReadBytes(int wireType, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (wireType != WireLengthDelimited)
        {
            return KadMessageError.WrongWireType;
        }
        return TryReadLengthDelimited(out value) ? KadMessageError.None : KadMessageError.MalformedProtobuf;
    }

    /// <summary>Skips the value of a field whose tag has just been read.</summary>
    public bool TrySkipField(int fieldNumber, int wireType) => TrySkipField(fieldNumber, wireType, 0);

    private bool TrySkipField(int fieldNumber, int wireType, int depth)
    {
        switch (wireType)
        {
            case WireVarint:
                return TryReadVarint(out _);
            case WireFixed64:
                return TrySkip(8);
            case WireLengthDelimited:
                return TryReadLengthDelimited(out _);
            case WireFixed32:
                return TrySkip(4);
            case WireStartGroup:
                if (depth >= MaxGroupDepth)
                {
                    return false;
                }
                while (true)
                {
                    if (!TryReadTag(out int innerField, out int innerWire))
                    {
                        return false;
                    }
                    if (innerWire == WireEndGroup)
                    {
                        return innerField == fieldNumber;
                    }
                    if (!TrySkipField(innerField, innerWire, depth + 1))
                    {
                        return false;
                    }
                }
            default: // an end-group without a start, or wire types 6 and 7
                return false;
        }
    }

    private bool TrySkip(int count)
    {
        if (_data.Length - _position < count)
        {
            return false;
        }
        _position += count;
        return true;
    }
}
