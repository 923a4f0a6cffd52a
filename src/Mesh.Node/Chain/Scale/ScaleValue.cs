using System.Numerics;
using System.Text;

namespace Mesh.Node.Chain.Scale;

/// <summary>What a <see cref="ScaleValue"/> holds.</summary>
public enum ScaleValueKind : byte
{
    Bool,
    Integer,
    Text,
    Bytes,
    Composite,
    Variant,
    Sequence,
    BitSequence,
}

/// <summary>A field of a composite or of a variant: its name (null for tuple-like fields) and value.</summary>
public readonly record struct ScaleField(string? Name, ScaleValue Value);

/// <summary>
/// A dynamically typed SCALE value: what <see cref="ScaleCodec"/> decodes any registry type into, and what it encodes
/// from, guided by the type. Integers of every width (and compact integers) are <see cref="ScaleValueKind.Integer"/>;
/// <c>Vec&lt;u8&gt;</c> and <c>[u8; N]</c> are <see cref="ScaleValueKind.Bytes"/>; structs and tuples are composites;
/// enums (including <c>Option</c> and <c>Result</c>) are variants. Immutable.
/// </summary>
public sealed class ScaleValue
{
    private static readonly ScaleField[] s_noFields = [];

    private readonly object? _payload;

    private ScaleValue(ScaleValueKind kind, object? payload, BigInteger integer = default, bool flag = false,
        string? variantName = null, byte variantIndex = 0)
    {
        Kind = kind;
        _payload = payload;
        Integer = integer;
        Flag = flag;
        VariantName = variantName;
        VariantIndex = variantIndex;
    }

    public ScaleValueKind Kind { get; }

    private BigInteger Integer { get; }

    private bool Flag { get; }

    /// <summary>For variants: the variant's name (may be null when built by index only).</summary>
    public string? VariantName { get; }

    /// <summary>For variants: the wire index (meaningful for decoded values and values built by index).</summary>
    public byte VariantIndex { get; }

    // ---- construction ----

    public static ScaleValue Bool(bool value) => new(ScaleValueKind.Bool, null, flag: value);

    public static ScaleValue Int(BigInteger value) => new(ScaleValueKind.Integer, null, integer: value);

    public static ScaleValue Int(UInt128 value) => new(ScaleValueKind.Integer, null, integer: (BigInteger)value);

    public static ScaleValue Int(ulong value) => new(ScaleValueKind.Integer, null, integer: value);

    public static ScaleValue Int(long value) => new(ScaleValueKind.Integer, null, integer: value);

    public static ScaleValue Text(string value) => new(ScaleValueKind.Text, value);

    public static ScaleValue Bytes(byte[] value) => new(ScaleValueKind.Bytes, value);

    public static ScaleValue Bytes(ReadOnlySpan<byte> value) => new(ScaleValueKind.Bytes, value.ToArray());

    /// <summary>UTF-8 bytes of <paramref name="text"/> as a byte vector (peer ids, names, multiaddrs go on chain so).</summary>
    public static ScaleValue Utf8(string text) => new(ScaleValueKind.Bytes, Encoding.UTF8.GetBytes(text));

    public static ScaleValue Composite(params ScaleField[] fields) => new(ScaleValueKind.Composite, fields);

    /// <summary>A struct with named fields, in any order (the codec matches them to the type by name).</summary>
    public static ScaleValue Record(params (string Name, ScaleValue Value)[] fields)
    {
        var f = new ScaleField[fields.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            f[i] = new ScaleField(fields[i].Name, fields[i].Value);
        }
        return new(ScaleValueKind.Composite, f);
    }

    /// <summary>A tuple (unnamed fields, positional).</summary>
    public static ScaleValue Tuple(params ScaleValue[] values)
    {
        var f = new ScaleField[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            f[i] = new ScaleField(null, values[i]);
        }
        return new(ScaleValueKind.Composite, f);
    }

    public static ScaleValue Variant(string name, params ScaleField[] fields) =>
        new(ScaleValueKind.Variant, fields, variantName: name);

    public static ScaleValue Variant(string name, byte index, ScaleField[] fields) =>
        new(ScaleValueKind.Variant, fields, variantName: name, variantIndex: index);

    /// <summary>A variant whose fields are positional values.</summary>
    public static ScaleValue VariantOf(string name, params ScaleValue[] values) =>
        new(ScaleValueKind.Variant, Tuple(values).Fields, variantName: name);

    public static ScaleValue Sequence(params ScaleValue[] items) => new(ScaleValueKind.Sequence, items);

    public static ScaleValue Sequence(IEnumerable<ScaleValue> items) => new(ScaleValueKind.Sequence, items.ToArray());

    public static ScaleValue Bits(bool[] bits) => new(ScaleValueKind.BitSequence, bits);

    public static ScaleValue None { get; } = new(ScaleValueKind.Variant, s_noFields, variantName: "None", variantIndex: 0);

    public static ScaleValue Some(ScaleValue value) => VariantOf("Some", value);

    /// <summary><c>Some(value)</c>, or <c>None</c> when <paramref name="value"/> is null.</summary>
    public static ScaleValue Option(ScaleValue? value) => value is null ? None : Some(value);

    /// <summary>A <c>BTreeMap</c>: a sequence of (key, value) tuples. The codec sorts it by key as Rust's Ord does.</summary>
    public static ScaleValue Map(IEnumerable<(ScaleValue Key, ScaleValue Value)> entries) =>
        Sequence(entries.Select(e => Tuple(e.Key, e.Value)));

    /// <summary>A <c>BTreeSet</c>: a sequence; the codec sorts it as Rust's Ord does.</summary>
    public static ScaleValue Set(IEnumerable<ScaleValue> items) => Sequence(items);

    public static implicit operator ScaleValue(uint value) => Int((ulong)value);

    public static implicit operator ScaleValue(ulong value) => Int(value);

    public static implicit operator ScaleValue(UInt128 value) => Int(value);

    public static implicit operator ScaleValue(bool value) => Bool(value);

    public static implicit operator ScaleValue(byte[] value) => Bytes(value);

    // ---- access ----

    public bool AsBool() => Kind == ScaleValueKind.Bool ? Flag : Mismatch<bool>("bool");

    public BigInteger AsInteger() => Kind == ScaleValueKind.Integer ? Integer : Unwrapped(ScaleValueKind.Integer).Integer;

    public uint AsU32() => Narrow<uint>(AsInteger(), uint.MaxValue, "u32");

    public ulong AsU64() => Narrow<ulong>(AsInteger(), ulong.MaxValue, "u64");

    public UInt128 AsU128()
    {
        BigInteger v = AsInteger();
        if (v.Sign < 0 || v > (BigInteger)UInt128.MaxValue)
        {
            Mismatch<UInt128>("u128");
        }
        return (UInt128)v;
    }

    public byte AsU8() => Narrow<byte>(AsInteger(), byte.MaxValue, "u8");

    public string AsText() => Kind == ScaleValueKind.Text ? (string)_payload! : Unwrapped(ScaleValueKind.Text).AsText();

    /// <summary>The bytes of a byte vector / byte array (through single-field wrappers such as BoundedVec).</summary>
    public byte[] AsBytes()
    {
        if (Kind == ScaleValueKind.Bytes)
        {
            return (byte[])_payload!;
        }
        ScaleValue inner = Unwrapped(ScaleValueKind.Bytes);
        return (byte[])inner._payload!;
    }

    /// <summary>UTF-8 text of a byte vector (names, peer ids), or of a text value.</summary>
    public string AsUtf8() => Kind == ScaleValueKind.Text ? (string)_payload! : Encoding.UTF8.GetString(AsBytes());

    /// <summary>Fields of a composite or a variant.</summary>
    public IReadOnlyList<ScaleField> Fields => Kind is ScaleValueKind.Composite or ScaleValueKind.Variant
        ? (ScaleField[])_payload!
        : Mismatch<ScaleField[]>("composite or variant");

    /// <summary>Items of a sequence (or of a single-field wrapper around one, such as BTreeSet/BoundedVec).</summary>
    public IReadOnlyList<ScaleValue> Items => Kind == ScaleValueKind.Sequence
        ? (ScaleValue[])_payload!
        : Kind == ScaleValueKind.Bytes
            ? ((byte[])_payload!).Select(b => Int((ulong)b)).ToArray()
            : Unwrapped(ScaleValueKind.Sequence).Items;

    public bool[] AsBits() => Kind == ScaleValueKind.BitSequence ? (bool[])_payload! : Mismatch<bool[]>("bit sequence");

    /// <summary>The field named <paramref name="name"/>; a <see cref="ChainDecodeException"/> if absent.</summary>
    public ScaleValue this[string name]
    {
        get
        {
            foreach (ScaleField f in Fields)
            {
                if (f.Name == name)
                {
                    return f.Value;
                }
            }
            return ChainThrow.Decode<ScaleValue>($"value has no field '{name}'");
        }
    }

    /// <summary>The field at <paramref name="index"/> (composites, variants) or the item (sequences).</summary>
    public ScaleValue this[int index]
    {
        get
        {
            if (Kind == ScaleValueKind.Sequence)
            {
                var items = (ScaleValue[])_payload!;
                return (uint)index < (uint)items.Length ? items[index] : ChainThrow.Decode<ScaleValue>($"no item {index}");
            }
            IReadOnlyList<ScaleField> fields = Fields;
            return (uint)index < (uint)fields.Count ? fields[index].Value : ChainThrow.Decode<ScaleValue>($"no field {index}");
        }
    }

    public bool IsVariant(string name) => Kind == ScaleValueKind.Variant && VariantName == name;

    /// <summary>For an <c>Option</c>: the inner value, or null for None.</summary>
    public ScaleValue? AsOption()
    {
        if (Kind != ScaleValueKind.Variant)
        {
            return Mismatch<ScaleValue?>("Option");
        }
        return VariantName switch
        {
            "None" => null,
            "Some" => this[0],
            _ => Mismatch<ScaleValue?>("Option"),
        };
    }

    /// <summary>Follows single-field composites down to the first value of kind <paramref name="kind"/>.</summary>
    private ScaleValue Unwrapped(ScaleValueKind kind)
    {
        ScaleValue v = this;
        for (int guard = 0; guard < 32 && v.Kind != kind; guard++)
        {
            if (v.Kind == ScaleValueKind.Composite && ((ScaleField[])v._payload!).Length == 1)
            {
                v = ((ScaleField[])v._payload!)[0].Value;
            }
            else
            {
                break;
            }
        }
        return v.Kind == kind ? v : Mismatch<ScaleValue>(kind.ToString());
    }

    private static T Narrow<T>(BigInteger v, T max, string what)
        where T : IBinaryInteger<T>
    {
        if (v.Sign < 0 || v > BigInteger.CreateTruncating(max))
        {
            ChainThrow.Decode($"integer {v} does not fit in {what}");
        }
        return T.CreateTruncating(v);
    }

    private T Mismatch<T>(string expected) =>
        ChainThrow.Decode<T>($"expected a {expected} value, got {Kind}{(VariantName is null ? "" : " " + VariantName)}");

    public override string ToString()
    {
        var sb = new StringBuilder();
        Append(sb, 0);
        return sb.ToString();
    }

    private void Append(StringBuilder sb, int depth)
    {
        if (depth > 16)
        {
            sb.Append('…');
            return;
        }
        switch (Kind)
        {
            case ScaleValueKind.Bool:
                sb.Append(Flag ? "true" : "false");
                break;
            case ScaleValueKind.Integer:
                sb.Append(Integer.ToString());
                break;
            case ScaleValueKind.Text:
                sb.Append('"').Append((string)_payload!).Append('"');
                break;
            case ScaleValueKind.Bytes:
                sb.Append("0x").Append(Convert.ToHexStringLower((byte[])_payload!));
                break;
            case ScaleValueKind.BitSequence:
                foreach (bool b in (bool[])_payload!)
                {
                    sb.Append(b ? '1' : '0');
                }
                break;
            case ScaleValueKind.Sequence:
                sb.Append('[');
                var items = (ScaleValue[])_payload!;
                for (int i = 0; i < items.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    items[i].Append(sb, depth + 1);
                }
                sb.Append(']');
                break;
            default:
                if (Kind == ScaleValueKind.Variant)
                {
                    sb.Append(VariantName ?? VariantIndex.ToString());
                }
                var fields = (ScaleField[])_payload!;
                if (fields.Length == 0 && Kind == ScaleValueKind.Variant)
                {
                    break;
                }
                sb.Append(fields.Length > 0 && fields[0].Name is not null ? " { " : "(");
                for (int i = 0; i < fields.Length; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }
                    if (fields[i].Name is string n)
                    {
                        sb.Append(n).Append(": ");
                    }
                    fields[i].Value.Append(sb, depth + 1);
                }
                sb.Append(fields.Length > 0 && fields[0].Name is not null ? " }" : ")");
                break;
        }
    }
}
