using System.Security.Cryptography;
using System.Text.Json;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Validation;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Validation;

/// <summary>
/// vectors/records_ed25519.json and records_rsa.json (every record, every tampered variant, every edge case; Ed25519
/// signed values byte for byte, RSA-PSS verified since it is randomized), and hivemind/mesh tests/test_dht_crypto.py and
/// test_dht_validation.py cases that need no network.
/// </summary>
public sealed class SignatureValidatorTests
{
    private static PrivateKey KeyFrom(JsonElement key, string field)
    {
        if (key.GetProperty("type").GetString() == "Ed25519")
        {
            return Ed25519PrivateKey.FromSeed(Hex.Decode(key.Hexs(field == "own" ? "seed_hex" : "other_key_seed_hex")));
        }
        using var rsa = RSA.Create();
        rsa.ImportFromPem(key.GetProperty(field == "own" ? "private_key_pkcs8_pem" : "other_key_pkcs8_pem").GetString());
        return RsaPrivateKey.FromPkcs1(rsa.ExportRSAPrivateKey());
    }

    /// <summary>The fixed test keys of vectors/keys.json (RSA generation would dominate the test time).</summary>
    private static PrivateKey TestKey(string type, string label)
    {
        using JsonDocument doc = VectorJson.Load("keys.json");
        if (type == "ed25519")
        {
            return Ed25519PrivateKey.FromSeed(Hex.Decode(doc.RootElement.GetProperty("ed25519").Hexs(label)));
        }
        using var rsa = RSA.Create();
        rsa.ImportFromPem(doc.RootElement.GetProperty("rsa_pkcs8_pem").GetProperty(label).GetString());
        return RsaPrivateKey.FromPkcs1(rsa.ExportRSAPrivateKey());
    }

    private static DhtRecord Record(JsonElement r) => new(
        Hex.Decode(r.Hexs("key_hex")),
        Hex.Decode(r.Hexs("subkey_hex")),
        Hex.Decode(r.Hexs("value_hex")),
        VectorJson.Double(r.GetProperty("expiration_time")));

    [Theory]
    [InlineData("records_ed25519.json", true)]
    [InlineData("records_rsa.json", false)]
    public void Records_match_the_python_validator(string file, bool deterministic)
    {
        using JsonDocument doc = VectorJson.Load(file);
        JsonElement root = doc.RootElement;
        var validator = new SignatureValidator(KeyFrom(root.GetProperty("key"), "own"));
        var stranger = new SignatureValidator(KeyFrom(root.GetProperty("key"), "other"));
        Assert.Equal(root.GetProperty("key").Hexs("local_public_key_hex"), Hex.Encode(validator.LocalPublicKey.Span));

        int records = 0, tampered = 0;
        foreach (JsonElement c in root.GetProperty("cases").EnumerateArray())
        {
            records++;
            DhtRecord record = Record(c.GetProperty("record"));
            // The record as DHTNode builds it: key = DHTID(key_source), subkey = msgpack(subkey), value = msgpack(value).
            Assert.Equal(DhtId.Generate(VectorJson.ToMsgValue(c.GetProperty("key_source"))).ToString(), Hex.Encode(record.Key.Span));
            Assert.Equal(Hex.Encode(MsgPackSerializer.Serialize(VectorJson.ToMsgValue(c.GetProperty("value_logical")))), Hex.Encode(record.Value.Span));
            JsonElement logicalSubkey = c.GetProperty("subkey_logical");
            string subkeyHex = logicalSubkey.GetProperty("type").GetString() == "IS_REGULAR_VALUE"
                ? "c0"
                : Hex.Encode(MsgPackSerializer.Serialize(VectorJson.ToMsgValue(logicalSubkey)));
            Assert.Equal(subkeyHex, Hex.Encode(record.Subkey.Span));

            if (c.GetProperty("signing_payload_hex").ValueKind == JsonValueKind.String)
            {
                Assert.Equal(c.Hexs("signing_payload_hex"),
                    Hex.Encode(RecordTuple.Serialize(record.Key.Span, record.Subkey.Span, record.Value.Span, record.ExpirationTime)));
            }

            byte[] vectorSigned = Hex.Decode(c.Hexs("signed_value_hex"));
            ReadOnlyMemory<byte> ours = validator.SignValue(record);
            if (deterministic || !c.GetProperty("protected").GetBoolean())
            {
                Assert.Equal(c.Hexs("signed_value_hex"), Hex.Encode(ours.Span));
            }
            Assert.True(validator.Validate(record.WithValue(ours), DhtRecordRequestType.Post));
            Assert.Equal(c.GetProperty("validate_signed").GetBoolean(), validator.Validate(record.WithValue(vectorSigned), DhtRecordRequestType.Post));
            Assert.Equal(c.GetProperty("validate_signed_by_other_validator_instance").GetBoolean(), stranger.Validate(record.WithValue(vectorSigned), DhtRecordRequestType.Get));
            Assert.Equal(c.Hexs("strip_value_hex"), Hex.Encode(validator.StripValue(record.WithValue(vectorSigned)).Span));

            if (c.TryGetProperty("signature_raw_hex", out JsonElement raw))
            {
                byte[] payload = Hex.Decode(c.Hexs("signing_payload_hex"));
                Assert.True(MeshSignatureScheme.Verify(KeyFrom(root.GetProperty("key"), "own").PublicKey, payload, Hex.Decode(raw.GetString()!)));
            }

            if (c.TryGetProperty("tampered", out JsonElement variants))
            {
                foreach (JsonElement t in variants.EnumerateArray())
                {
                    tampered++;
                    bool expected = t.GetProperty("validate").GetBoolean();
                    Assert.True(expected == validator.Validate(Record(t.GetProperty("record")), DhtRecordRequestType.Post), t.GetProperty("kind").GetString());
                }
            }
        }
        Assert.Equal(7, records);
        Assert.Equal(26, tampered);

        JsonElement[] edges = root.GetProperty("edge_cases").EnumerateArray().ToArray();
        Assert.Equal(4, edges.Length);

        // 0: a marker in record.key protects the record just as one in the subkey does.
        DhtRecord inKey = Record(edges[0].GetProperty("record"));
        Assert.Equal(edges[0].Hexs("signing_payload_hex"), Hex.Encode(RecordTuple.Serialize(inKey.Key.Span, inKey.Subkey.Span, inKey.Value.Span, inKey.ExpirationTime)));
        if (deterministic)
        {
            Assert.Equal(edges[0].Hexs("signed_value_hex"), Hex.Encode(validator.SignValue(inKey).Span));
        }
        Assert.True(validator.Validate(inKey.WithValue(Hex.Decode(edges[0].Hexs("signed_value_hex"))), DhtRecordRequestType.Post));

        // 1: signed with an int expiration (msgpack ce…): valid only for that int payload, never for the float64 the
        // wire carries. MeshCore always signs the float64 (DhtRecord.ExpirationTime is a double), so it cannot produce it.
        byte[] intPayload = Hex.Decode(edges[1].Hexs("signing_payload_hex"));
        Assert.Contains("ce6553f164", edges[1].Hexs("signing_payload_hex"), StringComparison.Ordinal);
        byte[] signedWithInt = Hex.Decode(edges[1].Hexs("signed_value_hex"));
        var heartbeat = new DhtRecord(DhtId.Generate("heartbeat").ToBytes(), Hex.Decode("c458" + Hex.Encode(validator.LocalPublicKey.Span)), Hex.Decode("a176"), 1700000100.0);
        Assert.True(edges[1].GetProperty("validate_with_int_expiration").GetBoolean());
        Assert.False(edges[1].GetProperty("validate_with_float_expiration").GetBoolean());
        Assert.False(validator.Validate(heartbeat.WithValue(signedWithInt), DhtRecordRequestType.Post));
        MarkerMatch marker = default;
        foreach (MarkerMatch m in RecordMarkers.FindAll(signedWithInt, RecordMarkers.SignaturePrefix))
        {
            marker = m;
        }
        byte[] intSignature = Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(signedWithInt.AsSpan(marker.Content)));
        Assert.True(MeshSignatureScheme.Verify(KeyFrom(root.GetProperty("key"), "own").PublicKey, intPayload, intSignature));
        Assert.True(validator.Validate(heartbeat.WithValue(validator.SignValue(heartbeat)), DhtRecordRequestType.Post));

        // 2: sign_value with subkey=None raises in Python; a DhtRecord always has a subkey (empty here): nothing to sign.
        var noSubkey = new DhtRecord(DhtId.Generate("node").ToBytes(), ReadOnlyMemory<byte>.Empty, "x"u8.ToArray(), 1700000010.25);
        Assert.Equal("TypeError", edges[2].GetProperty("result").GetProperty("exception").GetString());
        Assert.True(validator.SignValue(noSubkey).Equals(noSubkey.Value));

        // 3: validate with subkey=None and no marker in the key: unprotected, valid.
        Assert.Equal(edges[3].GetProperty("validate").GetBoolean(), validator.Validate(noSubkey, DhtRecordRequestType.Post));
    }

    private static void SignatureValidatorRoundTrip(PrivateKey receiverKey, PrivateKey senderKey, PrivateKey malloryKey)
    {
        var receiver = new SignatureValidator(receiverKey);
        var sender = new SignatureValidator(senderKey);
        var mallory = new SignatureValidator(malloryKey);
        var plain = new DhtRecord("key"u8.ToArray(), "subkey"u8.ToArray(), "value"u8.ToArray(), 1700000010.25);
        DhtRecord[] protectedRecords =
        [
            new((byte[])[.. "key"u8, .. sender.LocalPublicKey.Span], plain.Subkey, plain.Value, plain.ExpirationTime),
            new(plain.Key, (byte[])[.. "subkey"u8, .. sender.LocalPublicKey.Span], plain.Value, plain.ExpirationTime),
        ];

        // 1: a non-protected record is not signed and is valid.
        Assert.True(sender.SignValue(plain).Span.SequenceEqual(plain.Value.Span));
        Assert.True(receiver.Validate(plain, DhtRecordRequestType.Post));

        // 2: correct signatures.
        foreach (DhtRecord r in protectedRecords)
        {
            DhtRecord signed = r.WithValue(sender.SignValue(r));
            Assert.True(receiver.Validate(signed, DhtRecordRequestType.Post));
            Assert.Equal("value"u8.ToArray(), receiver.StripValue(signed).ToArray());
        }

        // 3: no signature, a garbage signature, someone else's signature.
        foreach (DhtRecord r in protectedRecords)
        {
            Assert.False(receiver.Validate(r, DhtRecordRequestType.Post));
            Assert.False(receiver.Validate(r.WithValue((byte[])[.. r.Value.Span, .. "[signature:INVALID_BYTES]"u8]), DhtRecordRequestType.Post));
            Assert.False(receiver.Validate(r.WithValue(mallory.SignValue(r)), DhtRecordRequestType.Post));
        }
    }

    [Fact]
    public void Signature_validator_rsa_and_ed25519() =>
        SignatureValidatorRoundTrip(TestKey("rsa", "A"), TestKey("ed25519", "C"), TestKey("rsa", "B"));

    [Fact]
    public void Signature_validator_ed25519_and_rsa() =>
        SignatureValidatorRoundTrip(TestKey("ed25519", "D"), TestKey("rsa", "A"), TestKey("ed25519", "E"));

    [Fact]
    public void Validator_rebuilt_from_the_same_key_signs_for_the_original()
    {
        // test_validator_instance_is_picklable: here, a validator from the same key restored from its protobuf.
        PrivateKey original = Ed25519PrivateKey.Generate();
        var a = new SignatureValidator(original);
        var b = new SignatureValidator(PrivateKey.FromProtobuf(original.ToProtobuf()));
        var record = new DhtRecord("key"u8.ToArray(), (byte[])[.. "subkey"u8, .. a.LocalPublicKey.Span], "value"u8.ToArray(), 1700000010.25);
        DhtRecord signed = record.WithValue(b.SignValue(record));
        Assert.True(signed.Value.Span.IndexOf("[signature:"u8) >= 0);
        Assert.True(a.Validate(signed, DhtRecordRequestType.Post));
        Assert.True(b.Validate(signed, DhtRecordRequestType.Post));
    }

    [Fact]
    public void Different_owners_in_key_and_subkey_or_an_unparsable_owner_are_invalid()
    {
        var alice = new SignatureValidator(Ed25519PrivateKey.Generate());
        var bob = new SignatureValidator(Ed25519PrivateKey.Generate());
        var record = new DhtRecord(alice.LocalPublicKey, bob.LocalPublicKey, "v"u8.ToArray(), 1700000010.25);
        Assert.False(alice.Validate(record.WithValue(alice.SignValue(record)), DhtRecordRequestType.Post));
        // The same owner twice is one owner.
        var twice = new DhtRecord(alice.LocalPublicKey, alice.LocalPublicKey, "v"u8.ToArray(), 1700000010.25);
        Assert.True(bob.Validate(twice.WithValue(alice.SignValue(twice)), DhtRecordRequestType.Post));
        var garbage = new DhtRecord("k"u8.ToArray(), "[owner:not a key]"u8.ToArray(), "v[signature:AAAA]"u8.ToArray(), 1700000010.25);
        Assert.False(alice.Validate(garbage, DhtRecordRequestType.Post));
    }

    /// <summary>test_dht_validation.py test_composite_validator.</summary>
    [Fact]
    public void Composite_validator()
    {
        var schemaA = new DhtSchema(DhtSchemaField.Value("field_a", SchemaType.Bytes));
        var schemaB = new DhtSchema(DhtSchemaField.Dictionary("field_b", SchemaType.BytesWithPublicKey, SchemaType.Int));
        var signatureA = new SignatureValidator(TestKey("rsa", "B"));
        IRecordValidator[] appA = [signatureA, new SchemaValidator(schemaA, allowExtraKeys: false)];
        IRecordValidator[] appB = [new SchemaValidator(schemaB, allowExtraKeys: false), new SignatureValidator(Ed25519PrivateKey.Generate())];

        var validator = new CompositeValidator(appA);
        Assert.Equal([typeof(SchemaValidator), typeof(SignatureValidator)], validator.Validators.Select(v => v.GetType()));
        validator.Extend(appB);
        Assert.Equal([typeof(SchemaValidator), typeof(SignatureValidator)], validator.Validators.Select(v => v.GetType()));

        var record = new DhtRecord(
            DhtId.Generate("field_b").ToBytes(),
            MsgPackSerializer.SerializeBytes(signatureA.LocalPublicKey.Span),
            MsgPackSerializer.SerializeInt64(777),
            1700000010.25);
        DhtRecord signed = record.WithValue(validator.SignValue(record));
        Assert.Equal(1, RecordMarkers.Count(signed.Value.Span, RecordMarkers.SignaturePrefix)); // the two signature validators merged
        Assert.True(validator.Validate(signed, DhtRecordRequestType.Post)); // the second schema merged into the first
        Assert.Equal(record.Value.ToArray(), validator.StripValue(signed).ToArray());

        var unknown = new DhtRecord(DhtId.Generate("unknown_key").ToBytes(), ReservedSubkeys.IsRegularValue.ToArray(), MsgPackSerializer.SerializeInt64(777), 1700000010.25);
        DhtRecord unknownSigned = unknown.WithValue(validator.SignValue(unknown));
        Assert.Equal(0, RecordMarkers.Count(unknownSigned.Value.Span, RecordMarkers.SignaturePrefix));
        Assert.False(validator.Validate(unknownSigned, DhtRecordRequestType.Post));
    }

    [Fact]
    public void Store_write_path_validates_signed_subkeys()
    {
        var owner = new SignatureValidator(Ed25519PrivateKey.Generate());
        var composite = new CompositeValidator([owner]);
        var storage = new DhtLocalStorage(new RecordStoreOptions { Validator = composite, Clock = DhtClock.FromFunction(() => 1700000000.25) });
        var record = new DhtRecord(DhtId.Generate("heartbeat").ToBytes(), MsgPackSerializer.SerializeBytes(owner.LocalPublicKey.Span), MsgPackSerializer.SerializeString("hello"), 1700000100.25);
        Assert.Equal(PutStatus.Invalid, storage.Store(record));
        Assert.Equal(PutStatus.Stored, storage.Store(record.WithValue(composite.SignValue(record))));
    }
}
