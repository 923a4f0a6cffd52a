using BenchmarkDotNet.Attributes;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Validation;
using Mesh.Transport.Identity;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// The record write path's validation: a signed heartbeat subkey record (owner marker in the subkey, ~140-byte value)
/// checked by SignatureValidator (marker scan, base64, payload, Ed25519 or RSA-PSS verify) and by the full composite
/// (signature 10 → predicate 9 → schema 0).
/// </summary>
public class RecordValidatorBenchmarks
{
    private SignatureValidator _ed25519 = null!;
    private SignatureValidator _rsa = null!;
    private CompositeValidator _composite = null!;
    private DhtRecord _signedEd25519;
    private DhtRecord _signedRsa;
    private DhtRecord _unsigned;

    [GlobalSetup]
    public void Setup()
    {
        _ed25519 = new SignatureValidator(Ed25519PrivateKey.FromSeed(Enumerable.Repeat((byte)7, 32).ToArray()));
        _rsa = new SignatureValidator(RsaPrivateKey.Generate());
        byte[] value = MsgPackSerializer.Serialize(MsgValue.Tuple(2, "validator", 1.5, MsgValue.Map(
            new MsgMapEntry("public_name", "alice"), new MsgMapEntry("version", "1.2.0"))));
        _unsigned = Record(_ed25519, value);
        _signedEd25519 = _unsigned.WithValue(_ed25519.SignValue(_unsigned));
        DhtRecord rsaRecord = Record(_rsa, value);
        _signedRsa = rsaRecord.WithValue(_rsa.SignValue(rsaRecord));
        _composite = new CompositeValidator([
            _ed25519,
            new PredicateValidator((r, t) => r.ExpirationTime > 0),
            new SchemaValidator(new DhtSchema(DhtSchemaField.Dictionary("heartbeat", SchemaType.BytesWithPublicKey,
                SchemaType.TupleOf(SchemaType.Int, SchemaType.String, SchemaType.Float, SchemaType.MapOf(SchemaType.String, SchemaType.Any))))),
        ]);
    }

    private static DhtRecord Record(SignatureValidator owner, byte[] value) => new(
        DhtId.Generate("heartbeat").ToBytes(),
        MsgPackSerializer.SerializeBytes([.. "12D3KooWJSYwr2kQAY4FycvzB1XieuRw9Sp6WGBYQcgKFTPGq6wN"u8, .. owner.LocalPublicKey.Span]),
        value,
        1_700_000_100.25);

    [Benchmark(Description = "SignatureValidator.Validate, Ed25519")]
    public bool ValidateEd25519() => _ed25519.Validate(_signedEd25519, DhtRecordRequestType.Post);

    [Benchmark(Description = "SignatureValidator.Validate, RSA-2048 PSS")]
    public bool ValidateRsa() => _rsa.Validate(_signedRsa, DhtRecordRequestType.Post);

    [Benchmark(Description = "SignatureValidator.SignValue, Ed25519")]
    public ReadOnlyMemory<byte> SignEd25519() => _ed25519.SignValue(_unsigned);

    [Benchmark(Description = "Composite (signature, predicate, schema).Validate, Ed25519")]
    public bool ValidateComposite() => _composite.Validate(_signedEd25519, DhtRecordRequestType.Post);
}
