using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Validation;

namespace Mesh.Kademlia.Tests.Validation;

/// <summary>
/// hivemind/mesh tests/test_dht_schema.py without the network: every <c>bob.store(key, value, exp, subkey)</c> becomes
/// the record DHTNode.store builds (key = DHTID(key), subkey = msgpack(subkey) or c0, value = msgpack(value)) handed to
/// the validator, and every <c>get</c> assertion the value a store that validates would hold.
/// </summary>
public sealed class SchemaValidatorTests
{
    private const double Exp = 1700000010.25;

    // class SampleSchema(BaseModel):
    //     experiment_name: bytes
    //     n_batches: Dict[bytes, conint(ge=0, strict=True)]
    //     signed_data: Dict[BytesWithPublicKey, bytes]
    private static DhtSchema SampleSchema() => new(
        DhtSchemaField.Value("experiment_name", SchemaType.Bytes),
        DhtSchemaField.Dictionary("n_batches", SchemaType.Bytes, SchemaType.IntRange(min: 0)),
        DhtSchemaField.Dictionary("signed_data", SchemaType.BytesWithPublicKey, SchemaType.Bytes));

    internal static DhtRecord Rec(string key, MsgValue value, MsgValue? subkey = null) =>
        new(DhtId.Generate(key).ToBytes(),
            subkey is { } s ? MsgPackSerializer.Serialize(s) : ReservedSubkeys.IsRegularValue.ToArray(),
            MsgPackSerializer.Serialize(value),
            Exp);

    private static bool Store(IRecordValidator v, string key, MsgValue value, MsgValue? subkey = null) =>
        v.Validate(Rec(key, value, subkey), DhtRecordRequestType.Post);

    private static MsgValue B(string s) => MsgValue.FromBytes(System.Text.Encoding.ASCII.GetBytes(s));

    [Fact]
    public void Expecting_regular_value()
    {
        var v = new SchemaValidator(SampleSchema());
        Assert.True(Store(v, "experiment_name", B("foo_bar")));
        Assert.False(Store(v, "experiment_name", 666));
        Assert.False(Store(v, "experiment_name", B("foo_bar"), subkey: B("subkey")));
        // Refused despite pydantic's data conversion.
        Assert.False(Store(v, "experiment_name", MsgValue.Array()));
        Assert.False(Store(v, "experiment_name", MsgValue.Array(1, 2, 3)));
        Assert.False(Store(v, "experiment_name", "foo_bar")); // str is not bytes
    }

    [Fact]
    public void Expecting_dictionary()
    {
        var v = new SchemaValidator(SampleSchema());
        Assert.True(Store(v, "n_batches", 777, subkey: B("uid1")));
        Assert.True(Store(v, "n_batches", 778, subkey: B("uid2")));
        Assert.False(Store(v, "n_batches", -666, subkey: B("uid3")));
        Assert.False(Store(v, "n_batches", 666));
        Assert.False(Store(v, "n_batches", B("not_integer"), subkey: B("uid1")));
        Assert.False(Store(v, "n_batches", 666, subkey: 666));
        // A plain dictionary bypassing the DictionaryDHTValue convention.
        Assert.False(Store(v, "n_batches", MsgValue.Map(new MsgMapEntry(B("uid3"), 779))));
        // Refused despite pydantic's data conversion.
        Assert.False(Store(v, "n_batches", 779.5, subkey: B("uid3")));
        Assert.False(Store(v, "n_batches", 779.0, subkey: B("uid3")));
        Assert.False(Store(v, "n_batches", MsgValue.Array()));
        Assert.False(Store(v, "n_batches", MsgValue.Array(MsgValue.Tuple(B("uid3"), 779))));
        Assert.False(Store(v, "n_batches", ""));
        Assert.False(Store(v, "n_batches", true, subkey: B("uid3"))); // StrictInt refuses bool
    }

    [Fact]
    public void Expecting_public_keys()
    {
        var v = new SchemaValidator(SampleSchema());
        Assert.True(Store(v, "signed_data", B("foo_bar"), subkey: B("uid[owner:public-key]")));
        Assert.False(Store(v, "signed_data", B("foo_bar"), subkey: B("uid-without-public-key")));
        Assert.False(Store(v, "signed_data", B("foo_bar"), subkey: B("uid\n[owner:public-key]"))); // marker not on the first line
        Assert.False(Store(v, "signed_data", B("foo_bar"), subkey: "uid[owner:public-key]")); // a str subkey is not bytes
    }

    [Fact]
    public void Keys_outside_schema()
    {
        var schema = new DhtSchema(DhtSchemaField.Value("some_field", SchemaType.Int));
        var merged = new DhtSchema(DhtSchemaField.Value("another_field", SchemaType.Int));
        foreach (bool allowExtraKeys in new[] { false, true })
        {
            var v = new SchemaValidator(schema, allowExtraKeys);
            Assert.True(v.MergeWith(new SchemaValidator(merged, allowExtraKeys: false)));
            Assert.Equal(allowExtraKeys, Store(v, "unknown_key", B("foo_bar")));
        }
    }

    [Fact]
    public void Prefix()
    {
        var v = new SchemaValidator(new DhtSchema(DhtSchemaField.Value("field", SchemaType.Int)), allowExtraKeys: false, prefix: "prefix");
        Assert.True(Store(v, "prefix_field", 777));
        Assert.False(Store(v, "prefix_field", "string_value"));
        Assert.False(Store(v, "field", 777));
    }

    [Fact]
    public void Merging_schema_validators()
    {
        var v = new SchemaValidator(SampleSchema());
        Assert.False(v.MergeWith(new PredicateValidator((_, _) => true)));

        var second = new DhtSchema(DhtSchemaField.Value("some_field", SchemaType.Int), DhtSchemaField.Value("another_field", SchemaType.String));
        var third = new DhtSchema(DhtSchemaField.Value("another_field", SchemaType.Int));
        foreach (DhtSchema s in new[] { second, third })
        {
            Assert.True(v.MergeWith(new SchemaValidator(s, allowExtraKeys: false)));
        }
        Assert.True(Store(v, "experiment_name", B("foo_bar")));
        Assert.True(Store(v, "some_field", 777));
        Assert.False(Store(v, "some_field", "string_value"));
        Assert.True(Store(v, "another_field", 42));
        Assert.True(Store(v, "another_field", "string_value"));
        // Unknown keys stay allowed: the first schema allowed them.
        Assert.True(Store(v, "unknown_key", 999));
        Assert.True(v.AllowExtraKeys);
    }

    [Fact]
    public void Heartbeat_shaped_values_can_be_described()
    {
        // ServerInfo.to_tuple(): (state:int, role:str, throughput:float, extra:dict)
        SchemaType serverInfo = SchemaType.TupleOf(
            SchemaType.IntRange(0, 10), SchemaType.String, SchemaType.FloatRange(min: 0),
            SchemaType.Model(
                new Dictionary<string, SchemaType>(),
                new Dictionary<string, SchemaType>
                {
                    ["public_name"] = SchemaType.Optional(SchemaType.String),
                    ["version"] = SchemaType.Optional(SchemaType.String),
                    ["using_relay"] = SchemaType.Optional(SchemaType.Bool),
                    ["next_pings"] = SchemaType.Optional(SchemaType.MapOf(SchemaType.String, SchemaType.Float)),
                }));
        var v = new SchemaValidator(new DhtSchema(DhtSchemaField.Dictionary("heartbeat", SchemaType.BytesWithPublicKey, serverInfo)), allowExtraKeys: false);
        MsgValue good = MsgValue.Tuple(2, "validator", 1.5, MsgValue.Map(new MsgMapEntry("public_name", "alice"), new MsgMapEntry("next_pings", MsgValue.Map(new MsgMapEntry("12D3KooWabc", 0.05)))));
        Assert.True(Store(v, "heartbeat", good, subkey: B("peer[owner:k]")));
        Assert.False(Store(v, "heartbeat", MsgValue.Array(2, "validator", 1.5, MsgValue.Map()), subkey: B("peer[owner:k]"))); // a list is not a tuple
        Assert.False(Store(v, "heartbeat", MsgValue.Tuple(2, "validator", 1, MsgValue.Map()), subkey: B("peer[owner:k]"))); // int throughput
        Assert.False(Store(v, "heartbeat", MsgValue.Tuple(2, "validator", 1.5, MsgValue.Map(new MsgMapEntry("bogus", 1))), subkey: B("peer[owner:k]")));
    }

    [Fact]
    public void Undecodable_values_are_invalid_not_exceptions()
    {
        var v = new SchemaValidator(SampleSchema());
        var record = new DhtRecord(DhtId.Generate("experiment_name").ToBytes(), new byte[] { 0xc0 }, new byte[] { 0xc1 }, Exp);
        Assert.False(v.Validate(record, DhtRecordRequestType.Post));
        record = new DhtRecord(DhtId.Generate("n_batches").ToBytes(), new byte[] { 0xd9 }, new byte[] { 0x01 }, Exp);
        Assert.False(v.Validate(record, DhtRecordRequestType.Post));
    }
}
