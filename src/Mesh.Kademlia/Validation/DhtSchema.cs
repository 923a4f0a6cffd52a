namespace Mesh.Kademlia.Validation;

/// <summary>
/// One field of a <see cref="DhtSchema"/>: a DHT key (the field name, or <c>prefix_name</c>) and what may be stored
/// under it: a plain value of <see cref="ValueType"/> (pydantic <c>field: T</c>), and/or a DHT dictionary whose
/// subkeys match <see cref="SubkeyType"/> and values <see cref="SubkeyValueType"/> (pydantic <c>field: Dict[K, V]</c>).
/// </summary>
public sealed class DhtSchemaField
{
    private DhtSchemaField(string name, SchemaType? valueType, SchemaType? subkeyType, SchemaType? subkeyValueType)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        ValueType = valueType;
        SubkeyType = subkeyType;
        SubkeyValueType = subkeyValueType;
    }

    public string Name { get; }

    /// <summary>Type of a plain value under this key; null when only a dictionary is allowed.</summary>
    public SchemaType? ValueType { get; }

    /// <summary>Type of subkeys of a dictionary under this key; null when only a plain value is allowed.</summary>
    public SchemaType? SubkeyType { get; }

    public SchemaType? SubkeyValueType { get; }

    /// <summary>pydantic <c>name: T</c>: a plain value.</summary>
    public static DhtSchemaField Value(string name, SchemaType type) =>
        new(name, type ?? throw new ArgumentNullException(nameof(type)), null, null);

    /// <summary>pydantic <c>name: Dict[K, V]</c>: a dictionary stored subkey by subkey.</summary>
    public static DhtSchemaField Dictionary(string name, SchemaType subkeyType, SchemaType valueType) =>
        new(name, null, subkeyType ?? throw new ArgumentNullException(nameof(subkeyType)), valueType ?? throw new ArgumentNullException(nameof(valueType)));

    /// <summary>pydantic <c>name: Union[T, Dict[K, V]]</c>: either form.</summary>
    public static DhtSchemaField ValueOrDictionary(string name, SchemaType valueType, SchemaType subkeyType, SchemaType subkeyValueType) =>
        new(name, valueType, subkeyType, subkeyValueType);
}

/// <summary>
/// A record schema for <see cref="SchemaValidator"/>, the typed replacement of the pydantic model mesh passes to
/// <c>SchemaValidator</c>: field names and their strict types. Every field is optional (a record carries one key at a
/// time) and keys outside the schema are the validator's <c>allow_extra_keys</c> decision.
/// </summary>
public sealed class DhtSchema
{
    private readonly Dictionary<string, DhtSchemaField> _fields;

    public DhtSchema(params DhtSchemaField[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        _fields = new Dictionary<string, DhtSchemaField>(StringComparer.Ordinal);
        foreach (DhtSchemaField f in fields)
        {
            ArgumentNullException.ThrowIfNull(f);
            if (!_fields.TryAdd(f.Name, f))
            {
                throw new ArgumentException($"Field '{f.Name}' is defined twice.", nameof(fields));
            }
        }
        Fields = fields.ToArray();
    }

    public IReadOnlyList<DhtSchemaField> Fields { get; }

    public bool TryGetField(string name, out DhtSchemaField field) => _fields.TryGetValue(name, out field!);
}
