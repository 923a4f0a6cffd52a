using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using MessagePack;

namespace Mesh.Kademlia.Serialization;

/// <summary>
/// Reads one msgpack value into a <see cref="MsgValue"/> the way <c>msgpack.loads(buf, raw=False,
/// ext_hook=_decode_ext_types)</c> does (mesh-reference §3), with msgpack ≥ 1.0 defaults (<c>strict_map_key</c>).
/// </summary>
/// <remarks>
/// <para>Every header is inspected before the <see cref="MessagePackReader"/> primitive that consumes it is called:
/// the declared length is checked against <see cref="MsgPackReadOptions.MaxLength"/> and against the bytes actually
/// present, and element counts against the remaining input, so nothing is allocated for data that is not there and
/// the reader's own end-of-stream exceptions never fire.</para>
/// <para>Returning false means the input ended inside the value (more data may complete it); malformed input throws
/// <see cref="MsgPackFormatException"/>. Inside an extension payload, which is complete by construction, running out
/// of data is malformed.</para>
/// <para>Python differences, deliberate: an ext 0x40 payload must be one msgpack array (Python would turn any
/// iterable into a tuple, e.g. a str into a tuple of characters; its own packer never writes that); unknown
/// extensions keep their type code (<see cref="MsgKind.Extension"/>) where Python returns the bare payload bytes.</para>
/// </remarks>
internal static class MsgPackDecoder
{
    // Longest header: code + 4-byte length + ext type byte.
    private const int MaxHeaderLength = 6;

    public static bool TryRead(ref MessagePackReader reader, in MsgPackReadOptions options, int depth, out MsgValue value)
    {
        value = default;
        long remaining = reader.Sequence.Length - reader.Consumed;
        if (remaining <= 0)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[MaxHeaderLength];
        ReadOnlySpan<byte> head = PeekHeader(reader.Sequence, reader.Position, reader.Consumed, remaining, scratch);
        byte code = head[0];
        if (!MsgPackFormat.TryDescribe(code, out HeaderShape shape, out int lengthBytes, out int fixedPayload))
        {
            ThrowFormat("Byte 0xc1 is never used in msgpack.");
        }
        int headerLength = 1 + lengthBytes + (shape == HeaderShape.Extension ? 1 : 0);
        if (remaining < headerLength)
        {
            return false;
        }
        long declared = lengthBytes switch
        {
            1 => head[1],
            2 => BinaryPrimitives.ReadUInt16BigEndian(head[1..]),
            4 => BinaryPrimitives.ReadUInt32BigEndian(head[1..]),
            _ => fixedPayload,
        };

        switch (shape)
        {
            case HeaderShape.Scalar:
                if (remaining < 1 + declared)
                {
                    return false;
                }
                value = ReadScalar(ref reader, code);
                return true;

            case HeaderShape.String:
                if (!HasPayload(remaining, headerLength, declared, options))
                {
                    return false;
                }
                value = MsgValue.FromString(DecodeUtf8(reader.ReadStringSequence()!.Value));
                return true;

            case HeaderShape.Binary:
            {
                if (!HasPayload(remaining, headerLength, declared, options))
                {
                    return false;
                }
                ReadOnlySequence<byte> bytes = reader.ReadBytes()!.Value;
                (byte[] array, int offset) = Materialize(bytes, options);
                value = MsgValue.CreateBinary(array, offset, (int)bytes.Length);
                return true;
            }

            case HeaderShape.Extension:
            {
                if (!HasPayload(remaining, headerLength, declared, options))
                {
                    return false;
                }
                ExtensionHeader header = reader.ReadExtensionFormatHeader();
                ReadOnlySequence<byte> payload = reader.ReadRaw(header.Length);
                value = ReadExtension(header.TypeCode, payload, options, depth);
                return true;
            }

            case HeaderShape.Array:
                CheckCount(declared, options);
                if (remaining - headerLength < declared)
                {
                    // Every element takes at least one byte: the input cannot hold this many yet.
                    return false;
                }
                return TryReadArray(ref reader, options, Deeper(depth, options), out value);

            case HeaderShape.Map:
                CheckCount(declared, options);
                if (remaining - headerLength < 2 * declared)
                {
                    return false;
                }
                return TryReadMap(ref reader, options, Deeper(depth, options), out value);

            default:
                ThrowFormat("Unknown msgpack header.");
                return false;
        }
    }

    private static ReadOnlySpan<byte> PeekHeader(
        in ReadOnlySequence<byte> sequence, SequencePosition position, long consumed, long remaining, Span<byte> scratch)
    {
        if (sequence.IsSingleSegment)
        {
            return sequence.FirstSpan[(int)consumed..];
        }
        ReadOnlySequence<byte> rest = sequence.Slice(position);
        ReadOnlySpan<byte> first = rest.FirstSpan;
        if (first.Length >= MaxHeaderLength || first.Length == remaining)
        {
            return first;
        }
        int n = (int)Math.Min(MaxHeaderLength, remaining);
        rest.Slice(0, n).CopyTo(scratch);
        return scratch[..n];
    }

    private static bool HasPayload(long remaining, int headerLength, long declared, in MsgPackReadOptions options)
    {
        if (declared > options.MaxLength)
        {
            ThrowFormat($"A msgpack header declares {declared} bytes; the limit is {options.MaxLength}.");
        }
        return remaining - headerLength >= declared;
    }

    private static void CheckCount(long declared, in MsgPackReadOptions options)
    {
        if (declared > options.MaxLength)
        {
            ThrowFormat($"A msgpack header declares {declared} elements; the limit is {options.MaxLength}.");
        }
    }

    private static int Deeper(int depth, in MsgPackReadOptions options)
    {
        if (depth >= options.MaxDepth)
        {
            ThrowFormat($"msgpack value nests deeper than {options.MaxDepth} levels.");
        }
        return depth + 1;
    }

    private static MsgValue ReadScalar(ref MessagePackReader reader, byte code)
    {
        switch (code)
        {
            case MessagePackCode.Nil:
                reader.ReadNil();
                return MsgValue.Nil;
            case MessagePackCode.True:
            case MessagePackCode.False:
                return MsgValue.FromBoolean(reader.ReadBoolean());
            case MessagePackCode.Float32:
            case MessagePackCode.Float64:
                // Python floats are doubles: float32 input is widened (loads-only vector "ca3fc00000" -> 1.5).
                return MsgValue.FromDouble(reader.ReadDouble());
            case MessagePackCode.UInt64:
                return MsgValue.FromUInt64(reader.ReadUInt64());
            default:
                // fixints, uint8/16/32, int8/16/32/64: all fit a long.
                return MsgValue.FromInt64(reader.ReadInt64());
        }
    }

    private static bool TryReadArray(ref MessagePackReader reader, in MsgPackReadOptions options, int depth, out MsgValue value)
    {
        int count = reader.ReadArrayHeader();
        MsgValue[] items = count == 0 ? [] : new MsgValue[count];
        for (int i = 0; i < items.Length; i++)
        {
            if (!TryRead(ref reader, options, depth, out items[i]))
            {
                value = default;
                return false;
            }
        }
        value = MsgValue.CreateArrayNoCopy(items);
        return true;
    }

    private static bool TryReadMap(ref MessagePackReader reader, in MsgPackReadOptions options, int depth, out MsgValue value)
    {
        value = default;
        int count = reader.ReadMapHeader();
        var entries = new List<MsgMapEntry>(count);
        Dictionary<MsgValue, int>? index = count > 8 ? new Dictionary<MsgValue, int>(count) : null;
        for (int i = 0; i < count; i++)
        {
            if (!TryRead(ref reader, options, depth, out MsgValue key))
            {
                return false;
            }
            if (key.Kind is not (MsgKind.String or MsgKind.Binary))
            {
                // msgpack >= 1.0 unpacks with strict_map_key=True: "int is not allowed for map key".
                ThrowFormat($"A {key.Kind} is not allowed as a map key (strict_map_key: str or bytes only).");
            }
            if (!TryRead(ref reader, options, depth, out MsgValue item))
            {
                return false;
            }
            // A Python dict keeps one entry per key: a repeated key overwrites the value at the first position.
            int existing = FindKey(entries, index, key);
            if (existing >= 0)
            {
                entries[existing] = new MsgMapEntry(key, item);
            }
            else
            {
                index?.Add(key, entries.Count);
                entries.Add(new MsgMapEntry(key, item));
            }
        }
        value = MsgValue.CreateMapNoCopy(entries.ToArray());
        return true;
    }

    private static int FindKey(List<MsgMapEntry> entries, Dictionary<MsgValue, int>? index, in MsgValue key)
    {
        if (index is not null)
        {
            return index.TryGetValue(key, out int i) ? i : -1;
        }
        for (int i = 0; i < entries.Count; i++)
        {
            if (entries[i].Key.Equals(key))
            {
                return i;
            }
        }
        return -1;
    }

    private static MsgValue ReadExtension(sbyte typeCode, ReadOnlySequence<byte> payload, in MsgPackReadOptions options, int depth)
    {
        switch (typeCode)
        {
            case MsgPackExtensionCodes.Tuple:
            {
                MsgValue inner = ReadWholePayload(payload, options, Deeper(depth, options), "tuple (ext 0x40)");
                if (inner.Kind != MsgKind.Array)
                {
                    ThrowFormat($"A tuple (ext 0x40) must wrap a msgpack array, not a {inner.Kind}.");
                }
                return MsgValue.CreateTupleNoCopy(inner.ItemsArray);
            }
            case MsgPackExtensionCodes.DictionaryDhtValue:
                return MsgValue.FromDictionary(DictionaryDhtValueDecoder.Decode(
                    ReadWholePayload(payload, options, Deeper(depth, options), "DictionaryDHTValue (ext 0x50)")));
            default:
            {
                (byte[] array, int offset) = Materialize(payload, options);
                return MsgValue.FromExtension(new MsgExtension(typeCode, new ReadOnlyMemory<byte>(array, offset, (int)payload.Length)));
            }
        }
    }

    /// <summary>An extension payload is a complete, separate <c>unpackb</c> call: one value, nothing after it.</summary>
    private static MsgValue ReadWholePayload(ReadOnlySequence<byte> payload, in MsgPackReadOptions options, int depth, string what)
    {
        var inner = new MessagePackReader(payload);
        if (!TryRead(ref inner, options, depth, out MsgValue value))
        {
            ThrowFormat($"The {what} payload is truncated.");
        }
        if (!inner.End)
        {
            ThrowFormat($"The {what} payload has {payload.Length - inner.Consumed} bytes after its value.");
        }
        return value;
    }

    private static (byte[] Array, int Offset) Materialize(in ReadOnlySequence<byte> bytes, in MsgPackReadOptions options)
    {
        if (bytes.Length == 0)
        {
            return ([], 0);
        }
        if (options.AliasInput && bytes.IsSingleSegment && MemoryMarshal.TryGetArray(bytes.First, out ArraySegment<byte> segment))
        {
            return (segment.Array!, segment.Offset);
        }
        return (bytes.ToArray(), 0);
    }

    private static string DecodeUtf8(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            return DecodeUtf8(bytes.FirstSpan);
        }
        int length = (int)bytes.Length;
        byte[]? rented = null;
        Span<byte> buffer = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            bytes.CopyTo(buffer);
            return DecodeUtf8(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        // raw=False decodes str strictly (Python's UTF-8 codec rejects overlong forms, surrogates, bad continuation).
        if (!Utf8.IsValid(bytes))
        {
            ThrowFormat("A msgpack str is not valid UTF-8.");
        }
        return Encoding.UTF8.GetString(bytes);
    }

    [DoesNotReturn]
    internal static void ThrowFormat(string message) => throw new MsgPackFormatException(message);
}
