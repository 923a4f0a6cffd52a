using System.Buffers;
using CsCheck;
using Mesh.Multistream;
using Mesh.TestKit;
using Mesh.Transport.Protocols.Identify;

namespace Mesh.Transport.Tests.Protocols.Identify;

public sealed class IdentifyCodecTests
{
    // Encoded by js-libp2p 3.3.11's own identify protobuf codec (@libp2p/identify dist/src/pb/message.js) from the
    // message in Sample(); js writes fields in declaration order 5, 6, 1, 2, 4, 3.
    private const string JsEncodedBody =
        "2a0a697066732f302e312e30" + "321d6a732d6c69627032702f332e332e3131206e6f64652f32322e32332e33" +
        "0a24080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e" +
        "1208047f000001060fa1" + "121429000000000000000000000000000000010601bb" + "2208047f0000010604d2" +
        "1a0e2f697066732f69642f312e302e30" + "1a102f697066732f70696e672f312e302e30" + "1a0f2f697066732f6b61642f312e302e30";

    // The same fields in field-number order (1, 2, 2, 3, 3, 3, 4, 5, 6), as go-libp2p and MeshCore write them.
    private const string CanonicalBody =
        "0a24080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e" +
        "1208047f000001060fa1" + "121429000000000000000000000000000000010601bb" +
        "1a0e2f697066732f69642f312e302e30" + "1a102f697066732f70696e672f312e302e30" + "1a0f2f697066732f6b61642f312e302e30" +
        "2208047f0000010604d2" +
        "2a0a697066732f302e312e30" + "321d6a732d6c69627032702f332e332e3131206e6f64652f32322e32332e33";

    private static IdentifyMessage Sample()
    {
        var m = new IdentifyMessage
        {
            ProtocolVersion = "ipfs/0.1.0",
            AgentVersion = "js-libp2p/3.3.11 node/22.23.3",
            PublicKey = Hex.Decode("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"),
            ObservedAddr = Hex.Decode("047f0000010604d2"),
        };
        m.ListenAddrs.Add(Hex.Decode("047f000001060fa1"));
        m.ListenAddrs.Add(Hex.Decode("29000000000000000000000000000000010601bb"));
        m.Protocols.AddRange(["/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/ipfs/kad/1.0.0"]);
        return m;
    }

    private static byte[] Frame(string bodyHex)
    {
        byte[] body = Hex.Decode(bodyHex);
        var w = new ArrayBufferWriter<byte>();
        Uvarint.Write(w, (ulong)body.Length);
        w.Write(body);
        return w.WrittenSpan.ToArray();
    }

    private static void AssertSameMessage(IdentifyMessage expected, IdentifyMessage actual)
    {
        Assert.Equal(expected.ProtocolVersion, actual.ProtocolVersion);
        Assert.Equal(expected.AgentVersion, actual.AgentVersion);
        Assert.Equal(expected.PublicKey, actual.PublicKey);
        Assert.Equal(expected.ObservedAddr, actual.ObservedAddr);
        Assert.Equal(expected.SignedPeerRecord, actual.SignedPeerRecord);
        Assert.Equal(expected.ListenAddrs, actual.ListenAddrs);
        Assert.Equal(expected.Protocols, actual.Protocols);
    }

    [Fact]
    public void Decodes_js_libp2p_encoding_in_every_segmentation_and_leaves_trailing_bytes()
    {
        byte[] frame = [.. Frame(JsEncodedBody), 0xEE, 0xFF];
        foreach ((string shape, ReadOnlySequence<byte> seq) in Segments.Variants(frame))
        {
            ReadOnlySequence<byte> buffer = seq;
            var m = new IdentifyMessage();
            Assert.Equal(OperationStatus.Done, IdentifyCodec.TryReadFrame(ref buffer, m, out IdentifyError error));
            Assert.True(error == IdentifyError.None, shape);
            AssertSameMessage(Sample(), m);
            Assert.Equal(new byte[] { 0xEE, 0xFF }, buffer.ToArray());
        }
    }

    [Fact]
    public void Encodes_in_field_number_order()
    {
        var w = new ArrayBufferWriter<byte>();
        IdentifyCodec.WriteFrame(w, Sample());
        Assert.Equal(Hex.Encode(Frame(CanonicalBody)), Hex.Encode(w.WrittenSpan));
        Assert.Equal(Hex.Decode(CanonicalBody).Length, IdentifyCodec.GetBodyLength(Sample()));
    }

    [Fact]
    public void Does_not_consume_incomplete_input()
    {
        byte[] frame = Frame(CanonicalBody);
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(frame))
        {
            ReadOnlySequence<byte> buffer = prefix;
            var m = new IdentifyMessage();
            Assert.Equal(OperationStatus.NeedMoreData, IdentifyCodec.TryReadFrame(ref buffer, m, out _));
            Assert.Equal(prefix.Length, buffer.Length);
            Assert.True(buffer.Start.Equals(prefix.Start));
            Assert.Empty(m.Protocols);
        }
    }

    [Fact]
    public void Oversized_length_is_rejected_before_the_body_arrives()
    {
        // uvarint(8193) and no body at all.
        var w = new ArrayBufferWriter<byte>();
        Uvarint.Write(w, IdentifyCodec.MaxMessageSize + 1);
        var buffer = new ReadOnlySequence<byte>(w.WrittenMemory);
        Assert.Equal(OperationStatus.InvalidData, IdentifyCodec.TryReadFrame(ref buffer, new IdentifyMessage(), out IdentifyError error));
        Assert.Equal(IdentifyError.MessageTooLarge, error);
    }

    [Theory]
    [InlineData("8000", IdentifyError.BadLengthPrefix)]                // non-minimal uvarint length
    [InlineData("03" + "0a05aa", IdentifyError.MalformedProtobuf)]     // field longer than the body
    [InlineData("02" + "0801", IdentifyError.WrongWireType)]           // publicKey as a varint
    [InlineData("04" + "1a02c328", IdentifyError.InvalidUtf8)]         // protocol id that is not UTF-8
    [InlineData("04" + "3202ff61", IdentifyError.InvalidUtf8)]         // agent version that is not UTF-8
    [InlineData("02" + "5b00", IdentifyError.MalformedProtobuf)]       // start-group (field 11)
    [InlineData("01" + "00", IdentifyError.MalformedProtobuf)]         // field number 0
    [InlineData("0b" + "48ffffffffffffffffff7f", IdentifyError.MalformedProtobuf)] // varint over 64 bits
    public void Malformed_messages_are_rejected_with_a_reason(string frameHex, IdentifyError expected)
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Decode(frameHex));
        Assert.Equal(OperationStatus.InvalidData, IdentifyCodec.TryReadFrame(ref buffer, new IdentifyMessage(), out IdentifyError error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Unknown_fields_of_every_wire_type_are_skipped()
    {
        // field 9 varint, field 10 fixed64, field 11 bytes, field 12 fixed32, then agentVersion "a".
        string body = "48ac02" + "510102030405060708" + "5a03010203" + "6501020304" + "320161";
        var buffer = new ReadOnlySequence<byte>(Frame(body));
        var m = new IdentifyMessage();
        Assert.Equal(OperationStatus.Done, IdentifyCodec.TryReadFrame(ref buffer, m, out _));
        Assert.Equal("a", m.AgentVersion);
    }

    [Fact]
    public void Protocol_count_is_capped_across_merged_messages()
    {
        var m = new IdentifyMessage();
        for (int i = 0; i < IdentifyCodec.MaxProtocols; i++)
        {
            m.Protocols.Add("/p/" + i);
        }
        var buffer = new ReadOnlySequence<byte>(Frame("1a022f78"));
        Assert.Equal(OperationStatus.InvalidData, IdentifyCodec.TryReadFrame(ref buffer, m, out IdentifyError error));
        Assert.Equal(IdentifyError.TooManyEntries, error);
    }

    [Fact]
    public void Later_messages_merge_into_earlier_ones()
    {
        byte[] two = [.. Frame("320161" + "1a022f78"), .. Frame("320162" + "1a022f79")];
        var buffer = new ReadOnlySequence<byte>(two);
        var m = new IdentifyMessage();
        Assert.Equal(OperationStatus.Done, IdentifyCodec.TryReadFrame(ref buffer, m, out _));
        Assert.Equal(OperationStatus.Done, IdentifyCodec.TryReadFrame(ref buffer, m, out _));
        Assert.Equal("b", m.AgentVersion);
        Assert.Equal(["/x", "/y"], m.Protocols);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Round_trips_random_messages()
    {
        Gen<string> text = Gen.String[Gen.Char.AlphaNumeric, 0, 40];
        Gen<byte[]> bytes = Gen.Byte.Array[0, 60];
        Gen<IdentifyMessage> gen =
            from pv in text.Null()
            from av in Gen.String[0, 30].Null()
            from pk in bytes.Null()
            from addrs in bytes.Array[0, 5]
            from observed in bytes.Null()
            from protocols in Gen.String[0, 30].Array[0, 8]
            from spr in bytes.Null()
            select Build(pv, av, pk, addrs, observed, protocols, spr);
        Property.ForAll(gen, original =>
        {
            var w = new ArrayBufferWriter<byte>();
            IdentifyCodec.WriteFrame(w, original);
            var buffer = new ReadOnlySequence<byte>(w.WrittenMemory);
            var decoded = new IdentifyMessage();
            Assert.Equal(OperationStatus.Done, IdentifyCodec.TryReadFrame(ref buffer, decoded, out IdentifyError error, int.MaxValue));
            Assert.Equal(IdentifyError.None, error);
            AssertSameMessage(original, decoded);
        });

        static IdentifyMessage Build(string? pv, string? av, byte[]? pk, byte[][] addrs, byte[]? observed, string[] protocols, byte[]? spr)
        {
            var m = new IdentifyMessage { ProtocolVersion = pv, AgentVersion = av, PublicKey = pk, ObservedAddr = observed, SignedPeerRecord = spr };
            m.ListenAddrs.AddRange(addrs);
            // Strings round-trip only when they are valid UTF-16 (lone surrogates are not encodable).
            m.Protocols.AddRange(protocols.Select(p => p.Replace('\uD800', 'x')).Where(p => !p.Any(char.IsSurrogate)));
            if (av is not null && av.Any(char.IsSurrogate))
            {
                m.AgentVersion = "surrogate-free";
            }
            return m;
        }
    }
}
