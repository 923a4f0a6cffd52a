using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Mesh.Node.Chain.Metadata;

namespace Mesh.Node.Chain.Scale;

/// <summary>
/// Encodes and decodes <see cref="ScaleValue"/>s against a type of the runtime's <see cref="PortableRegistry"/>, so that
/// calls, storage keys and values, constants and events follow the chain's own metadata instead of hard-coded layouts.
/// SCALE rules (parity-scale-codec): structs and tuples are their fields in order; enums a u8 variant index then the
/// fields; <c>Vec&lt;T&gt;</c> a compact count then the items; <c>[T; N]</c> the items; <c>Compact&lt;T&gt;</c> the
/// compact encoding; integers fixed-width little-endian; <c>BTreeMap</c>/<c>BTreeSet</c> a vector sorted by key with
/// Rust's <c>Ord</c> (which encoding applies).
/// Decoding is bounded: nesting is limited to <see cref="MaxDepth"/>, and collection lengths are checked against the
/// remaining input before anything is allocated.
/// </summary>
public static class ScaleCodec
{
    /// <summary>Deepest type nesting accepted (runtime types nest a dozen levels at most; recursion through hostile
    /// metadata or input must end in a typed error, not a stack overflow).</summary>
    public const int MaxDepth = 96;

    public static ScaleValue Decode(PortableRegistry types, int typeId, ReadOnlySpan<byte> data)
    {
        var reader = new ScaleReader(data);
        ScaleValue value = Decode(types, typeId, ref reader);
        reader.EnsureEnd(types[typeId].ToString());
        return value;
    }

    public static ScaleValue Decode(PortableRegistry types, int typeId, ref ScaleReader reader) =>
        DecodeAt(types, typeId, ref reader, 0);

    private static ScaleValue DecodeAt(PortableRegistry types, int typeId, ref ScaleReader r, int depth)
    {
        if (depth > MaxDepth)
        {
            ChainThrow.Decode($"type nesting deeper than {MaxDepth} (recursive type or hostile input)");
        }
        PortableType t = types[typeId];
        switch (t.Kind)
        {
            case TypeDefKind.Composite:
                {
                    ScaleValue value = ScaleValue.Composite(DecodeFields(types, t.Fields, ref r, depth));
                    return IsOrderedCollection(t) ? Canonicalize(types, t, value) : value;
                }
            case TypeDefKind.Variant:
                {
                    byte index = r.ReadU8();
                    TypeVariant? v = t.VariantByIndex(index);
                    if (v is null)
                    {
                        ChainThrow.Decode($"{t}: no variant with index {index}");
                    }
                    return ScaleValue.Variant(v.Name, index, DecodeFields(types, v.Fields, ref r, depth));
                }
            case TypeDefKind.Sequence:
                {
                    if (types.IsU8(t.ElementTypeId))
                    {
                        return ScaleValue.Bytes(r.ReadByteVec());
                    }
                    int n = r.ReadLength(Math.Max(1, MinEncodedSize(types, t.ElementTypeId, 0)));
                    var items = new ScaleValue[n];
                    for (int i = 0; i < n; i++)
                    {
                        items[i] = DecodeAt(types, t.ElementTypeId, ref r, depth + 1);
                    }
                    return ScaleValue.Sequence(items);
                }
            case TypeDefKind.Array:
                {
                    if (types.IsU8(t.ElementTypeId))
                    {
                        return ScaleValue.Bytes(r.ReadBytes(checked((int)Math.Min(t.ArrayLength, int.MaxValue))));
                    }
                    int min = MinEncodedSize(types, t.ElementTypeId, 0);
                    if (min > 0 && t.ArrayLength > (uint)(r.Remaining / min))
                    {
                        ChainThrow.Truncated(min * (int)Math.Min(t.ArrayLength, int.MaxValue / Math.Max(min, 1)), r.Remaining);
                    }
                    if (t.ArrayLength > 1 << 20)
                    {
                        ChainThrow.Decode($"{t}: array of {t.ArrayLength} elements is too large to decode");
                    }
                    var items = new ScaleValue[t.ArrayLength];
                    for (int i = 0; i < items.Length; i++)
                    {
                        items[i] = DecodeAt(types, t.ElementTypeId, ref r, depth + 1);
                    }
                    return ScaleValue.Sequence(items);
                }
            case TypeDefKind.Tuple:
                {
                    var fields = new ScaleField[t.TupleTypeIds.Length];
                    for (int i = 0; i < fields.Length; i++)
                    {
                        fields[i] = new ScaleField(null, DecodeAt(types, t.TupleTypeIds[i], ref r, depth + 1));
                    }
                    return ScaleValue.Composite(fields);
                }
            case TypeDefKind.Primitive:
                return DecodePrimitive(t.Primitive, ref r);
            case TypeDefKind.Compact:
                {
                    UInt128 v = r.ReadCompact();
                    PortableType inner = types.Unwrap(t.ElementTypeId);
                    if (inner.Kind == TypeDefKind.Primitive && v > MaxOf(inner.Primitive))
                    {
                        ChainThrow.Decode($"compact value {v} does not fit in {inner.Primitive}");
                    }
                    ScaleValue value = ScaleValue.Int(v);
                    // Compact<Wrapper(u32)> keeps the wrapper's shape.
                    PortableType outer = types[t.ElementTypeId];
                    return outer.Kind == TypeDefKind.Composite && outer.Fields.Length == 1
                        ? ScaleValue.Composite(new ScaleField(outer.Fields[0].Name, value))
                        : value;
                }
            case TypeDefKind.BitSequence:
                return DecodeBits(types, t, ref r);
            default:
                return ChainThrow.Decode<ScaleValue>($"{t}: unknown type kind");
        }
    }

    /// <summary>
    /// A decoded BTreeMap/BTreeSet as Rust's <c>Decode</c> builds it: entries inserted one by one, so the result is
    /// sorted by key and a repeated key keeps its last value. Re-encoding it is therefore canonical.
    /// </summary>
    private static ScaleValue Canonicalize(PortableRegistry types, PortableType t, ScaleValue value)
    {
        PortableType seq = types[t.Fields[0].TypeId];
        if (seq.Kind != TypeDefKind.Sequence || value[0].Kind != ScaleValueKind.Sequence)
        {
            return value;
        }
        bool isMap = t.Name == "BTreeMap";
        int keyType = seq.ElementTypeId;
        if (isMap)
        {
            PortableType pair = types[seq.ElementTypeId];
            if (pair.Kind != TypeDefKind.Tuple || pair.TupleTypeIds.Length != 2)
            {
                return value;
            }
            keyType = pair.TupleTypeIds[0];
        }
        IReadOnlyList<ScaleValue> items = value[0].Items;
        if (items.Count < 2)
        {
            return value;
        }
        // Sort by (key, position), then keep the last of each run of equal keys: O(n log n) even for hostile input.
        var order = new (ScaleValue Item, int Position)[items.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = (items[i], i);
        }
        Array.Sort(order, (a, b) =>
        {
            int c = Compare(types, keyType, isMap ? a.Item[0] : a.Item, isMap ? b.Item[0] : b.Item, 0);
            return c != 0 ? c : a.Position.CompareTo(b.Position);
        });
        var sorted = new List<ScaleValue>(order.Length);
        for (int i = 0; i < order.Length; i++)
        {
            bool lastOfRun = i == order.Length - 1
                || Compare(types, keyType, isMap ? order[i].Item[0] : order[i].Item, isMap ? order[i + 1].Item[0] : order[i + 1].Item, 0) != 0;
            if (lastOfRun)
            {
                sorted.Add(order[i].Item);
            }
        }
        return ScaleValue.Composite(new ScaleField(t.Fields[0].Name, ScaleValue.Sequence(sorted.ToArray())));
    }

    private static ScaleField[] DecodeFields(PortableRegistry types, TypeField[] fields, ref ScaleReader r, int depth)
    {
        if (fields.Length == 0)
        {
            return [];
        }
        var result = new ScaleField[fields.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            result[i] = new ScaleField(fields[i].Name, DecodeAt(types, fields[i].TypeId, ref r, depth + 1));
        }
        return result;
    }

    private static ScaleValue DecodePrimitive(PrimitiveKind kind, ref ScaleReader r) => kind switch
    {
        PrimitiveKind.Bool => ScaleValue.Bool(r.ReadBool()),
        PrimitiveKind.Char => DecodeChar(r.ReadU32()),
        PrimitiveKind.Str => ScaleValue.Text(r.ReadString()),
        PrimitiveKind.U8 => ScaleValue.Int((ulong)r.ReadU8()),
        PrimitiveKind.U16 => ScaleValue.Int((ulong)r.ReadU16()),
        PrimitiveKind.U32 => ScaleValue.Int((ulong)r.ReadU32()),
        PrimitiveKind.U64 => ScaleValue.Int(r.ReadU64()),
        PrimitiveKind.U128 => ScaleValue.Int(r.ReadU128()),
        PrimitiveKind.U256 => ScaleValue.Int(new BigInteger(r.ReadBytes(32), isUnsigned: true, isBigEndian: false)),
        PrimitiveKind.I8 => ScaleValue.Int((long)r.ReadI8()),
        PrimitiveKind.I16 => ScaleValue.Int((long)r.ReadI16()),
        PrimitiveKind.I32 => ScaleValue.Int((long)r.ReadI32()),
        PrimitiveKind.I64 => ScaleValue.Int(r.ReadI64()),
        PrimitiveKind.I128 => ScaleValue.Int((BigInteger)r.ReadI128()),
        PrimitiveKind.I256 => ScaleValue.Int(new BigInteger(r.ReadBytes(32), isUnsigned: false, isBigEndian: false)),
        _ => ChainThrow.Decode<ScaleValue>($"unknown primitive {kind}"),
    };

    private static ScaleValue DecodeChar(uint scalar)
    {
        if (!Rune.IsValid(scalar))
        {
            ChainThrow.Decode($"0x{scalar:x} is not a Unicode scalar value");
        }
        return ScaleValue.Text(new Rune(scalar).ToString());
    }

    private static ScaleValue DecodeBits(PortableRegistry types, PortableType t, ref ScaleReader r)
    {
        (int storeBytes, bool msb0) = BitLayout(types, t);
        ulong bitCount = r.ReadCompactU64();
        ulong words = (bitCount + (ulong)(storeBytes * 8) - 1) / (ulong)(storeBytes * 8);
        if (words > (ulong)(r.Remaining / storeBytes))
        {
            ChainThrow.Truncated((int)Math.Min(words * (ulong)storeBytes, int.MaxValue), r.Remaining);
        }
        ReadOnlySpan<byte> raw = r.ReadBytes((int)words * storeBytes);
        var bits = new bool[bitCount];
        int wordBits = storeBytes * 8;
        for (int i = 0; i < bits.Length; i++)
        {
            int word = i / wordBits;
            int bit = i % wordBits;
            ulong w = ReadWord(raw.Slice(word * storeBytes, storeBytes));
            int shift = msb0 ? wordBits - 1 - bit : bit;
            bits[i] = ((w >> shift) & 1) != 0;
        }
        return ScaleValue.Bits(bits);
    }

    private static ulong ReadWord(ReadOnlySpan<byte> s) => s.Length switch
    {
        1 => s[0],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(s),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(s),
        _ => BinaryPrimitives.ReadUInt64LittleEndian(s),
    };

    private static (int StoreBytes, bool Msb0) BitLayout(PortableRegistry types, PortableType t)
    {
        PortableType store = types[t.BitStoreTypeId];
        int storeBytes = store.Kind == TypeDefKind.Primitive
            ? store.Primitive switch
            {
                PrimitiveKind.U8 => 1,
                PrimitiveKind.U16 => 2,
                PrimitiveKind.U32 => 4,
                PrimitiveKind.U64 => 8,
                _ => 0,
            }
            : 0;
        if (storeBytes == 0)
        {
            ChainThrow.Decode($"{t}: unsupported bit store type {store}");
        }
        bool msb0 = types[t.BitOrderTypeId].Name == "Msb0";
        return (storeBytes, msb0);
    }

    private static UInt128 MaxOf(PrimitiveKind p) => p switch
    {
        PrimitiveKind.U8 => byte.MaxValue,
        PrimitiveKind.U16 => ushort.MaxValue,
        PrimitiveKind.U32 => uint.MaxValue,
        PrimitiveKind.U64 => ulong.MaxValue,
        _ => UInt128.MaxValue,
    };

    /// <summary>The fewest bytes any value of the type encodes to (0 for unit types); used to bound lengths.</summary>
    internal static int MinEncodedSize(PortableRegistry types, int typeId, int depth)
    {
        if (depth > 16)
        {
            return 0;
        }
        PortableType t = types[typeId];
        switch (t.Kind)
        {
            case TypeDefKind.Primitive:
                return t.Primitive switch
                {
                    PrimitiveKind.Bool or PrimitiveKind.U8 or PrimitiveKind.I8 or PrimitiveKind.Str => 1,
                    PrimitiveKind.U16 or PrimitiveKind.I16 => 2,
                    PrimitiveKind.U32 or PrimitiveKind.I32 or PrimitiveKind.Char => 4,
                    PrimitiveKind.U64 or PrimitiveKind.I64 => 8,
                    PrimitiveKind.U128 or PrimitiveKind.I128 => 16,
                    _ => 32,
                };
            case TypeDefKind.Compact or TypeDefKind.Sequence or TypeDefKind.BitSequence or TypeDefKind.Variant:
                return 1;
            case TypeDefKind.Array:
                return (int)Math.Min((long)t.ArrayLength * MinEncodedSize(types, t.ElementTypeId, depth + 1), 1 << 20);
            case TypeDefKind.Tuple:
                {
                    int sum = 0;
                    foreach (int id in t.TupleTypeIds)
                    {
                        sum = Math.Min(sum + MinEncodedSize(types, id, depth + 1), 1 << 20);
                    }
                    return sum;
                }
            default:
                {
                    int sum = 0;
                    foreach (TypeField f in t.Fields)
                    {
                        sum = Math.Min(sum + MinEncodedSize(types, f.TypeId, depth + 1), 1 << 20);
                    }
                    return sum;
                }
        }
    }

    // ------------------------------------------------------------------ encoding

    /// <summary>Encodes <paramref name="value"/> as registry type <paramref name="typeId"/>.</summary>
    /// <exception cref="ArgumentException">The value does not have the type's shape (wrong field, width, length).</exception>
    public static void Encode(PortableRegistry types, int typeId, ScaleValue value, ScaleWriter w) =>
        EncodeAt(types, typeId, value, w, 0, "");

    public static byte[] Encode(PortableRegistry types, int typeId, ScaleValue value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        Encode(types, typeId, value, new ScaleWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    private static void EncodeAt(PortableRegistry types, int typeId, ScaleValue value, ScaleWriter w, int depth, string path)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"{path}: value nests deeper than {MaxDepth}");
        }
        PortableType t = types[typeId];
        switch (t.Kind)
        {
            case TypeDefKind.Composite:
                {
                    if (IsOrderedCollection(t) && value.Kind is ScaleValueKind.Sequence or ScaleValueKind.Bytes)
                    {
                        EncodeSorted(types, t, value, w, depth, path);
                        return;
                    }
                    ScaleValue[] fields = MatchFields(t.Fields, value, path, t.ToString());
                    for (int i = 0; i < fields.Length; i++)
                    {
                        EncodeAt(types, t.Fields[i].TypeId, fields[i], w, depth + 1, path + "." + (t.Fields[i].Name ?? i.ToString()));
                    }
                    return;
                }
            case TypeDefKind.Variant:
                {
                    if (value.Kind != ScaleValueKind.Variant)
                    {
                        throw new ArgumentException($"{path}: {t} needs a variant value, got {value.Kind}");
                    }
                    TypeVariant? v = value.VariantName is string name ? t.VariantByName(name) : t.VariantByIndex(value.VariantIndex);
                    if (v is null)
                    {
                        throw new ArgumentException($"{path}: {t} has no variant '{value.VariantName ?? value.VariantIndex.ToString()}'");
                    }
                    w.WriteU8(v.Index);
                    ScaleValue[] fields = MatchFields(v.Fields, value, path, v.Name);
                    for (int i = 0; i < fields.Length; i++)
                    {
                        EncodeAt(types, v.Fields[i].TypeId, fields[i], w, depth + 1, path + "." + v.Name);
                    }
                    return;
                }
            case TypeDefKind.Sequence:
                {
                    if (types.IsU8(t.ElementTypeId) && value.Kind is ScaleValueKind.Bytes or ScaleValueKind.Text)
                    {
                        w.WriteByteVec(value.Kind == ScaleValueKind.Bytes ? value.AsBytes() : Encoding.UTF8.GetBytes(value.AsText()));
                        return;
                    }
                    IReadOnlyList<ScaleValue> items = ItemsOf(value, path);
                    w.WriteCompact((uint)items.Count);
                    foreach (ScaleValue item in items)
                    {
                        EncodeAt(types, t.ElementTypeId, item, w, depth + 1, path + "[]");
                    }
                    return;
                }
            case TypeDefKind.Array:
                {
                    if (types.IsU8(t.ElementTypeId) && value.Kind == ScaleValueKind.Bytes)
                    {
                        byte[] bytes = value.AsBytes();
                        if (bytes.Length != t.ArrayLength)
                        {
                            throw new ArgumentException($"{path}: {t} needs exactly {t.ArrayLength} bytes, got {bytes.Length}");
                        }
                        w.WriteRaw(bytes);
                        return;
                    }
                    IReadOnlyList<ScaleValue> items = ItemsOf(value, path);
                    if (items.Count != t.ArrayLength)
                    {
                        throw new ArgumentException($"{path}: {t} needs exactly {t.ArrayLength} items, got {items.Count}");
                    }
                    foreach (ScaleValue item in items)
                    {
                        EncodeAt(types, t.ElementTypeId, item, w, depth + 1, path + "[]");
                    }
                    return;
                }
            case TypeDefKind.Tuple:
                {
                    if (t.TupleTypeIds.Length == 0)
                    {
                        return;
                    }
                    if (t.TupleTypeIds.Length == 1 && value.Kind != ScaleValueKind.Composite)
                    {
                        EncodeAt(types, t.TupleTypeIds[0], value, w, depth + 1, path);
                        return;
                    }
                    IReadOnlyList<ScaleField> fields = value.Kind == ScaleValueKind.Composite
                        ? value.Fields
                        : throw new ArgumentException($"{path}: a tuple needs a composite value, got {value.Kind}");
                    if (fields.Count != t.TupleTypeIds.Length)
                    {
                        throw new ArgumentException($"{path}: tuple of {t.TupleTypeIds.Length} needs as many values, got {fields.Count}");
                    }
                    for (int i = 0; i < fields.Count; i++)
                    {
                        EncodeAt(types, t.TupleTypeIds[i], fields[i].Value, w, depth + 1, path + "." + i);
                    }
                    return;
                }
            case TypeDefKind.Primitive:
                EncodePrimitive(t.Primitive, value, w, path);
                return;
            case TypeDefKind.Compact:
                {
                    PortableType inner = types.Unwrap(t.ElementTypeId);
                    BigInteger v = value.AsInteger();
                    UInt128 max = inner.Kind == TypeDefKind.Primitive ? MaxOf(inner.Primitive) : UInt128.MaxValue;
                    if (v.Sign < 0 || v > (BigInteger)max)
                    {
                        throw new ArgumentException($"{path}: {v} is out of range for Compact<{inner.Primitive}>");
                    }
                    w.WriteCompact((UInt128)v);
                    return;
                }
            case TypeDefKind.BitSequence:
                {
                    (int storeBytes, bool msb0) = BitLayout(types, t);
                    bool[] bits = value.AsBits();
                    w.WriteCompact((uint)bits.Length);
                    int wordBits = storeBytes * 8;
                    int words = (bits.Length + wordBits - 1) / wordBits;
                    Span<byte> word = stackalloc byte[8];
                    for (int wi = 0; wi < words; wi++)
                    {
                        ulong acc = 0;
                        for (int b = 0; b < wordBits && wi * wordBits + b < bits.Length; b++)
                        {
                            if (bits[wi * wordBits + b])
                            {
                                acc |= 1UL << (msb0 ? wordBits - 1 - b : b);
                            }
                        }
                        BinaryPrimitives.WriteUInt64LittleEndian(word, acc);
                        w.WriteRaw(word[..storeBytes]);
                    }
                    return;
                }
        }
    }

    private static IReadOnlyList<ScaleValue> ItemsOf(ScaleValue value, string path) =>
        value.Kind is ScaleValueKind.Sequence or ScaleValueKind.Bytes
            ? value.Items
            : throw new ArgumentException($"{path}: needs a sequence, got {value.Kind}");

    private static bool IsOrderedCollection(PortableType t) =>
        t.Fields.Length == 1 && t.Name is "BTreeMap" or "BTreeSet";

    /// <summary>BTreeMap/BTreeSet: encode the items in Rust <c>Ord</c> order of the key; duplicates are refused.</summary>
    private static void EncodeSorted(PortableRegistry types, PortableType t, ScaleValue value, ScaleWriter w, int depth, string path)
    {
        PortableType seq = types[t.Fields[0].TypeId];
        if (seq.Kind != TypeDefKind.Sequence)
        {
            throw new ArgumentException($"{path}: {t} is not a sequence wrapper");
        }
        bool isMap = t.Name == "BTreeMap";
        int keyType = seq.ElementTypeId;
        if (isMap)
        {
            PortableType pair = types[seq.ElementTypeId];
            keyType = pair.Kind == TypeDefKind.Tuple && pair.TupleTypeIds.Length == 2
                ? pair.TupleTypeIds[0]
                : throw new ArgumentException($"{path}: {t} items are not (key, value) pairs");
        }
        ScaleValue[] items = [.. value.Items];
        Comparison<ScaleValue> compare = (a, b) => Compare(types, keyType, isMap ? a[0] : a, isMap ? b[0] : b, 0);
        Array.Sort(items, compare);
        for (int i = 1; i < items.Length; i++)
        {
            if (compare(items[i - 1], items[i]) == 0)
            {
                throw new ArgumentException($"{path}: {t} holds the same key twice");
            }
        }
        w.WriteCompact((uint)items.Length);
        foreach (ScaleValue item in items)
        {
            EncodeAt(types, seq.ElementTypeId, item, w, depth + 1, path + "[]");
        }
    }

    /// <summary>Orders the type's fields from <paramref name="value"/>: by name when the type's fields are named and
    /// the value's are, else by position; a single-field type also takes a bare value (transparent wrappers such as
    /// <c>BoundedVec</c> or <c>OpaquePeerId</c>).</summary>
    private static ScaleValue[] MatchFields(TypeField[] fields, ScaleValue value, string path, string what)
    {
        if (fields.Length == 0)
        {
            return [];
        }
        bool isComposite = value.Kind is ScaleValueKind.Composite or ScaleValueKind.Variant;
        if (!isComposite || (fields.Length == 1 && value.Kind == ScaleValueKind.Composite && value.Fields.Count == 1
                && value.Fields[0].Name is not null && value.Fields[0].Name != fields[0].Name))
        {
            if (fields.Length == 1)
            {
                return [value];
            }
            throw new ArgumentException($"{path}: {what} has {fields.Length} fields; got a {value.Kind}");
        }
        IReadOnlyList<ScaleField> given = value.Fields;
        if (fields.Length == 1 && given.Count == 1 && value.Kind == ScaleValueKind.Composite && given[0].Name is null && fields[0].Name is not null)
        {
            return [given[0].Value];
        }
        if (given.Count != fields.Length)
        {
            if (fields.Length == 1 && value.Kind == ScaleValueKind.Composite)
            {
                return [value];
            }
            throw new ArgumentException($"{path}: {what} has {fields.Length} fields; got {given.Count}");
        }
        var result = new ScaleValue[fields.Length];
        bool byName = fields[0].Name is not null && given.Count > 0 && given[0].Name is not null;
        for (int i = 0; i < fields.Length; i++)
        {
            if (!byName)
            {
                result[i] = given[i].Value;
                continue;
            }
            ScaleValue? found = null;
            foreach (ScaleField f in given)
            {
                if (f.Name == fields[i].Name)
                {
                    found = f.Value;
                    break;
                }
            }
            result[i] = found ?? throw new ArgumentException($"{path}: {what} needs field '{fields[i].Name}'");
        }
        return result;
    }

    private static void EncodePrimitive(PrimitiveKind kind, ScaleValue value, ScaleWriter w, string path)
    {
        switch (kind)
        {
            case PrimitiveKind.Bool:
                w.WriteBool(value.AsBool());
                return;
            case PrimitiveKind.Str:
                w.WriteString(value.AsText());
                return;
            case PrimitiveKind.Char:
                {
                    string s = value.AsText();
                    if (Rune.DecodeFromUtf16(s, out Rune rune, out int used) != System.Buffers.OperationStatus.Done || used != s.Length)
                    {
                        throw new ArgumentException($"{path}: a char needs exactly one Unicode scalar");
                    }
                    w.WriteU32((uint)rune.Value);
                    return;
                }
        }
        BigInteger v = value.AsInteger();
        (BigInteger min, BigInteger max, int size) = kind switch
        {
            PrimitiveKind.U8 => (BigInteger.Zero, (BigInteger)byte.MaxValue, 1),
            PrimitiveKind.U16 => (BigInteger.Zero, (BigInteger)ushort.MaxValue, 2),
            PrimitiveKind.U32 => (BigInteger.Zero, (BigInteger)uint.MaxValue, 4),
            PrimitiveKind.U64 => (BigInteger.Zero, (BigInteger)ulong.MaxValue, 8),
            PrimitiveKind.U128 => (BigInteger.Zero, (BigInteger)UInt128.MaxValue, 16),
            PrimitiveKind.U256 => (BigInteger.Zero, (BigInteger.One << 256) - 1, 32),
            PrimitiveKind.I8 => ((BigInteger)sbyte.MinValue, (BigInteger)sbyte.MaxValue, 1),
            PrimitiveKind.I16 => ((BigInteger)short.MinValue, (BigInteger)short.MaxValue, 2),
            PrimitiveKind.I32 => ((BigInteger)int.MinValue, (BigInteger)int.MaxValue, 4),
            PrimitiveKind.I64 => ((BigInteger)long.MinValue, (BigInteger)long.MaxValue, 8),
            PrimitiveKind.I128 => ((BigInteger)Int128.MinValue, (BigInteger)Int128.MaxValue, 16),
            _ => (-(BigInteger.One << 255), (BigInteger.One << 255) - 1, 32),
        };
        if (v < min || v > max)
        {
            throw new ArgumentException($"{path}: {v} is out of range for {kind}");
        }
        Span<byte> bytes = stackalloc byte[32];
        bytes.Fill(v.Sign < 0 ? (byte)0xff : (byte)0);
        v.TryWriteBytes(bytes, out _, isUnsigned: false, isBigEndian: false);
        w.WriteRaw(bytes[..size]);
    }

    // ------------------------------------------------------------------ ordering

    /// <summary>
    /// Compares two values of registry type <paramref name="typeId"/> the way Rust's derived <c>Ord</c> does: integers
    /// numerically, byte strings and sequences lexicographically, structs and tuples field by field, enums by variant
    /// index then fields. This is the order <c>BTreeMap</c>/<c>BTreeSet</c> encode in.
    /// </summary>
    public static int Compare(PortableRegistry types, int typeId, ScaleValue a, ScaleValue b, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException("value nests too deeply to compare");
        }
        PortableType t = types[typeId];
        switch (t.Kind)
        {
            case TypeDefKind.Primitive:
                return t.Primitive switch
                {
                    PrimitiveKind.Bool => a.AsBool().CompareTo(b.AsBool()),
                    PrimitiveKind.Str or PrimitiveKind.Char =>
                        Encoding.UTF8.GetBytes(a.AsText()).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b.AsText())),
                    _ => a.AsInteger().CompareTo(b.AsInteger()),
                };
            case TypeDefKind.Compact:
                return a.AsInteger().CompareTo(b.AsInteger());
            case TypeDefKind.Sequence or TypeDefKind.Array:
                {
                    if (types.IsU8(t.ElementTypeId))
                    {
                        return BytesOf(a).AsSpan().SequenceCompareTo(BytesOf(b));
                    }
                    IReadOnlyList<ScaleValue> x = a.Items, y = b.Items;
                    for (int i = 0; i < Math.Min(x.Count, y.Count); i++)
                    {
                        int c = Compare(types, t.ElementTypeId, x[i], y[i], depth + 1);
                        if (c != 0)
                        {
                            return c;
                        }
                    }
                    return x.Count.CompareTo(y.Count);
                }
            case TypeDefKind.Tuple:
                for (int i = 0; i < t.TupleTypeIds.Length; i++)
                {
                    ScaleValue ai = t.TupleTypeIds.Length == 1 && a.Kind != ScaleValueKind.Composite ? a : a[i];
                    ScaleValue bi = t.TupleTypeIds.Length == 1 && b.Kind != ScaleValueKind.Composite ? b : b[i];
                    int c = Compare(types, t.TupleTypeIds[i], ai, bi, depth + 1);
                    if (c != 0)
                    {
                        return c;
                    }
                }
                return 0;
            case TypeDefKind.Composite:
                {
                    if (IsOrderedCollection(t) && a.Kind is ScaleValueKind.Sequence or ScaleValueKind.Bytes)
                    {
                        return Compare(types, t.Fields[0].TypeId, a, b, depth + 1);
                    }
                    ScaleValue[] x = MatchFields(t.Fields, a, "", t.ToString());
                    ScaleValue[] y = MatchFields(t.Fields, b, "", t.ToString());
                    for (int i = 0; i < x.Length; i++)
                    {
                        int c = Compare(types, t.Fields[i].TypeId, x[i], y[i], depth + 1);
                        if (c != 0)
                        {
                            return c;
                        }
                    }
                    return 0;
                }
            case TypeDefKind.Variant:
                {
                    TypeVariant va = (a.VariantName is string an ? t.VariantByName(an) : t.VariantByIndex(a.VariantIndex))
                        ?? throw new ArgumentException($"{t} has no variant '{a.VariantName}'");
                    TypeVariant vb = (b.VariantName is string bn ? t.VariantByName(bn) : t.VariantByIndex(b.VariantIndex))
                        ?? throw new ArgumentException($"{t} has no variant '{b.VariantName}'");
                    if (va.Index != vb.Index)
                    {
                        return va.Index.CompareTo(vb.Index);
                    }
                    ScaleValue[] x = MatchFields(va.Fields, a, "", va.Name);
                    ScaleValue[] y = MatchFields(vb.Fields, b, "", vb.Name);
                    for (int i = 0; i < x.Length; i++)
                    {
                        int c = Compare(types, va.Fields[i].TypeId, x[i], y[i], depth + 1);
                        if (c != 0)
                        {
                            return c;
                        }
                    }
                    return 0;
                }
            default:
                return 0;
        }
    }

    private static byte[] BytesOf(ScaleValue v) => v.Kind == ScaleValueKind.Text ? Encoding.UTF8.GetBytes(v.AsText()) : v.AsBytes();
}
