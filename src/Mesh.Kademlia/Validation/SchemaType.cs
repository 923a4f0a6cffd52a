using Mesh.Kademlia.Serialization;

namespace Mesh.Kademlia.Validation;

/// <summary>
/// A strict type for a DHT value, the typed replacement of the pydantic field types mesh schemas use. "Strict" is
/// what mesh's <c>SchemaValidator</c> demands (it refuses any record pydantic would have to convert): an int is a
/// msgpack int (not a float, not a bool), a float is a float64, bytes are bin (not str), a tuple is a tuple (not a
/// list), a dict is a map.
/// </summary>
public abstract class SchemaType
{
    public abstract bool Matches(in MsgValue value);

    /// <summary>pydantic <c>bytes</c>.</summary>
    public static SchemaType Bytes { get; } = new KindType(MsgKind.Binary, "bytes");

    /// <summary>pydantic <c>str</c>.</summary>
    public static SchemaType String { get; } = new KindType(MsgKind.String, "str");

    /// <summary>pydantic <c>StrictInt</c>.</summary>
    public static SchemaType Int { get; } = new IntType(null, null);

    /// <summary>pydantic <c>StrictFloat</c>.</summary>
    public static SchemaType Float { get; } = new FloatType(null, null);

    /// <summary>pydantic <c>StrictBool</c>.</summary>
    public static SchemaType Bool { get; } = new KindType(MsgKind.Bool, "bool");

    /// <summary>Python <c>None</c>.</summary>
    public static SchemaType Nil { get; } = new KindType(MsgKind.Nil, "None");

    /// <summary>pydantic <c>Any</c>.</summary>
    public static SchemaType Any { get; } = new PredicateType(_ => true, "Any");

    /// <summary>
    /// mesh <c>BytesWithPublicKey</c> = <c>conbytes(regex=b".*\[owner:(.+?)\].*")</c>: bytes holding an
    /// <c>[owner:…]</c> marker that starts on their first line (so <c>SignatureValidator</c> will require a signature).
    /// </summary>
    public static SchemaType BytesWithPublicKey { get; } =
        new PredicateType(v => v.Kind == MsgKind.Binary && RecordMarkers.StartsWithLineHoldingOwner(v.AsSpan()), "BytesWithPublicKey");

    /// <summary><c>conint(strict=True, ge=min, le=max)</c>.</summary>
    public static SchemaType IntRange(long? min = null, long? max = null) => new IntType(min, max);

    /// <summary><c>confloat(strict=True, ge=min, le=max)</c>.</summary>
    public static SchemaType FloatRange(double? min = null, double? max = null) => new FloatType(min, max);

    /// <summary><c>conbytes(min_length, max_length)</c>.</summary>
    public static SchemaType BytesOfLength(int minLength = 0, int maxLength = int.MaxValue) =>
        new PredicateType(v => v.Kind == MsgKind.Binary && v.AsSpan().Length >= minLength && v.AsSpan().Length <= maxLength, $"bytes[{minLength}..{maxLength}]");

    /// <summary><c>List[item]</c> (a msgpack array).</summary>
    public static SchemaType ListOf(SchemaType item, int minLength = 0, int maxLength = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new PredicateType(v =>
        {
            if (v.Kind != MsgKind.Array || v.Count < minLength || v.Count > maxLength)
            {
                return false;
            }
            foreach (MsgValue x in v.ItemsSpan)
            {
                if (!item.Matches(x))
                {
                    return false;
                }
            }
            return true;
        }, $"List[{item}]");
    }

    /// <summary><c>Tuple[a, b, …]</c> (ext 0x40; a list is not a tuple).</summary>
    public static SchemaType TupleOf(params SchemaType[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        SchemaType[] copy = items.ToArray();
        return new PredicateType(v =>
        {
            if (v.Kind != MsgKind.Tuple || v.Count != copy.Length)
            {
                return false;
            }
            ReadOnlySpan<MsgValue> values = v.ItemsSpan;
            for (int i = 0; i < copy.Length; i++)
            {
                if (!copy[i].Matches(values[i]))
                {
                    return false;
                }
            }
            return true;
        }, $"Tuple[{string.Join(", ", copy.Select(c => c.ToString()))}]");
    }

    /// <summary><c>Dict[key, value]</c> as a value (a msgpack map nested inside a value, not a DHT dictionary).</summary>
    public static SchemaType MapOf(SchemaType key, SchemaType value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        return new PredicateType(v =>
        {
            if (v.Kind != MsgKind.Map)
            {
                return false;
            }
            foreach (MsgMapEntry e in v.EntriesSpan)
            {
                if (!key.Matches(e.Key) || !value.Matches(e.Value))
                {
                    return false;
                }
            }
            return true;
        }, $"Dict[{key}, {value}]");
    }

    /// <summary>
    /// A nested model: a map with str keys, all <paramref name="required"/> fields present, optional ones allowed,
    /// nothing else (pydantic would drop unknown keys, which the no-conversion rule then refuses).
    /// </summary>
    public static SchemaType Model(IReadOnlyDictionary<string, SchemaType> required, IReadOnlyDictionary<string, SchemaType>? optional = null)
    {
        ArgumentNullException.ThrowIfNull(required);
        var req = new Dictionary<string, SchemaType>(required, StringComparer.Ordinal);
        var opt = optional is null ? new Dictionary<string, SchemaType>(StringComparer.Ordinal) : new Dictionary<string, SchemaType>(optional, StringComparer.Ordinal);
        return new PredicateType(v =>
        {
            if (v.Kind != MsgKind.Map)
            {
                return false;
            }
            int found = 0;
            foreach (MsgMapEntry e in v.EntriesSpan)
            {
                if (e.Key.Kind != MsgKind.String)
                {
                    return false;
                }
                string name = e.Key.AsString();
                if (req.TryGetValue(name, out SchemaType? t))
                {
                    found++;
                }
                else if (!opt.TryGetValue(name, out t))
                {
                    return false;
                }
                if (!t.Matches(e.Value))
                {
                    return false;
                }
            }
            return found == req.Count;
        }, "Model");
    }

    /// <summary><c>Optional[inner]</c>.</summary>
    public static SchemaType Optional(SchemaType inner) => Union(Nil, inner);

    /// <summary><c>Union[a, b, …]</c>: any of them.</summary>
    public static SchemaType Union(params SchemaType[] choices)
    {
        ArgumentNullException.ThrowIfNull(choices);
        SchemaType[] copy = choices.ToArray();
        return new PredicateType(v =>
        {
            foreach (SchemaType c in copy)
            {
                if (c.Matches(v))
                {
                    return true;
                }
            }
            return false;
        }, $"Union[{string.Join(", ", copy.Select(c => c.ToString()))}]");
    }

    /// <summary>Any rule of the application's (pydantic validators).</summary>
    public static SchemaType Where(Func<MsgValue, bool> predicate, string name = "custom")
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new PredicateType(predicate, name);
    }

    private sealed class KindType(MsgKind kind, string name) : SchemaType
    {
        public override bool Matches(in MsgValue value) => value.Kind == kind;

        public override string ToString() => name;
    }

    private sealed class IntType(long? min, long? max) : SchemaType
    {
        public override bool Matches(in MsgValue value)
        {
            if (value.Kind != MsgKind.Integer)
            {
                return false;
            }
            if (value.TryGetInt64(out long n))
            {
                return (min is null || n >= min) && (max is null || n <= max);
            }
            // Above long.MaxValue: satisfies any lower bound, no finite upper bound.
            return max is null;
        }

        public override string ToString() => $"StrictInt[{min}..{max}]";
    }

    private sealed class FloatType(double? min, double? max) : SchemaType
    {
        public override bool Matches(in MsgValue value)
        {
            if (value.Kind != MsgKind.Float)
            {
                return false;
            }
            double x = value.AsDouble();
            return (min is null || x >= min) && (max is null || x <= max);
        }

        public override string ToString() => $"StrictFloat[{min}..{max}]";
    }

    private sealed class PredicateType(Func<MsgValue, bool> predicate, string name) : SchemaType
    {
        public override bool Matches(in MsgValue value) => predicate(value);

        public override string ToString() => name;
    }
}
