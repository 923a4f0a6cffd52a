using System.Buffers;
using Mesh.Multistream;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Streaming;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// Streaming RPC frames ([marker u8][length u64 BE][payload]) read as a stream, error frames decoded to their
/// RPCError text the way the caller does. The first input byte picks the segmentation (low nibble) and the message
/// size limit (high nibble: 16 B · 2^n). The frames, texts and final status may not depend on segmentation, and no
/// frame the reader accepts may exceed the limit.
/// </summary>
public sealed class RpcStreamFrameFuzzTarget : IFuzzTarget
{
    private const int MaxFrames = 16;

    public string Name => "rpc-stream-frame";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int chunk = input[0] & 0x0F;
        long maxMessageSize = 16L << (input[0] >> 4);
        byte[] data = input[1..].ToArray();
        List<string> a = ReadAll(new ReadOnlySequence<byte>(data), maxMessageSize);
        List<string> b = ReadAll(FuzzSegments.Chunked(data, chunk), maxMessageSize);
        if (!a.SequenceEqual(b))
        {
            throw new InvalidOperationException($"segmentation changed the result: [{string.Join(", ", a)}] vs [{string.Join(", ", b)}]");
        }
    }

    private static List<string> ReadAll(ReadOnlySequence<byte> buffer, long maxMessageSize)
    {
        var results = new List<string>();
        for (int i = 0; i < MaxFrames; i++)
        {
            long before = buffer.Length;
            OperationStatus status = StreamFrameCodec.TryReadFrame(ref buffer, maxMessageSize, out StreamFrameMarker marker, out ReadOnlySequence<byte> payload,
                out StreamFrameError error, out ulong declared);
            if (status != OperationStatus.Done)
            {
                if (status == OperationStatus.NeedMoreData && buffer.Length != before)
                {
                    throw new InvalidOperationException("NeedMoreData consumed input");
                }
                results.Add($"{status}/{error}/{(error == StreamFrameError.MessageTooLarge ? declared : 0)}");
                return results;
            }
            if (payload.Length > maxMessageSize || before - buffer.Length != StreamFrameCodec.HeaderLength + payload.Length)
            {
                throw new InvalidOperationException("frame bounds are wrong");
            }
            if (marker == StreamFrameMarker.Error)
            {
                try
                {
                    results.Add("error:" + RpcMessages.ReadErrorFrame(payload));
                }
                catch (MeshProtocolException ex)
                {
                    results.Add("bad-error:" + ex.GetType().Name);
                    return results;
                }
            }
            else
            {
                results.Add("message:" + Convert.ToHexString(payload.ToArray()));
            }
        }
        return results;
    }
}
