using System.Text;
using CsCheck;
using Google.Protobuf;
using Mesh.TestKit;
using Mesh.Transport.Noise;

namespace Mesh.Transport.Tests.Noise;

public sealed class NoisePayloadCodecTests
{
    private static readonly byte[] s_key = Hex.Decode("08011220" + "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
    private static readonly byte[] s_sig = Enumerable.Repeat((byte)0xAA, 64).ToArray();

    // Derived by hand from the protobuf encoding rules (tag = field << 3 | 2, then the varint length):
    //   0a 24 <identity_key, 36 bytes>   12 40 <identity_sig, 64 bytes>
    //   22 1c  12 0c "/yamux/1.0.0"  12 0c "/mplex/6.7.0"
    private static readonly string s_vectorHex =
        "0a24" + Hex.Encode(s_key) +
        "1240" + new string('a', 128) +
        "221c" + "120c" + Hex.Encode("/yamux/1.0.0"u8) + "120c" + Hex.Encode("/mplex/6.7.0"u8);

    private static NoiseHandshakePayload VectorPayload() => new()
    {
        IdentityKey = s_key,
        IdentitySignature = s_sig,
        Extensions = new NoiseExtensions { StreamMuxers = ["/yamux/1.0.0", "/mplex/6.7.0"] },
    };

    private static NoisePayloadError DecodeError(byte[] data)
    {
        Assert.False(NoisePayloadCodec.TryDecode(data, out _, out NoisePayloadError error));
        NoiseHandshakeException ex = Assert.Throws<NoiseHandshakeException>(() => NoisePayloadCodec.Decode(data));
        Assert.Equal(NoiseError.InvalidPayload, ex.Error);
        return error;
    }

    [Fact]
    public void Encodes_the_vector_canonically_and_decodes_it()
    {
        byte[] encoded = NoisePayloadCodec.Encode(VectorPayload());
        Assert.Equal(s_vectorHex, Hex.Encode(encoded));

        NoiseHandshakePayload decoded = NoisePayloadCodec.Decode(Hex.Decode(s_vectorHex));
        Assert.Equal(s_key, decoded.IdentityKey.ToArray());
        Assert.Equal(s_sig, decoded.IdentitySignature.ToArray());
        Assert.NotNull(decoded.Extensions);
        Assert.Equal(["/yamux/1.0.0", "/mplex/6.7.0"], decoded.Extensions.StreamMuxers);
        Assert.Empty(decoded.Extensions.WebTransportCertHashes);
    }

    [Fact]
    public void Omits_absent_extensions_and_reads_absent_fields_as_empty()
    {
        var payload = new NoiseHandshakePayload { IdentityKey = s_key, IdentitySignature = s_sig };
        byte[] encoded = NoisePayloadCodec.Encode(payload);
        Assert.Equal("0a24" + Hex.Encode(s_key) + "1240" + new string('a', 128), Hex.Encode(encoded));
        Assert.Null(NoisePayloadCodec.Decode(encoded).Extensions);

        NoiseHandshakePayload empty = NoisePayloadCodec.Decode([]);
        Assert.True(empty.IdentityKey.IsEmpty);
        Assert.True(empty.IdentitySignature.IsEmpty);
        Assert.Null(empty.Extensions);

        // Present but empty extensions stay present (an empty muxer list is not the same as no extensions field).
        NoiseHandshakePayload emptyExtensions = NoisePayloadCodec.Decode([0x22, 0x00]);
        Assert.NotNull(emptyExtensions.Extensions);
        Assert.Empty(emptyExtensions.Extensions.StreamMuxers);
    }

    [Fact]
    public void Skips_unknown_fields_of_every_wire_type_at_both_levels()
    {
        byte[] unknown =
        [
            0x18, 0x96, 0x01,                                 // field 3 varint 150
            0x29, 1, 2, 3, 4, 5, 6, 7, 8,                     // field 5 fixed64
            0x35, 1, 2, 3, 4,                                 // field 6 fixed32
            0x3a, 0x03, 0x61, 0x62, 0x63,                     // field 7 bytes "abc"
            0x43, 0x48, 0x01, 0x53, 0x54, 0x44,               // field 8 group { field 9 varint 1, group 10 { } }
            0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00,               // field 536870911 (the largest) varint 0
        ];
        byte[] extensionsBody = [.. unknown, 0x0a, 0x02, 0x12, 0x34, 0x12, 0x01, (byte)'x', .. unknown];
        byte[] data = [.. unknown, 0x0a, 0x01, 0x07, .. unknown, 0x22, (byte)extensionsBody.Length, .. extensionsBody, .. unknown];

        NoiseHandshakePayload decoded = NoisePayloadCodec.Decode(data);
        Assert.Equal([0x07], decoded.IdentityKey.ToArray());
        Assert.Equal(["x"], decoded.Extensions!.StreamMuxers);
        Assert.Equal([0x12, 0x34], decoded.Extensions.WebTransportCertHashes.Single().ToArray());
    }

    [Fact]
    public void Repeated_fields_follow_protobuf_merge_rules()
    {
        // identity_key twice: the last one wins; extensions twice: the repeated fields concatenate.
        byte[] data = [0x0a, 0x01, 0x01, 0x0a, 0x01, 0x02, 0x22, 0x03, 0x12, 0x01, (byte)'a', 0x22, 0x03, 0x12, 0x01, (byte)'b'];
        NoiseHandshakePayload decoded = NoisePayloadCodec.Decode(data);
        Assert.Equal([0x02], decoded.IdentityKey.ToArray());
        Assert.Equal(["a", "b"], decoded.Extensions!.StreamMuxers);
    }

    [Theory]
    [InlineData("0a", nameof(NoisePayloadError.Truncated))]                          // tag without length
    [InlineData("0a05aabb", nameof(NoisePayloadError.Truncated))]                    // length past the end
    [InlineData("0aff", nameof(NoisePayloadError.Truncated))]                        // varint cut off
    [InlineData("0affffffffffffffffff7f", nameof(NoisePayloadError.MalformedVarint))]  // 10th byte above 1
    [InlineData("0affffffffffffffffffff01", nameof(NoisePayloadError.MalformedVarint))] // 11-byte varint
    [InlineData("0affffffff0f", nameof(NoisePayloadError.Truncated))]                // 4 GiB length
    [InlineData("0200", nameof(NoisePayloadError.InvalidTag))]                       // field number 0
    [InlineData("0801", nameof(NoisePayloadError.InvalidTag))]                       // identity_key as a varint
    [InlineData("1501020304", nameof(NoisePayloadError.InvalidTag))]                 // identity_sig as fixed32
    [InlineData("2001", nameof(NoisePayloadError.InvalidTag))]                       // extensions as a varint
    [InlineData("22021001", nameof(NoisePayloadError.InvalidTag))]                   // stream_muxers as a varint
    [InlineData("1e", nameof(NoisePayloadError.InvalidWireType))]                    // wire type 6
    [InlineData("1f", nameof(NoisePayloadError.InvalidWireType))]                    // wire type 7
    [InlineData("1c", nameof(NoisePayloadError.InvalidWireType))]                    // end-group without a start
    [InlineData("1b24", nameof(NoisePayloadError.InvalidWireType))]                  // group closed by another field's end-group
    [InlineData("1b", nameof(NoisePayloadError.Truncated))]                          // unterminated group
    [InlineData("8080808010", nameof(NoisePayloadError.MalformedVarint))]            // tag above 32 bits
    [InlineData("220412020080", nameof(NoisePayloadError.InvalidUtf8))]              // stream muxer bytes 00 80: not UTF-8
    [InlineData("2202ff01", nameof(NoisePayloadError.InvalidWireType))]              // garbage inside extensions
    public void Malformed_payloads_give_typed_errors(string hex, string expected)
    {
        Assert.Equal(Enum.Parse<NoisePayloadError>(expected), DecodeError(Hex.Decode(hex)));
    }

    [Fact]
    public void Groups_nested_too_deep_are_refused()
    {
        byte[] deep = [.. Enumerable.Repeat((byte)0x1b, 20), .. Enumerable.Repeat((byte)0x1c, 20)];
        Assert.Equal(NoisePayloadError.InvalidWireType, DecodeError(deep));
        byte[] shallow = [.. Enumerable.Repeat((byte)0x1b, 8), .. Enumerable.Repeat((byte)0x1c, 8)];
        Assert.True(NoisePayloadCodec.TryDecode(shallow, out _, out _));
    }

    [Fact]
    public void Enforces_every_size_limit()
    {
        byte[] LengthDelimited(byte tag, int length) =>
            [tag, .. Varint(length), .. new byte[length]];

        Assert.True(NoisePayloadCodec.TryDecode(LengthDelimited(0x0a, NoisePayloadCodec.MaxIdentityKeyLength), out _, out _));
        Assert.Equal(NoisePayloadError.FieldTooLong, DecodeError(LengthDelimited(0x0a, NoisePayloadCodec.MaxIdentityKeyLength + 1)));
        Assert.Equal(NoisePayloadError.FieldTooLong, DecodeError(LengthDelimited(0x12, NoisePayloadCodec.MaxIdentitySignatureLength + 1)));

        byte[] Extensions(byte[] body) => [0x22, .. Varint(body.Length), .. body];
        Assert.Equal(NoisePayloadError.FieldTooLong, DecodeError(Extensions(LengthDelimited(0x12, NoisePayloadCodec.MaxStreamMuxerLength + 1))));
        Assert.Equal(NoisePayloadError.FieldTooLong, DecodeError(Extensions(LengthDelimited(0x0a, NoisePayloadCodec.MaxCertHashLength + 1))));

        byte[] muxers = [.. Enumerable.Range(0, NoisePayloadCodec.MaxStreamMuxers).SelectMany(_ => new byte[] { 0x12, 0x01, (byte)'m' })];
        Assert.True(NoisePayloadCodec.TryDecode(Extensions(muxers), out _, out _));
        Assert.Equal(NoisePayloadError.TooManyEntries, DecodeError(Extensions([.. muxers, 0x12, 0x01, (byte)'m'])));

        byte[] hashes = [.. Enumerable.Range(0, NoisePayloadCodec.MaxCertHashes + 1).SelectMany(_ => new byte[] { 0x0a, 0x01, 0x00 })];
        Assert.Equal(NoisePayloadError.TooManyEntries, DecodeError(Extensions(hashes)));

        // The limits apply across merged extensions too.
        Assert.Equal(NoisePayloadError.TooManyEntries, DecodeError([.. Extensions(muxers), .. Extensions([0x12, 0x01, (byte)'m'])]));
    }

    [Fact]
    public void Every_truncation_of_the_vector_decodes_or_fails_typed()
    {
        byte[] vector = Hex.Decode(s_vectorHex);
        for (int length = 0; length < vector.Length; length++)
        {
            // A prefix that ends on a field boundary is a valid (smaller) message; anything else is Truncated.
            if (!NoisePayloadCodec.TryDecode(vector.AsSpan(0, length), out _, out NoisePayloadError error))
            {
                Assert.Equal(NoisePayloadError.Truncated, error);
            }
        }
    }

    private static readonly Gen<NoiseHandshakePayload> s_genPayload =
        Gen.Select(
            Gen.Byte.Array[0, 300],
            Gen.Byte.Array[0, 300],
            Gen.Bool,
            Gen.Byte.Array[0, 64].Array[0, 4],
            Gen.String[Gen.Char, 0, 40].Array[0, 6])
        .Select(t => new NoiseHandshakePayload
        {
            IdentityKey = t.Item1,
            IdentitySignature = t.Item2,
            Extensions = t.Item3 || t.Item4.Length > 0 || t.Item5.Length > 0
                ? new NoiseExtensions
                {
                    WebTransportCertHashes = [.. t.Item4.Select(h => (ReadOnlyMemory<byte>)h)],
                    // Lone surrogates do not survive UTF-8: keep only well-formed strings.
                    StreamMuxers = [.. t.Item5.Select(m => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(m)))],
                }
                : null,
        });

    [Fact]
    public void Round_trips_random_payloads_and_Google_Protobuf_reads_the_same_fields()
    {
        SeededProperty.Check(s_genPayload, payload =>
        {
            byte[] encoded = NoisePayloadCodec.Encode(payload);
            Assert.Equal(encoded.Length, NoisePayloadCodec.GetEncodedLength(payload));
            Assert.False(NoisePayloadCodec.TryWrite(payload, new byte[Math.Max(0, encoded.Length - 1)], out _) && encoded.Length > 0);

            NoiseHandshakePayload decoded = NoisePayloadCodec.Decode(encoded);
            Assert.Equal(payload.IdentityKey.ToArray(), decoded.IdentityKey.ToArray());
            Assert.Equal(payload.IdentitySignature.ToArray(), decoded.IdentitySignature.ToArray());
            Assert.Equal(payload.Extensions is null, decoded.Extensions is null);
            if (payload.Extensions is not null)
            {
                Assert.Equal(payload.Extensions.StreamMuxers, decoded.Extensions!.StreamMuxers);
                Assert.Equal(payload.Extensions.WebTransportCertHashes.Select(h => h.ToArray()), decoded.Extensions.WebTransportCertHashes.Select(h => h.ToArray()));
            }

            // Differential: the reference protobuf runtime parses our encoding into the same fields.
            (byte[] key, byte[] sig, List<string> muxers, List<byte[]> hashes) = ParseWithGoogleProtobuf(encoded);
            Assert.Equal(payload.IdentityKey.ToArray(), key);
            Assert.Equal(payload.IdentitySignature.ToArray(), sig);
            Assert.Equal(payload.Extensions?.StreamMuxers ?? [], muxers);
            Assert.Equal((payload.Extensions?.WebTransportCertHashes ?? []).Select(h => h.ToArray()), hashes);
        }, iterations: 2_000);
    }

    private static (byte[] Key, byte[] Sig, List<string> Muxers, List<byte[]> Hashes) ParseWithGoogleProtobuf(byte[] encoded)
    {
        byte[] key = [], sig = [];
        var muxers = new List<string>();
        var hashes = new List<byte[]>();
        var input = new CodedInputStream(encoded);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = input.ReadBytes().ToByteArray(); break;
                case 2: sig = input.ReadBytes().ToByteArray(); break;
                case 4:
                    var inner = new CodedInputStream(input.ReadBytes().ToByteArray());
                    uint innerTag;
                    while ((innerTag = inner.ReadTag()) != 0)
                    {
                        if (WireFormat.GetTagFieldNumber(innerTag) == 1)
                        {
                            hashes.Add(inner.ReadBytes().ToByteArray());
                        }
                        else
                        {
                            muxers.Add(inner.ReadString());
                        }
                    }
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return (key, sig, muxers, hashes);
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        uint v = (uint)value;
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }
        bytes.Add((byte)v);
        return [.. bytes];
    }
}
