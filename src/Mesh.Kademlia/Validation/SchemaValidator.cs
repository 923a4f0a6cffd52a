using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;

namespace Mesh.Kademlia.Validation;

/// <summary>
/// mesh <c>SchemaValidator</c> (mesh-reference §2, <c>mesh/dht/schema.py</c>): restricts the keys a schema names to
/// values of the declared types. Each field name (or <c>prefix_name</c>) is hashed to its DHTID, since records carry
/// only the DHTID; a record under another key is valid iff <c>allowExtraKeys</c>. A plain value (subkey
/// <c>IS_REGULAR_VALUE</c>) must match the field's value type and may not be a msgpack map (mesh: "use a
/// DictionaryDHTValue of serialized values instead of a dict"); a subkey record must match the field's dictionary
/// types. Validators built from several schemas (<see cref="MergeWith"/>) accept a record that any schema accepts.
/// Priority 0: it sees values after the signature validator has stripped its marker.
/// </summary>
public sealed class SchemaValidator : RecordValidatorBase
{
    private sealed record State(DhtSchema[] Schemas, Dictionary<DhtId, string> KeyToField, bool AllowExtraKeys);

    private readonly Lock _mergeLock = new();
    private State _state;

    public SchemaValidator(DhtSchema schema, bool allowExtraKeys = true, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var keys = new Dictionary<DhtId, string>();
        foreach (DhtSchemaField field in schema.Fields)
        {
            keys[DhtId.Generate(prefix is null ? field.Name : $"{prefix}_{field.Name}")] = field.Name;
        }
        _state = new State([schema], keys, allowExtraKeys);
    }

    public bool AllowExtraKeys => Volatile.Read(ref _state).AllowExtraKeys;

    public override bool Validate(in DhtRecord record, DhtRecordRequestType type)
    {
        State state = Volatile.Read(ref _state);
        if (record.Key.Length != DhtId.Size || !state.KeyToField.TryGetValue(DhtId.ReadBigEndian(record.Key.Span), out string? fieldName))
        {
            return state.AllowExtraKeys;
        }

        MsgValue value;
        MsgValue subkey = default;
        ReadOnlySpan<byte> tag = record.Subkey.Span;
        bool isSubkeyRecord = !ReservedSubkeys.IsRegular(tag) && !tag.IsEmpty;
        try
        {
            value = MsgPackSerializer.Deserialize(record.Value);
            if (isSubkeyRecord)
            {
                subkey = MsgPackSerializer.Deserialize(record.Subkey);
            }
        }
        catch (MsgPackFormatException)
        {
            return false;
        }
        if (!isSubkeyRecord && value.Kind == MsgKind.Map)
        {
            return false;
        }

        foreach (DhtSchema schema in state.Schemas)
        {
            // A schema without this field is skipped (pydantic's "extra field" error is not a mismatch).
            if (!schema.TryGetField(fieldName, out DhtSchemaField field))
            {
                continue;
            }
            bool ok = isSubkeyRecord
                ? field.SubkeyType is not null && field.SubkeyType.Matches(subkey) && field.SubkeyValueType!.Matches(value)
                : field.ValueType is not null && field.ValueType.Matches(value);
            if (ok)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Absorbs another schema validator: union of schemas and keys; extra keys allowed if either allows them.</summary>
    public override bool MergeWith(IRecordValidator other)
    {
        if (other is not SchemaValidator schemaValidator || ReferenceEquals(other, this))
        {
            return other is SchemaValidator;
        }
        State theirs = Volatile.Read(ref schemaValidator._state);
        lock (_mergeLock)
        {
            State mine = _state;
            var keys = new Dictionary<DhtId, string>(mine.KeyToField);
            foreach (KeyValuePair<DhtId, string> kv in theirs.KeyToField)
            {
                keys[kv.Key] = kv.Value;
            }
            Volatile.Write(ref _state, new State([.. mine.Schemas, .. theirs.Schemas], keys, mine.AllowExtraKeys || theirs.AllowExtraKeys));
        }
        return true;
    }
}
