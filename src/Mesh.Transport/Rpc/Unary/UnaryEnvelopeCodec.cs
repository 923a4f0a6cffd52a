using System.Buffers;
using System.Text;
using Google.Protobuf;
using Mesh.Multistream;

namespace Mesh.Transport.Rpc.Unary;

/// <summary>
/// The unary RPC envelope between peers (mesh-reference §4.2; go-libp2p-daemon v0.5.0.hivemind1
/// <c>persistent_stream.go</c>): one uvarint-delimited <c>PersistentConnectionRequest</c> from the caller with
/// <c>callUnary</c>, one back from the callee with <c>unaryResponse</c>.
/// <code>
///   frame  = uvarint(n) ‖ n bytes                               n ≤ max message size (4 MiB), checked on the prefix
///   caller : 0a 10 callId(16) ‖ 1a len [ 0a len peer ‖ 12 len proto ‖ 1a len data ]   (callId=1, callUnary=3)
///   callee : 0a 10 callId(16) ‖ 22 len [ 0a len response | 12 len error ]             (unaryResponse=4)
/// </code>
/// Decoding takes the canonical layout above (what the Go daemon, Python and we write) on a zero-copy fast path over
/// the buffer; anything else (other field order, unknown or repeated fields, daemon control members) goes through the
/// generated <see cref="PersistentConnectionRequest"/> parser, so every input a protobuf parser accepts is accepted
/// with the same meaning. Writing always produces the canonical layout, byte-identical to the generated serializer.
/// </summary>
internal static class UnaryEnvelopeCodec
{
    /// <summary>Length of a call id (a UUID; the Go callee drops calls whose id is not exactly 16 bytes).</summary>
    public const int CallIdLength = 16;

    /// <summary>The go daemon's <c>persistentConnMaxMsgSize</c> default, which Python passes as <c>-persistentConnMaxMsgSize</c>.</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    private const int FieldCallId = 1;
    private const int FieldCallUnary = 3;
    private const int FieldUnaryResponse = 4;
    private const int FieldPeer = 1;
    private const int FieldProto = 2;
    private const int FieldData = 3;

    private static readonly byte s_tagCallId = ProtoWire.LengthDelimitedTag(FieldCallId);
    private static readonly byte s_tagCallUnary = ProtoWire.LengthDelimitedTag(FieldCallUnary);
    private static readonly byte s_tagUnaryResponse = ProtoWire.LengthDelimitedTag(FieldUnaryResponse);
    private static readonly byte s_tagPeer = ProtoWire.LengthDelimitedTag(FieldPeer);
    private static readonly byte s_tagProto = ProtoWire.LengthDelimitedTag(FieldProto);
    private static readonly byte s_tagData = ProtoWire.LengthDelimitedTag(FieldData);

    /// <summary>
    /// Reads one envelope frame from <paramref name="buffer"/>.
    /// </summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>: <paramref name="envelope"/> holds views into the buffer and the buffer is
    /// sliced past the frame. <see cref="OperationStatus.NeedMoreData"/>: nothing consumed. 
    /// <see cref="OperationStatus.InvalidData"/>: <paramref name="error"/> says why; a too-large frame is reported as soon
    /// as its prefix is read, with <paramref name="declaredLength"/>, before its body arrives.
    /// </returns>
    public static OperationStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out UnaryEnvelope envelope,
        out UnaryEnvelopeError error, out long declaredLength)
    {
        envelope = default;
        declaredLength = 0;
        ReadOnlySequence<byte> rest = buffer;
        OperationStatus status = Uvarint.TryRead(ref rest, out ulong length, out _);
        if (status != OperationStatus.Done)
        {
            error = status == OperationStatus.NeedMoreData ? UnaryEnvelopeError.None : UnaryEnvelopeError.MalformedLengthPrefix;
            return status;
        }
        declaredLength = length > long.MaxValue ? long.MaxValue : (long)length;
        if (length > (ulong)maxMessageSize)
        {
            error = UnaryEnvelopeError.MessageTooLarge;
            return OperationStatus.InvalidData;
        }
        if (rest.Length < (long)length)
        {
            error = UnaryEnvelopeError.None;
            return OperationStatus.NeedMoreData;
        }
        ReadOnlySequence<byte> body = rest.Slice(0, (long)length);
        if (!TryParseCanonical(body, out envelope) && !TryParseGeneral(body, out envelope))
        {
            error = UnaryEnvelopeError.MalformedMessage;
            return OperationStatus.InvalidData;
        }
        buffer = rest.Slice(body.End);
        error = UnaryEnvelopeError.None;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Reads only the length prefix: the whole frame's length (prefix included) once the prefix is complete and within
    /// the limit. Nothing is consumed.
    /// </summary>
    public static OperationStatus TryReadFrameLength(in ReadOnlySequence<byte> buffer, int maxMessageSize, out int frameLength)
    {
        frameLength = 0;
        ReadOnlySequence<byte> rest = buffer;
        OperationStatus status = Uvarint.TryRead(ref rest, out ulong length, out _);
        if (status != OperationStatus.Done)
        {
            return status;
        }
        if (length > (ulong)maxMessageSize)
        {
            return OperationStatus.InvalidData;
        }
        frameLength = (int)(buffer.Length - rest.Length) + (int)length;
        return OperationStatus.Done;
    }

    /// <summary>
    /// The fast path: the exact field layout every known writer produces. False means "not that layout", not "invalid";
    /// the general parser then decides.
    /// </summary>
    internal static bool TryParseCanonical(ReadOnlySequence<byte> body, out UnaryEnvelope envelope)
    {
        envelope = default;
        var reader = new SequenceReader<byte>(body);
        if (!ProtoWire.TryReadField(ref reader, s_tagCallId, out ReadOnlySequence<byte> callId) || !reader.TryRead(out byte tag))
        {
            return false;
        }
        if (!ProtoWire.TryReadLengthDelimited(ref reader, out ReadOnlySequence<byte> inner) || !reader.End)
        {
            return false;
        }
        var innerReader = new SequenceReader<byte>(inner);
        if (tag == s_tagCallUnary)
        {
            if (!ProtoWire.TryReadField(ref innerReader, s_tagPeer, out ReadOnlySequence<byte> peer)
                || !ProtoWire.TryReadField(ref innerReader, s_tagProto, out ReadOnlySequence<byte> proto)
                || !ProtoWire.TryReadField(ref innerReader, s_tagData, out ReadOnlySequence<byte> data)
                || !innerReader.End)
            {
                return false;
            }
            envelope = new UnaryEnvelope(UnaryEnvelopeKind.CallUnary, callId, peer, proto, data, UnaryResultKind.None, default);
            return true;
        }
        if (tag == s_tagUnaryResponse)
        {
            if (innerReader.End)
            {
                envelope = new UnaryEnvelope(UnaryEnvelopeKind.UnaryResponse, callId, default, default, default, UnaryResultKind.None, default);
                return true;
            }
            if (!innerReader.TryPeek(out byte resultTag))
            {
                return false;
            }
            UnaryResultKind kind = resultTag == ProtoWire.LengthDelimitedTag((int)UnaryResultKind.Response) ? UnaryResultKind.Response
                : resultTag == ProtoWire.LengthDelimitedTag((int)UnaryResultKind.Error) ? UnaryResultKind.Error
                : UnaryResultKind.None;
            if (kind == UnaryResultKind.None
                || !ProtoWire.TryReadField(ref innerReader, resultTag, out ReadOnlySequence<byte> result)
                || !innerReader.End)
            {
                return false;
            }
            envelope = new UnaryEnvelope(UnaryEnvelopeKind.UnaryResponse, callId, default, default, default, kind, result);
            return true;
        }
        return false;
    }

    /// <summary>
    /// The general path through the generated parser (full protobuf semantics: any field order, merged repeats, unknown
    /// fields skipped). Copies, so it is for the rare non-canonical input only.
    /// </summary>
    internal static bool TryParseGeneral(ReadOnlySequence<byte> body, out UnaryEnvelope envelope)
    {
        PersistentConnectionRequest message;
        try
        {
            message = PersistentConnectionRequest.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException)
        {
            envelope = default;
            return false;
        }
        envelope = FromMessage(message);
        return true;
    }

    /// <summary>The envelope view of a generated message (views over its byte strings).</summary>
    internal static UnaryEnvelope FromMessage(PersistentConnectionRequest message)
    {
        var callId = new ReadOnlySequence<byte>(message.CallId.Memory);
        switch (message.MessageCase)
        {
            case PersistentConnectionRequest.MessageOneofCase.CallUnary:
                CallUnaryRequest call = message.CallUnary;
                return new UnaryEnvelope(UnaryEnvelopeKind.CallUnary, callId,
                    new ReadOnlySequence<byte>(call.Peer.Memory),
                    new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(call.Proto)),
                    new ReadOnlySequence<byte>(call.Data.Memory),
                    UnaryResultKind.None, default);
            case PersistentConnectionRequest.MessageOneofCase.UnaryResponse:
                CallUnaryResponse reply = message.UnaryResponse;
                return reply.ResultCase switch
                {
                    CallUnaryResponse.ResultOneofCase.Response => new UnaryEnvelope(UnaryEnvelopeKind.UnaryResponse, callId, default, default, default,
                        UnaryResultKind.Response, new ReadOnlySequence<byte>(reply.Response.Memory)),
                    CallUnaryResponse.ResultOneofCase.Error => new UnaryEnvelope(UnaryEnvelopeKind.UnaryResponse, callId, default, default, default,
                        UnaryResultKind.Error, new ReadOnlySequence<byte>(reply.Error.Memory)),
                    _ => new UnaryEnvelope(UnaryEnvelopeKind.UnaryResponse, callId, default, default, default, UnaryResultKind.None, default),
                };
            default:
                return new UnaryEnvelope(UnaryEnvelopeKind.Other, callId, default, default, default, UnaryResultKind.None, default);
        }
    }

    /// <summary>Length of the <c>PersistentConnectionRequest{callId, callUnary{peer, proto, data}}</c> message (no prefix).</summary>
    public static long GetCallMessageLength(int peerLength, int protoLength, long dataLength)
    {
        long inner = ProtoWire.FieldLength(peerLength) + ProtoWire.FieldLength(protoLength) + ProtoWire.FieldLength(dataLength);
        return ProtoWire.FieldLength(CallIdLength) + ProtoWire.FieldLength(inner);
    }

    /// <summary>Length of the <c>PersistentConnectionRequest{callId, unaryResponse{response|error}}</c> message (no prefix).</summary>
    public static long GetResultMessageLength(long payloadLength) =>
        ProtoWire.FieldLength(CallIdLength) + ProtoWire.FieldLength(ProtoWire.FieldLength(payloadLength));

    /// <summary>Length of a whole frame (uvarint prefix and message).</summary>
    public static long GetFrameLength(long messageLength) => Uvarint.GetByteCount((ulong)messageLength) + messageLength;

    /// <summary>
    /// Writes a call frame up to (not including) the <paramref name="dataLength"/> request bytes, which the caller
    /// writes next (straight from the message serializer into the same writer).
    /// </summary>
    public static void WriteCallPrefix(IBufferWriter<byte> output, Guid callId, ReadOnlySpan<byte> peer, string proto, int protoLength, long dataLength)
    {
        long inner = ProtoWire.FieldLength(peer.Length) + ProtoWire.FieldLength(protoLength) + ProtoWire.FieldLength(dataLength);
        long message = ProtoWire.FieldLength(CallIdLength) + ProtoWire.FieldLength(inner);
        long prefixLength = GetFrameLength(message) - dataLength;
        Span<byte> span = output.GetSpan((int)prefixLength);
        int pos = ProtoWire.WriteVarint(span, (ulong)message);
        pos += WriteCallId(span[pos..], callId);
        pos += ProtoWire.WriteFieldHeader(span[pos..], FieldCallUnary, inner);
        pos += ProtoWire.WriteFieldHeader(span[pos..], FieldPeer, peer.Length);
        peer.CopyTo(span[pos..]);
        pos += peer.Length;
        pos += ProtoWire.WriteFieldHeader(span[pos..], FieldProto, protoLength);
        pos += Encoding.UTF8.GetBytes(proto, span[pos..]);
        pos += ProtoWire.WriteFieldHeader(span[pos..], FieldData, dataLength);
        output.Advance(pos);
    }

    /// <summary>Writes a reply frame up to (not including) its <paramref name="payloadLength"/> response or error bytes.</summary>
    public static void WriteResultPrefix(IBufferWriter<byte> output, Guid callId, UnaryResultKind kind, long payloadLength)
    {
        long inner = ProtoWire.FieldLength(payloadLength);
        long message = ProtoWire.FieldLength(CallIdLength) + ProtoWire.FieldLength(inner);
        Span<byte> span = output.GetSpan((int)(GetFrameLength(message) - payloadLength));
        int pos = ProtoWire.WriteVarint(span, (ulong)message);
        pos += WriteCallId(span[pos..], callId);
        pos += ProtoWire.WriteFieldHeader(span[pos..], FieldUnaryResponse, inner);
        pos += ProtoWire.WriteFieldHeader(span[pos..], (int)kind, payloadLength);
        output.Advance(pos);
    }

    /// <summary>Writes a complete reply frame whose payload is already serialized (error text, raw response bytes).</summary>
    public static void WriteResultFrame(IBufferWriter<byte> output, Guid callId, UnaryResultKind kind, ReadOnlySpan<byte> payload)
    {
        WriteResultPrefix(output, callId, kind, payload.Length);
        output.Write(payload);
    }

    /// <summary>Writes a complete call frame whose request is already serialized.</summary>
    public static void WriteCallFrame(IBufferWriter<byte> output, Guid callId, ReadOnlySpan<byte> peer, string proto, ReadOnlySpan<byte> data)
    {
        WriteCallPrefix(output, callId, peer, proto, Encoding.UTF8.GetByteCount(proto), data.Length);
        output.Write(data);
    }

    /// <summary>The 16 call id bytes in RFC 4122 order (what Python's <c>uuid.bytes</c> and Go's <c>uuid.FromBytes</c> use).</summary>
    public static Guid ReadCallId(ReadOnlySequence<byte> callId)
    {
        Span<byte> bytes = stackalloc byte[CallIdLength];
        callId.CopyTo(bytes);
        return new Guid(bytes, bigEndian: true);
    }

    private static int WriteCallId(Span<byte> destination, Guid callId)
    {
        destination[0] = s_tagCallId;
        destination[1] = CallIdLength;
        callId.TryWriteBytes(destination.Slice(2, CallIdLength), bigEndian: true, out _);
        return 2 + CallIdLength;
    }
}
