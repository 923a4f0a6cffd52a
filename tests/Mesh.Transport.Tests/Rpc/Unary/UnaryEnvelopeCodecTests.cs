using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Google.Protobuf;
using Mesh.Multistream;
using Mesh.TestKit;
using Mesh.Transport.Rpc.Unary;
using Mesh.Transport.Tests.Protocols;

namespace Mesh.Transport.Tests.Rpc.Unary;

public sealed class UnaryEnvelopeCodecTests
{
    private const int Max = UnaryEnvelopeCodec.DefaultMaxMessageSize;

    public static TheoryData<string> FrameNames()
    {
        var data = new TheoryData<string>();
        foreach ((string where, _, _) in RpcVectors.AllFrames())
        {
            data.Add(where);
        }
        return data;
    }

    private static (string Type, byte[] Framed) Frame(string where)
    {
        foreach ((string w, string type, byte[] framed) in RpcVectors.AllFrames())
        {
            if (w == where)
            {
                return (type, framed);
            }
        }
        throw new InvalidOperationException(where);
    }

    [Fact]
    public void The_vectors_hold_every_frame_the_readme_lists()
    {
        // 3 client calls × 2 frames, 3 registrations, 4 handler cases × 2, 12 setup frames, 8 + 4 + 4 + 4 step frames.
        Assert.Equal(6 + 3 + 8 + 12 + 20, RpcVectors.AllFrames().Count());
    }

    [Theory]
    [MemberData(nameof(FrameNames))]
    public void Every_vector_frame_decodes_with_the_generated_types_and_reencodes_byte_identically(string where)
    {
        (string type, byte[] framed) = Frame(where);
        ulong length = Uvarint.Read(framed, out int prefix);
        Assert.Equal(framed.Length - prefix, (int)length);
        byte[] body = framed[prefix..];
        IMessage message = type switch
        {
            "PersistentConnectionRequest" => PersistentConnectionRequest.Parser.ParseFrom(body),
            "PersistentConnectionResponse" => PersistentConnectionResponse.Parser.ParseFrom(body),
            _ => throw new InvalidOperationException(type),
        };
        Assert.Equal(Hex.Encode(body), Hex.Encode(message.ToByteArray()));
        var framedAgain = new ArrayBufferWriter<byte>();
        Uvarint.Write(framedAgain, (ulong)message.CalculateSize());
        framedAgain.Write(message.ToByteArray());
        Assert.Equal(Hex.Encode(framed), Hex.Encode(framedAgain.WrittenSpan));
    }

    [Theory]
    [MemberData(nameof(FrameNames))]
    public void Every_request_frame_decodes_with_the_span_codec_in_every_segmentation_and_reencodes_byte_identically(string where)
    {
        (string type, byte[] framed) = Frame(where);
        if (type != "PersistentConnectionRequest")
        {
            return; // the peer-to-peer envelope is always a PersistentConnectionRequest; Responses are daemon → Python only
        }
        Uvarint.Read(framed, out int prefixLength);
        PersistentConnectionRequest generated = PersistentConnectionRequest.Parser.ParseFrom(framed.AsSpan(prefixLength));
        foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(framed))
        {
            ReadOnlySequence<byte> buffer = sequence;
            OperationStatus status = UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope envelope, out UnaryEnvelopeError error, out _);
            Assert.True(status == OperationStatus.Done, $"{shape}: {status} {error}");
            Assert.True(buffer.IsEmpty, shape);
            AssertSame(generated, envelope);
            if (envelope.Kind != UnaryEnvelopeKind.Other)
            {
                Assert.Equal(Hex.Encode(framed), Hex.Encode(Reencode(envelope)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(FrameNames))]
    public void No_proper_prefix_of_a_frame_is_consumed(string where)
    {
        (_, byte[] framed) = Frame(where);
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(framed))
        {
            ReadOnlySequence<byte> buffer = prefix;
            Assert.Equal(OperationStatus.NeedMoreData, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out _, out _, out _));
            Assert.Equal(prefix.Start, buffer.Start);
            Assert.Equal(prefix.End, buffer.End);
        }
    }

    [Fact]
    public void The_client_call_vectors_decode_to_the_fields_the_file_names()
    {
        foreach (JsonElement c in RpcVectors.UnaryEnvelope().GetProperty("client_call_cases").EnumerateArray())
        {
            JsonElement sent = c.GetProperty("client_to_daemon");
            JsonElement call = c.GetProperty("call_unary");
            var buffer = new ReadOnlySequence<byte>(RpcVectors.HexOf(sent, "framed_hex"));
            Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope e, out _, out _));
            Assert.Equal(UnaryEnvelopeKind.CallUnary, e.Kind);
            Assert.Equal(sent.GetProperty("call_id_hex").GetString(), Hex.Encode(e.CallId.ToArray()));
            Assert.Equal(call.GetProperty("peer_hex").GetString(), Hex.Encode(e.Peer.ToArray()));
            Assert.Equal(call.GetProperty("proto").GetString(), Encoding.UTF8.GetString(e.Proto.ToArray()));
            Assert.Equal(call.GetProperty("data_hex").GetString(), Hex.Encode(e.Data.ToArray()));

            // The same frame written by our encoder from the same fields.
            var writer = new ArrayBufferWriter<byte>();
            UnaryEnvelopeCodec.WriteCallFrame(writer, UnaryEnvelopeCodec.ReadCallId(e.CallId), RpcVectors.HexOf(call, "peer_hex"),
                call.GetProperty("proto").GetString()!, RpcVectors.HexOf(call, "data_hex"));
            Assert.Equal(sent.GetProperty("framed_hex").GetString(), Hex.Encode(writer.WrittenSpan));
        }
    }

    [Fact]
    public void The_handler_reply_vectors_decode_to_the_response_or_error_the_file_names()
    {
        foreach (JsonElement h in RpcVectors.UnaryEnvelope().GetProperty("server_handler_cases").EnumerateArray())
        {
            JsonElement sent = h.GetProperty("handler_to_daemon");
            JsonElement reply = h.GetProperty("unary_response");
            var buffer = new ReadOnlySequence<byte>(RpcVectors.HexOf(sent, "framed_hex"));
            Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope e, out _, out _));
            Assert.Equal(UnaryEnvelopeKind.UnaryResponse, e.Kind);
            Assert.Equal(sent.GetProperty("call_id_hex").GetString(), Hex.Encode(e.CallId.ToArray()));
            var writer = new ArrayBufferWriter<byte>();
            if (reply.TryGetProperty("response_hex", out JsonElement response))
            {
                Assert.Equal(UnaryResultKind.Response, e.ResultKind);
                Assert.Equal(response.GetString(), Hex.Encode(e.Result.ToArray()));
                UnaryEnvelopeCodec.WriteResultFrame(writer, UnaryEnvelopeCodec.ReadCallId(e.CallId), UnaryResultKind.Response, Hex.Decode(response.GetString()!));
            }
            else
            {
                Assert.Equal(UnaryResultKind.Error, e.ResultKind);
                Assert.Equal(reply.GetProperty("error_text").GetString(), Encoding.UTF8.GetString(e.Result.ToArray()));
                UnaryEnvelopeCodec.WriteResultFrame(writer, UnaryEnvelopeCodec.ReadCallId(e.CallId), UnaryResultKind.Error,
                    Encoding.UTF8.GetBytes(reply.GetProperty("error_text").GetString()!));
            }
            Assert.Equal(sent.GetProperty("framed_hex").GetString(), Hex.Encode(writer.WrittenSpan));
        }
    }

    [Fact]
    public void Varint_framing_vectors_match_the_length_prefix_encoder()
    {
        foreach (JsonElement v in RpcVectors.UnaryEnvelope().GetProperty("varint_framing").EnumerateArray())
        {
            ulong value = v.GetProperty("value").GetUInt64();
            var writer = new ArrayBufferWriter<byte>();
            Uvarint.Write(writer, value);
            Assert.Equal(v.GetProperty("uvarint_hex").GetString(), Hex.Encode(writer.WrittenSpan));
            Assert.Equal(v.GetProperty("read_back").GetUInt64(), Uvarint.Read(writer.WrittenSpan, out _));
        }
    }

    [Fact]
    public void A_frame_over_the_limit_is_rejected_from_its_prefix_alone()
    {
        // 4 MiB + 1 declared; no body bytes follow. The limit must fire before waiting for 4 MiB.
        byte[] prefix = [0x81, 0x80, 0x80, 0x02];
        var buffer = new ReadOnlySequence<byte>(prefix);
        Assert.Equal(OperationStatus.InvalidData, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out _, out UnaryEnvelopeError error, out long declared));
        Assert.Equal(UnaryEnvelopeError.MessageTooLarge, error);
        Assert.Equal(Max + 1, declared);

        // Exactly the limit is allowed (gogo's ReadMsg rejects only length > maxSize).
        buffer = new ReadOnlySequence<byte>([0x80, 0x80, 0x80, 0x02]);
        Assert.Equal(OperationStatus.NeedMoreData, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out _, out _, out _));
    }

    [Theory]
    [InlineData("8000")]            // non-minimal
    [InlineData("80808080808080808001")] // 10 bytes
    public void A_malformed_length_prefix_is_rejected(string hex)
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Decode(hex));
        Assert.Equal(OperationStatus.InvalidData, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out _, out UnaryEnvelopeError error, out _));
        Assert.Equal(UnaryEnvelopeError.MalformedLengthPrefix, error);
    }

    [Theory]
    [InlineData("020aff")]          // callId claims 127+ bytes inside a 2-byte body
    [InlineData("0307ffff")]        // wire type 7 does not exist
    [InlineData("031a0132")]        // callUnary holds a field 6 (LEN) whose length is missing
    public void A_body_that_is_not_a_protobuf_is_rejected(string hex)
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Decode(hex));
        Assert.Equal(OperationStatus.InvalidData, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out _, out UnaryEnvelopeError error, out _));
        Assert.Equal(UnaryEnvelopeError.MalformedMessage, error);
    }

    [Fact]
    public void Non_canonical_layouts_take_the_general_path_with_the_same_meaning()
    {
        byte[] callId = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        // callUnary written data, proto, peer (reverse order), an unknown field 9, and the call id last.
        var inner = new List<byte>();
        inner.AddRange([0x1a, 0x02, 0xaa, 0xbb]);
        inner.AddRange([0x12, 0x01, (byte)'p']);
        inner.AddRange([0x0a, 0x01, 0x99]);
        inner.AddRange([0x48, 0x05]);
        var body = new List<byte> { 0x1a, (byte)inner.Count };
        body.AddRange(inner);
        body.AddRange([0x0a, 0x10]);
        body.AddRange(callId);
        byte[] framed = [(byte)body.Count, .. body];
        Assert.False(UnaryEnvelopeCodec.TryParseCanonical(new ReadOnlySequence<byte>(framed, 1, framed.Length - 1), out _));

        var buffer = new ReadOnlySequence<byte>(framed);
        Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope e, out _, out _));
        Assert.Equal(UnaryEnvelopeKind.CallUnary, e.Kind);
        Assert.Equal(callId, e.CallId.ToArray());
        Assert.Equal([0x99], e.Peer.ToArray());
        Assert.Equal("p"u8.ToArray(), e.Proto.ToArray());
        Assert.Equal([0xaa, 0xbb], e.Data.ToArray());
    }

    [Fact]
    public void A_daemon_control_message_decodes_as_other()
    {
        byte[] framed = RpcVectors.HexOf(RpcVectors.UnaryEnvelope().GetProperty("server_registrations")[0], "framed_hex");
        var buffer = new ReadOnlySequence<byte>(framed);
        Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope e, out _, out _));
        Assert.Equal(UnaryEnvelopeKind.Other, e.Kind);
    }

    [Fact]
    public void Two_frames_in_one_buffer_are_read_one_at_a_time()
    {
        var writer = new ArrayBufferWriter<byte>();
        UnaryEnvelopeCodec.WriteResultFrame(writer, Guid.NewGuid(), UnaryResultKind.Response, [1, 2, 3]);
        UnaryEnvelopeCodec.WriteResultFrame(writer, Guid.NewGuid(), UnaryResultKind.Error, "x"u8);
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
        Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope first, out _, out _));
        Assert.Equal(UnaryResultKind.Response, first.ResultKind);
        Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope second, out _, out _));
        Assert.Equal(UnaryResultKind.Error, second.ResultKind);
        Assert.True(buffer.IsEmpty);
    }

    private static readonly Gen<byte[]> s_bytes = Gen.Byte.Array[0, 300];

    [Fact]
    public void Call_frames_are_byte_identical_to_the_generated_serializer_and_round_trip()
    {
        Gen<(Guid, byte[], string, byte[])> gen =
            Gen.Select(Gen.Byte.Array[16], s_bytes, Gen.String[0, 80], Gen.Byte.Array[0, 20_000], (id, peer, proto, data) => (new Guid(id, bigEndian: true), peer, proto, data));
        Property.ForAll(gen, t =>
        {
            (Guid callId, byte[] peer, string proto, byte[] data) = t;
            var writer = new ArrayBufferWriter<byte>();
            UnaryEnvelopeCodec.WriteCallFrame(writer, callId, peer, proto, data);
            var expected = new PersistentConnectionRequest
            {
                CallId = ByteString.CopyFrom(callId.ToByteArray(bigEndian: true)),
                CallUnary = new CallUnaryRequest { Peer = ByteString.CopyFrom(peer), Proto = proto, Data = ByteString.CopyFrom(data) },
            };
            Assert.Equal(Frame(expected), writer.WrittenSpan.ToArray());
            Assert.Equal(UnaryEnvelopeCodec.GetFrameLength(UnaryEnvelopeCodec.GetCallMessageLength(peer.Length, Encoding.UTF8.GetByteCount(proto), data.Length)), writer.WrittenCount);

            var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
            Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope e, out _, out _));
            Assert.Equal(callId, UnaryEnvelopeCodec.ReadCallId(e.CallId));
            Assert.Equal(peer, e.Peer.ToArray());
            Assert.Equal(Encoding.UTF8.GetBytes(proto), e.Proto.ToArray());
            Assert.Equal(data, e.Data.ToArray());
        }, iterations: 2_000);
    }

    [Fact]
    public void Reply_frames_are_byte_identical_to_the_generated_serializer_and_round_trip()
    {
        Gen<(Guid, bool, byte[])> gen = Gen.Select(Gen.Byte.Array[16], Gen.Bool, Gen.Byte.Array[0, 20_000], (id, isError, payload) => (new Guid(id, bigEndian: true), isError, payload));
        Property.ForAll(gen, t =>
        {
            (Guid callId, bool isError, byte[] payload) = t;
            var writer = new ArrayBufferWriter<byte>();
            UnaryResultKind kind = isError ? UnaryResultKind.Error : UnaryResultKind.Response;
            UnaryEnvelopeCodec.WriteResultFrame(writer, callId, kind, payload);
            var result = new CallUnaryResponse();
            if (isError)
            {
                result.Error = ByteString.CopyFrom(payload);
            }
            else
            {
                result.Response = ByteString.CopyFrom(payload);
            }
            var expected = new PersistentConnectionRequest { CallId = ByteString.CopyFrom(callId.ToByteArray(bigEndian: true)), UnaryResponse = result };
            Assert.Equal(Frame(expected), writer.WrittenSpan.ToArray());
            Assert.Equal(UnaryEnvelopeCodec.GetFrameLength(UnaryEnvelopeCodec.GetResultMessageLength(payload.Length)), writer.WrittenCount);

            var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
            Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope e, out _, out _));
            Assert.Equal(kind, e.ResultKind);
            Assert.Equal(payload, e.Result.ToArray());
        }, iterations: 2_000);
    }

    [Fact]
    public void Random_bytes_never_throw_and_agree_with_the_generated_parser()
    {
        Property.ForAll(Gen.Byte.Array[0, 64], body =>
        {
            byte[] framed = [(byte)body.Length, .. body];
            var buffer = new ReadOnlySequence<byte>(framed);
            OperationStatus status = UnaryEnvelopeCodec.TryReadFrame(ref buffer, Max, out UnaryEnvelope e, out _, out _);
            PersistentConnectionRequest? generated = null;
            try
            {
                generated = PersistentConnectionRequest.Parser.ParseFrom(body);
            }
            catch (InvalidProtocolBufferException)
            {
            }
            if (generated is null)
            {
                Assert.Equal(OperationStatus.InvalidData, status);
                return;
            }
            Assert.Equal(OperationStatus.Done, status);
            AssertSame(generated, e);
        });
    }

    private static void AssertSame(PersistentConnectionRequest expected, UnaryEnvelope actual)
    {
        Assert.Equal(expected.CallId.ToByteArray(), actual.CallId.ToArray());
        switch (expected.MessageCase)
        {
            case PersistentConnectionRequest.MessageOneofCase.CallUnary:
                Assert.Equal(UnaryEnvelopeKind.CallUnary, actual.Kind);
                Assert.Equal(expected.CallUnary.Peer.ToByteArray(), actual.Peer.ToArray());
                Assert.Equal(expected.CallUnary.Proto, Encoding.UTF8.GetString(actual.Proto.ToArray()));
                Assert.Equal(expected.CallUnary.Data.ToByteArray(), actual.Data.ToArray());
                break;
            case PersistentConnectionRequest.MessageOneofCase.UnaryResponse:
                Assert.Equal(UnaryEnvelopeKind.UnaryResponse, actual.Kind);
                switch (expected.UnaryResponse.ResultCase)
                {
                    case CallUnaryResponse.ResultOneofCase.Response:
                        Assert.Equal(UnaryResultKind.Response, actual.ResultKind);
                        Assert.Equal(expected.UnaryResponse.Response.ToByteArray(), actual.Result.ToArray());
                        break;
                    case CallUnaryResponse.ResultOneofCase.Error:
                        Assert.Equal(UnaryResultKind.Error, actual.ResultKind);
                        Assert.Equal(expected.UnaryResponse.Error.ToByteArray(), actual.Result.ToArray());
                        break;
                    default:
                        Assert.Equal(UnaryResultKind.None, actual.ResultKind);
                        break;
                }
                break;
            default:
                Assert.Equal(UnaryEnvelopeKind.Other, actual.Kind);
                break;
        }
    }

    private static byte[] Reencode(UnaryEnvelope e)
    {
        var writer = new ArrayBufferWriter<byte>();
        if (e.Kind == UnaryEnvelopeKind.CallUnary)
        {
            UnaryEnvelopeCodec.WriteCallFrame(writer, UnaryEnvelopeCodec.ReadCallId(e.CallId), e.Peer.ToArray(), Encoding.UTF8.GetString(e.Proto.ToArray()), e.Data.ToArray());
            return writer.WrittenSpan.ToArray();
        }
        if (e.Kind == UnaryEnvelopeKind.UnaryResponse && e.ResultKind != UnaryResultKind.None)
        {
            UnaryEnvelopeCodec.WriteResultFrame(writer, UnaryEnvelopeCodec.ReadCallId(e.CallId), e.ResultKind, e.Result.ToArray());
            return writer.WrittenSpan.ToArray();
        }
        throw new InvalidOperationException("not a peer-to-peer envelope");
    }

    private static byte[] Frame(IMessage message)
    {
        var writer = new ArrayBufferWriter<byte>();
        Uvarint.Write(writer, (ulong)message.CalculateSize());
        writer.Write(message.ToByteArray());
        return writer.WrittenSpan.ToArray();
    }
}
