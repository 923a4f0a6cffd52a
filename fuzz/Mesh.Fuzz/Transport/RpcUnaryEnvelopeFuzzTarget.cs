using System.Buffers;
using System.Text;
using Google.Protobuf;
using Mesh.Transport.Rpc.Unary;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// Unary RPC envelopes (uvarint length ‖ PersistentConnectionRequest), read as a stream of frames the way a callee and
/// a caller read them. The first input byte picks the segmentation (low nibble: split every k bytes) and the message
/// size limit (high nibble: 64 B · 2^n, so small inputs also reach the limit). Checked differentially: the result may
/// not depend on segmentation; every frame the zero-copy fast path accepts must mean what the generated protobuf
/// parser says it means; every call or reply re-encodes to bytes that decode to the same fields.
/// </summary>
public sealed class RpcUnaryEnvelopeFuzzTarget : IFuzzTarget
{
    private const int MaxFrames = 8;

    public string Name => "rpc-unary-envelope";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int chunk = input[0] & 0x0F;
        int maxMessageSize = 64 << (input[0] >> 4);
        byte[] data = input[1..].ToArray();
        List<string> a = ReadAll(new ReadOnlySequence<byte>(data), maxMessageSize);
        List<string> b = ReadAll(FuzzSegments.Chunked(data, chunk), maxMessageSize);
        if (!a.SequenceEqual(b))
        {
            throw new InvalidOperationException($"segmentation changed the result: [{string.Join(", ", a)}] vs [{string.Join(", ", b)}]");
        }
    }

    private static List<string> ReadAll(ReadOnlySequence<byte> buffer, int maxMessageSize)
    {
        var results = new List<string>();
        for (int i = 0; i < MaxFrames; i++)
        {
            ReadOnlySequence<byte> before = buffer;
            OperationStatus status = UnaryEnvelopeCodec.TryReadFrame(ref buffer, maxMessageSize, out UnaryEnvelope envelope, out UnaryEnvelopeError error, out long declared);
            if (status != OperationStatus.Done)
            {
                if (status == OperationStatus.NeedMoreData && buffer.Length != before.Length)
                {
                    throw new InvalidOperationException("NeedMoreData consumed input");
                }
                if (error == UnaryEnvelopeError.MessageTooLarge && declared <= maxMessageSize)
                {
                    throw new InvalidOperationException($"frame of {declared} bytes reported as over the {maxMessageSize} limit");
                }
                results.Add($"{status}/{error}");
                return results;
            }
            long consumed = before.Length - buffer.Length;
            ReadOnlySequence<byte> frame = before.Slice(0, consumed);
            CheckAgainstGenerated(frame, envelope);
            CheckReencoding(envelope);
            results.Add(Describe(envelope));
        }
        return results;
    }

    private static void CheckAgainstGenerated(ReadOnlySequence<byte> frame, in UnaryEnvelope envelope)
    {
        var reader = new SequenceReader<byte>(frame);
        // Skip the uvarint prefix (already validated).
        while (reader.TryRead(out byte b) && b >= 0x80)
        {
        }
        PersistentConnectionRequest generated;
        try
        {
            generated = PersistentConnectionRequest.Parser.ParseFrom(reader.UnreadSequence);
        }
        catch (InvalidProtocolBufferException) when (envelope.Kind == UnaryEnvelopeKind.CallUnary && !IsUtf8(envelope.Proto))
        {
            // p2pd.proto is proto2: Go's daemon (like our codec) takes `proto` as bytes without validating UTF-8, while
            // Google.Protobuf for C# refuses invalid UTF-8 in any string field. Such a call is then answered as a proto
            // naming another handler (UnaryCallTests covers it); there is nothing else to compare.
            return;
        }
        catch (InvalidProtocolBufferException)
        {
            throw new InvalidOperationException("the codec accepted a frame the generated parser rejects");
        }
        UnaryEnvelope expected = UnaryEnvelopeCodec.FromMessage(generated);
        if (Describe(expected) != Describe(envelope))
        {
            throw new InvalidOperationException($"fast path and generated parser disagree: {Describe(envelope)} vs {Describe(expected)}");
        }
    }

    private static void CheckReencoding(in UnaryEnvelope envelope)
    {
        var writer = new ArrayBufferWriter<byte>();
        if (envelope.Kind == UnaryEnvelopeKind.CallUnary && envelope.CallId.Length == UnaryEnvelopeCodec.CallIdLength)
        {
            UnaryEnvelopeCodec.WriteCallFrame(writer, UnaryEnvelopeCodec.ReadCallId(envelope.CallId), envelope.Peer.ToArray(),
                Encoding.UTF8.GetString(envelope.Proto.ToArray()), envelope.Data.ToArray());
        }
        else if (envelope.Kind == UnaryEnvelopeKind.UnaryResponse && envelope.ResultKind != UnaryResultKind.None && envelope.CallId.Length == UnaryEnvelopeCodec.CallIdLength)
        {
            UnaryEnvelopeCodec.WriteResultFrame(writer, UnaryEnvelopeCodec.ReadCallId(envelope.CallId), envelope.ResultKind, envelope.Result.ToArray());
        }
        else
        {
            return;
        }
        var again = new ReadOnlySequence<byte>(writer.WrittenMemory);
        if (UnaryEnvelopeCodec.TryReadFrame(ref again, int.MaxValue, out UnaryEnvelope decoded, out _, out _) != OperationStatus.Done || !again.IsEmpty)
        {
            throw new InvalidOperationException("a re-encoded envelope does not decode");
        }
        string before = Describe(envelope);
        string after = Describe(decoded);
        // Proto is text: invalid UTF-8 legitimately becomes U+FFFD on the way through a string.
        if (before != after && Encoding.UTF8.GetString(envelope.Proto.ToArray()) == Encoding.UTF8.GetString(decoded.Proto.ToArray())
            && Describe(envelope, withProto: false) == Describe(decoded, withProto: false))
        {
            return;
        }
        if (before != after)
        {
            throw new InvalidOperationException($"re-encoding changed the envelope: {before} vs {after}");
        }
    }

    private static bool IsUtf8(ReadOnlySequence<byte> text) => System.Text.Unicode.Utf8.IsValid(text.ToArray());

    private static string Describe(in UnaryEnvelope e, bool withProto = true) =>
        $"{e.Kind} id={Convert.ToHexString(e.CallId.ToArray())} peer={Convert.ToHexString(e.Peer.ToArray())} " +
        (withProto ? $"proto={Convert.ToHexString(e.Proto.ToArray())} " : "") +
        $"data={Convert.ToHexString(e.Data.ToArray())} {e.ResultKind}={Convert.ToHexString(e.Result.ToArray())}";
}
