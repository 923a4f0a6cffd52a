using System.Text;
using MessagePack;

namespace Mesh.Kademlia.Serialization;

/// <summary>
/// Writes <see cref="MsgValue"/> trees the way <c>msgpack.dumps(obj, use_bin_type=True, strict_types=True,
/// default=_encode_ext_types)</c> does (mesh-reference §3): smallest int encodings, float64 always, str vs bin kept
/// apart, tuples as ext 0x40 and <c>DictionaryDHTValue</c> as ext 0x50 (fixext forms for 1/2/4/8/16-byte payloads).
/// An extension header carries its payload length, so each value is measured before it is written
/// (<see cref="Measure(in MsgValue)"/>); measuring is allocation-free.
/// </summary>
internal static class MsgPackEncoder
{
    /// <summary>msgpack-python's packer refuses to nest deeper than this (<c>DEFAULT_RECURSE_LIMIT</c>).</summary>
    public const int MaxDepth = 511;

    // Python's str.encode("utf-8") is strict: a lone surrogate raises UnicodeEncodeError rather than being replaced.
    internal static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static int Measure(in MsgValue value) => Measure(value, 0);

    private static int Measure(in MsgValue value, int depth)
    {
        switch (value.Kind)
        {
            case MsgKind.Nil:
            case MsgKind.Bool:
                return 1;
            case MsgKind.Integer:
                return value.IsLargeUnsigned ? 9 : MsgPackFormat.IntegerLength(value.RawBits);
            case MsgKind.Float:
                return MsgPackFormat.Float64Length;
            case MsgKind.String:
            {
                int n = Utf8Length(value.AsString());
                return MsgPackFormat.StringHeaderLength(n) + n;
            }
            case MsgKind.Binary:
                return MsgPackFormat.BinaryLength(value.AsSpan().Length);
            case MsgKind.Array:
                return MeasureArray(value.ItemsSpan, CheckDepth(depth));
            case MsgKind.Tuple:
            {
                int payload = MeasureArray(value.ItemsSpan, CheckDepth(depth));
                return MsgPackFormat.ExtensionHeaderLength(payload) + payload;
            }
            case MsgKind.Map:
            {
                ReadOnlySpan<MsgMapEntry> entries = value.EntriesSpan;
                int d = CheckDepth(depth);
                long total = MsgPackFormat.CollectionHeaderLength(entries.Length);
                foreach (MsgMapEntry e in entries)
                {
                    total += Measure(e.Key, d) + Measure(e.Value, d);
                }
                return CheckedLength(total);
            }
            case MsgKind.Extension:
            {
                int n = value.AsExtension().Data.Length;
                return MsgPackFormat.ExtensionHeaderLength(n) + n;
            }
            case MsgKind.Dictionary:
            {
                int payload = MeasureDictionaryPayload(value.AsDictionary(), CheckDepth(depth));
                return MsgPackFormat.ExtensionHeaderLength(payload) + payload;
            }
            default:
                throw new InvalidOperationException($"Unknown msgpack kind {value.Kind}.");
        }
    }

    private static int MeasureArray(ReadOnlySpan<MsgValue> items, int depth)
    {
        long total = MsgPackFormat.CollectionHeaderLength(items.Length);
        foreach (MsgValue item in items)
        {
            total += Measure(item, depth);
        }
        return CheckedLength(total);
    }

    internal static int MeasureDictionaryPayload(DictionaryDhtValue dictionary, int depth)
    {
        long total = 1 + Measure(dictionary.MaxSize, depth) + MsgPackFormat.Float64Length;
        ReadOnlySpan<DictionaryDhtItem> items = dictionary.ItemsSpan;
        total += MsgPackFormat.CollectionHeaderLength(items.Length);
        foreach (DictionaryDhtItem item in items)
        {
            total += 1 + item.PackedSubkey.Length + MsgPackFormat.BinaryLength(item.Value.Length) + MsgPackFormat.Float64Length;
        }
        return CheckedLength(total);
    }

    public static void Write(ref MessagePackWriter writer, in MsgValue value) => Write(ref writer, value, 0);

    private static void Write(ref MessagePackWriter writer, in MsgValue value, int depth)
    {
        switch (value.Kind)
        {
            case MsgKind.Nil:
                writer.WriteNil();
                break;
            case MsgKind.Bool:
                writer.Write(value.AsBoolean());
                break;
            case MsgKind.Integer:
                if (value.IsLargeUnsigned)
                {
                    writer.Write(unchecked((ulong)value.RawBits));
                }
                else
                {
                    writer.Write(value.RawBits);
                }
                break;
            case MsgKind.Float:
                writer.Write(value.AsDouble());
                break;
            case MsgKind.String:
                WriteString(ref writer, value.AsString());
                break;
            case MsgKind.Binary:
                writer.Write(value.AsSpan());
                break;
            case MsgKind.Array:
                WriteArray(ref writer, value.ItemsSpan, CheckDepth(depth));
                break;
            case MsgKind.Tuple:
            {
                int d = CheckDepth(depth);
                int payload = MeasureArray(value.ItemsSpan, d);
                writer.WriteExtensionFormatHeader(new ExtensionHeader(MsgPackExtensionCodes.Tuple, (uint)payload));
                WriteArray(ref writer, value.ItemsSpan, d);
                break;
            }
            case MsgKind.Map:
            {
                int d = CheckDepth(depth);
                ReadOnlySpan<MsgMapEntry> entries = value.EntriesSpan;
                writer.WriteMapHeader(entries.Length);
                foreach (MsgMapEntry e in entries)
                {
                    Write(ref writer, e.Key, d);
                    Write(ref writer, e.Value, d);
                }
                break;
            }
            case MsgKind.Extension:
            {
                MsgExtension ext = value.AsExtension();
                writer.WriteExtensionFormatHeader(new ExtensionHeader(ext.TypeCode, (uint)ext.Data.Length));
                writer.WriteRaw(ext.Data.Span);
                break;
            }
            case MsgKind.Dictionary:
                WriteDictionary(ref writer, value.AsDictionary(), CheckDepth(depth));
                break;
            default:
                throw new InvalidOperationException($"Unknown msgpack kind {value.Kind}.");
        }
    }

    private static void WriteArray(ref MessagePackWriter writer, ReadOnlySpan<MsgValue> items, int depth)
    {
        writer.WriteArrayHeader(items.Length);
        foreach (MsgValue item in items)
        {
            Write(ref writer, item, depth);
        }
    }

    internal static void WriteDictionary(ref MessagePackWriter writer, DictionaryDhtValue dictionary, int depth)
    {
        int payload = MeasureDictionaryPayload(dictionary, depth);
        writer.WriteExtensionFormatHeader(new ExtensionHeader(MsgPackExtensionCodes.DictionaryDhtValue, (uint)payload));
        writer.WriteArrayHeader(3);
        Write(ref writer, dictionary.MaxSize, depth);
        writer.Write(dictionary.LatestExpirationTime);
        ReadOnlySpan<DictionaryDhtItem> items = dictionary.ItemsSpan;
        writer.WriteArrayHeader(items.Length);
        foreach (DictionaryDhtItem item in items)
        {
            writer.WriteArrayHeader(3);
            writer.WriteRaw(item.PackedSubkey.Span);
            writer.Write(item.Value.Span);
            writer.Write(item.ExpirationTime);
        }
    }

    /// <summary>str header + strict UTF-8, encoded straight into the writer's buffer.</summary>
    public static void WriteString(ref MessagePackWriter writer, string value)
    {
        int n = Utf8Length(value);
        writer.WriteStringHeader(n);
        if (n > 0)
        {
            Span<byte> span = writer.GetSpan(n);
            s_strictUtf8.GetBytes(value, span);
            writer.Advance(n);
        }
    }

    public static int Utf8Length(string value)
    {
        try
        {
            return s_strictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("The string contains a lone surrogate and cannot be encoded as UTF-8 (Python raises UnicodeEncodeError).", nameof(value), ex);
        }
    }

    private static int CheckDepth(int depth)
    {
        if (depth >= MaxDepth)
        {
            throw new ArgumentException($"The value nests deeper than {MaxDepth} levels (msgpack-python refuses it too).");
        }
        return depth + 1;
    }

    private static int CheckedLength(long total)
    {
        if (total > int.MaxValue)
        {
            throw new ArgumentException("The encoded value would exceed 2 GiB.");
        }
        return (int)total;
    }
}
