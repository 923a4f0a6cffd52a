using Google.Protobuf;
using Mesh.Kademlia.Libp2p.Protos;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Libp2p.Records;

public sealed class IpnsRecordValidatorTests
{
    // Real records signed by a js-libp2p Ed25519 key with the `ipns` package 10.1.6 (createIPNSRecord, captured through
    // interop/js/peer.mjs `ipns-record`): value /ipfs/bafkqaaa, TTL 5 min.
    private const string JsKey = "2f69706e732f002408011220116e39998f93ad3f7016b3ed6036eefa7c0a1a3ef965147d8f18088829aa0126";

    // Sequence 7, valid until 2126-11-12T21:56:31.424000000Z, V1-compatible (protobuf fields beside the CBOR).
    private const string JsSeq7 =
        "0a0e2f697066732f6261666b7161616112402908a5b826b936497b7dc5becaaf6eeb38751f356e67adddb53acafa16fc431bbecbd5a7c198989eec94bdf51874c01d83b14c74a75547b980eee559e32d1e091800221e323132362d31312d31325432313a35363a33312e3432343030303030305a28073080f092cbdd084240137e865712cedaee048ce72d4431e47c7b1d9afd68a3eda8fcc3d2f18955cb413e30c8b8ea58a8d40aa045d838f6c1f6ac879da561f9ebf9ea85d3bf2fa2aa094a64a56354544c1b00000045d964b8006556616c75654e2f697066732f6261666b716161616853657175656e6365076856616c6964697479581e323132362d31312d31325432313a35363a33312e3432343030303030305a6c56616c69646974795479706500";

    // Sequence 8, V2 only (signatureV2 and data, nothing else).
    private const string JsSeq8V2Only =
        "42401f66aaa1e0258babaa3102fe29ae8244fc5b83dbfc8528afd40b3f72625b040a0f9546b364a2e2129c8c0324aff61f7df84bb7c9dd32d31cf084f49c78616d044a64a56354544c1b00000045d964b8006556616c75654e2f697066732f6261666b716161616853657175656e6365086856616c6964697479581e323132362d31312d31325432313a35363a33312e3432383030303030305a6c56616c69646974795479706500";

    // Sequence 9, valid until 2026-12-06T21:56:31.429000000Z (created with a 1 ms lifetime).
    private const string JsSeq9ShortLived =
        "0a0e2f697066732f6261666b716161611240ad05cbbefa8ff753ce0f80ae73cfa13dc385ad67f1ed3b2ad3fcdbe12f64b590c22ab03a4d1e1104b883b8a6a44e0372029fa2ccbe3ce1d29db16446ac3a3f0f1800221e323032362d31322d30365432313a35363a33312e3432393030303030305a28093080f092cbdd084240b452dc809a65d0c3b720515f9e938dda7487861333a4eda27c43628eb2b7d94e475b7911883cce003fdd00ed90dfc022bd4c2c30a0421e62bce649ea2b69120a4a64a56354544c1b00000045d964b8006556616c75654e2f697066732f6261666b716161616853657175656e6365096856616c6964697479581e323032362d31322d30365432313a35363a33312e3432393030303030305a6c56616c69646974795479706500";

    private static readonly DateTimeOffset Before2026 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static IpnsRecordValidator At(DateTimeOffset now) => new(new FixedClock(now));

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Theory]
    [InlineData(JsSeq7, 7UL)]
    [InlineData(JsSeq8V2Only, 8UL)]
    [InlineData(JsSeq9ShortLived, 9UL)]
    public void Records_signed_by_js_validate(string recordHex, ulong sequence)
    {
        IpnsRecordValidator validator = At(Before2026);
        Assert.True(validator.TryReadValid(Hex.Decode(JsKey), Hex.Decode(recordHex), out IpnsData data, out string? reason), reason);
        Assert.Equal(sequence, data.Sequence);
        Assert.Equal("/ipfs/bafkqaaa", System.Text.Encoding.UTF8.GetString(data.Value.Span));
        Assert.Equal(300_000_000_000UL, data.Ttl); // the ipns package's default TTL, 5 min
    }

    [Fact]
    public void A_record_past_its_validity_is_refused()
    {
        var expiry = new DateTimeOffset(2026, 12, 6, 21, 56, 31, 429, TimeSpan.Zero);
        Assert.True(At(expiry).Validate(Hex.Decode(JsKey), Hex.Decode(JsSeq9ShortLived), out _));
        Assert.False(At(expiry.AddMilliseconds(1)).Validate(Hex.Decode(JsKey), Hex.Decode(JsSeq9ShortLived), out string? reason));
        Assert.Contains("expired", reason);
    }

    [Fact]
    public void Select_prefers_the_higher_sequence_then_the_later_validity()
    {
        IpnsRecordValidator validator = At(Before2026);
        byte[] key = Hex.Decode(JsKey);
        ReadOnlyMemory<byte>[] records = [Hex.Decode(JsSeq7), Hex.Decode(JsSeq9ShortLived), Hex.Decode(JsSeq8V2Only)];
        Assert.Equal(1, validator.Select(key, records));
        PrivateKey k = PrivateKey.Generate(KeyType.Ed25519);
        byte[] sooner = IpnsTestRecords.Create(k, 5, Before2026.AddDays(1));
        byte[] later = IpnsTestRecords.Create(k, 5, Before2026.AddDays(2));
        Assert.Equal(1, validator.Select(IpnsTestRecords.Key(k.PeerId), [sooner, later]));
        Assert.Equal(0, validator.Select(IpnsTestRecords.Key(k.PeerId), [later, later]));
    }

    [Fact]
    public void Record_under_another_peers_key_is_refused()
    {
        PrivateKey other = PrivateKey.Generate(KeyType.Ed25519);
        Assert.False(At(Before2026).Validate(IpnsTestRecords.Key(other.PeerId), Hex.Decode(JsSeq7), out string? reason));
        Assert.Contains("signatureV2", reason);
    }

    [Fact]
    public void Rsa_key_in_pubKey_field_validates_and_a_foreign_pubKey_is_refused()
    {
        PrivateKey rsa = PrivateKey.Generate(KeyType.Rsa);
        byte[] record = IpnsTestRecords.Create(rsa, 1, Before2026.AddDays(1), embedPublicKey: true);
        Assert.True(At(Before2026).Validate(IpnsTestRecords.Key(rsa.PeerId), record, out string? reason), reason);
        // Without the pubKey field an RSA (sha2-256) peer id has no key to check against.
        byte[] bare = IpnsTestRecords.Create(rsa, 1, Before2026.AddDays(1));
        Assert.False(At(Before2026).Validate(IpnsTestRecords.Key(rsa.PeerId), bare, out _));
        PrivateKey ed = PrivateKey.Generate(KeyType.Ed25519);
        byte[] foreign = IpnsTestRecords.Create(ed, 1, Before2026.AddDays(1), embedPublicKey: true);
        Assert.False(At(Before2026).Validate(IpnsTestRecords.Key(rsa.PeerId), foreign, out reason));
        Assert.Contains("pubKey", reason);
    }

    [Fact]
    public void Tampered_signed_data_or_mismatched_v1_fields_are_refused()
    {
        PrivateKey k = PrivateKey.Generate(KeyType.Ed25519);
        byte[] key = IpnsTestRecords.Key(k.PeerId);
        IpnsRecordValidator validator = At(Before2026);
        Assert.True(validator.Validate(key, IpnsTestRecords.Create(k, 1, Before2026.AddDays(1)), out _));
        byte[] flippedSignature = IpnsTestRecords.Create(k, 1, Before2026.AddDays(1), tamper: e =>
        {
            byte[] s = e.SignatureV2.ToByteArray();
            s[0] ^= 1;
            e.SignatureV2 = ByteString.CopyFrom(s);
        });
        Assert.False(validator.Validate(key, flippedSignature, out _));
        byte[] v1Mismatch = IpnsTestRecords.Create(k, 1, Before2026.AddDays(1), tamper: e => e.Sequence = 99);
        Assert.False(validator.Validate(key, v1Mismatch, out string? reason));
        Assert.Contains("differs", reason);
        byte[] v1Only = IpnsTestRecords.Create(k, 1, Before2026.AddDays(1), tamper: e => { e.ClearSignatureV2(); e.SignatureV1 = ByteString.CopyFrom(new byte[64]); });
        Assert.False(validator.Validate(key, v1Only, out reason));
        Assert.Contains("V1-only", reason);
    }

    [Fact]
    public void Non_canonical_cbor_unknown_validity_type_and_bad_times_are_refused()
    {
        PrivateKey k = PrivateKey.Generate(KeyType.Ed25519);
        byte[] key = IpnsTestRecords.Key(k.PeerId);
        IpnsRecordValidator validator = At(Before2026);
        string validity = Rfc3339.Format(Before2026.AddDays(1));
        byte[] unordered = IpnsTestRecords.Cbor("/ipfs/x"u8.ToArray(), validity, 0, 1, 1, canonical: false);
        Assert.False(validator.Validate(key, IpnsTestRecords.Create(k, 1, Before2026.AddDays(1), v1Fields: false, data: unordered), out string? reason));
        Assert.Contains("canonical", reason);
        byte[] type1 = IpnsTestRecords.Cbor("/ipfs/x"u8.ToArray(), validity, 1, 1, 1);
        Assert.False(validator.Validate(key, IpnsTestRecords.Create(k, 1, Before2026.AddDays(1), v1Fields: false, data: type1), out reason));
        Assert.Contains("ValidityType", reason);
        byte[] badTime = IpnsTestRecords.Cbor("/ipfs/x"u8.ToArray(), "tomorrow", 0, 1, 1);
        Assert.False(validator.Validate(key, IpnsTestRecords.Create(k, 1, Before2026.AddDays(1), v1Fields: false, data: badTime), out reason));
        Assert.Contains("RFC 3339", reason);
        Assert.False(validator.Validate(key, IpnsTestRecords.Create(k, 1, Before2026.AddDays(1), v1Fields: false, data: [0xa0]), out reason));
        Assert.Contains("lacks", reason);
    }

    [Fact]
    public void Records_over_ten_kib_and_garbage_are_refused_without_throwing()
    {
        PrivateKey k = PrivateKey.Generate(KeyType.Ed25519);
        byte[] key = IpnsTestRecords.Key(k.PeerId);
        IpnsRecordValidator validator = At(Before2026);
        byte[] big = IpnsTestRecords.Create(k, 1, Before2026.AddDays(1), tamper: e => e.Value = ByteString.CopyFrom(new byte[IpnsRecordValidator.MaxRecordSize]));
        Assert.False(validator.Validate(key, big, out string? reason));
        Assert.Contains("limit", reason);
        Assert.False(validator.Validate(key, [0xff, 0xff, 0xff], out _));
        Assert.False(validator.Validate(key, [], out _));
        Assert.False(validator.Validate("/ipns/not-a-peer"u8, Hex.Decode(JsSeq7), out _));
        Assert.False(validator.Validate("/pk/x"u8, Hex.Decode(JsSeq7), out _));
        Assert.Equal(0, validator.Select(key, [new byte[] { 1, 2, 3 }]));
    }

    [Fact]
    public void Rfc3339_parses_nanoseconds_offsets_and_rejects_junk()
    {
        Assert.True(Rfc3339.TryParse("2126-11-12T21:56:31.424000000Z", out DateTimeOffset t));
        Assert.Equal(new DateTimeOffset(2126, 11, 12, 21, 56, 31, 424, TimeSpan.Zero), t);
        Assert.True(Rfc3339.TryParse("2025-01-02T03:04:05+01:00", out t));
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 2, 4, 5, TimeSpan.Zero), t.ToUniversalTime());
        Assert.False(Rfc3339.TryParse("2025-01-02 03:04:05Z", out _));
        Assert.False(Rfc3339.TryParse("2025-01-02T03:04:05.Z", out _));
        Assert.False(Rfc3339.TryParse("yesterday", out _));
        Assert.True(Rfc3339.TryParse(Rfc3339.Format(t), out DateTimeOffset back));
        Assert.Equal(t, back);
    }
}
