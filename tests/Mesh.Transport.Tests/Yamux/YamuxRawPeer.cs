using System.Buffers;
using System.IO.Pipelines;
using Mesh.Transport.Yamux;

namespace Mesh.Transport.Tests.Yamux;

/// <summary>
/// A hand-driven yamux peer for protocol tests: writes exact frames with the codec and reads the session's frames one
/// by one. By default it answers the session's pings (SYN) and hides them, so tests see only what they look for.
/// </summary>
internal sealed class YamuxRawPeer
{
    private readonly IDuplexPipe _pipe;

    public YamuxRawPeer(IDuplexPipe pipe, bool answerPings = true)
    {
        _pipe = pipe;
        AnswerPings = answerPings;
    }

    public bool AnswerPings { get; set; }

    public int PingsSeen { get; private set; }

    public PipeWriter Output => _pipe.Output;

    public async Task SendAsync(YamuxHeader header, ReadOnlyMemory<byte> payload = default)
    {
        byte[] frame = new byte[YamuxHeader.Size + payload.Length];
        Assert.True(YamuxFrameCodec.TryWriteHeader(frame, header, out _));
        payload.CopyTo(frame.AsMemory(YamuxHeader.Size));
        await _pipe.Output.WriteAsync(frame);
    }

    public Task SendRawAsync(byte[] bytes) => _pipe.Output.WriteAsync(bytes).AsTask();

    /// <summary>Next frame from the session (pings answered and skipped unless disabled); null once the session's output ended.</summary>
    public async Task<(YamuxHeader Header, byte[] Payload)?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            (YamuxHeader Header, byte[] Payload)? frame = await ReadAnyFrameAsync(cancellationToken);
            if (frame is { } f && AnswerPings && f.Header.Type == YamuxFrameType.Ping && (f.Header.Flags & YamuxFlags.Syn) != 0)
            {
                PingsSeen++;
                await SendAsync(YamuxHeader.Ping(YamuxFlags.Ack, f.Header.Length));
                continue;
            }
            return frame;
        }
    }

    private async Task<(YamuxHeader Header, byte[] Payload)?> ReadAnyFrameAsync(CancellationToken cancellationToken)
    {
        PipeReader input = _pipe.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            ReadOnlySequence<byte> before = buffer;
            OperationStatus status = YamuxFrameCodec.TryReadHeader(ref buffer, out YamuxHeader header, out YamuxError error);
            Assert.NotEqual(OperationStatus.InvalidData, status);
            if (status == OperationStatus.Done)
            {
                long payloadLength = header.Type == YamuxFrameType.Data ? header.Length : 0;
                if (buffer.Length >= payloadLength)
                {
                    byte[] payload = buffer.Slice(0, payloadLength).ToArray();
                    input.AdvanceTo(buffer.GetPosition(payloadLength));
                    return (header, payload);
                }
            }
            if (result.IsCompleted)
            {
                input.AdvanceTo(before.End);
                return null;
            }
            input.AdvanceTo(before.Start, before.End);
        }
    }

    /// <summary>Reads until a frame matches; fails if the session's output ends first.</summary>
    public async Task<(YamuxHeader Header, byte[] Payload)> ReadUntilAsync(Func<YamuxHeader, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            (YamuxHeader Header, byte[] Payload)? frame = await ReadFrameAsync(cancellationToken);
            Assert.True(frame is not null, "the session's output ended before the expected frame");
            if (match(frame.Value.Header))
            {
                return frame.Value;
            }
        }
    }

    /// <summary>Reads until the session's output ends; returns every frame seen.</summary>
    public async Task<List<YamuxHeader>> ReadToEndAsync(CancellationToken cancellationToken)
    {
        var frames = new List<YamuxHeader>();
        while (await ReadFrameAsync(cancellationToken) is { } frame)
        {
            frames.Add(frame.Header);
        }
        return frames;
    }

    /// <summary>
    /// Sends a ping and reads until its pong: everything the session wrote before answering is returned, which proves
    /// the session processed every frame sent before the ping.
    /// </summary>
    public async Task<List<(YamuxHeader Header, byte[] Payload)>> BarrierAsync(uint opaque, CancellationToken cancellationToken)
    {
        await SendAsync(YamuxHeader.Ping(YamuxFlags.Syn, opaque));
        var seen = new List<(YamuxHeader, byte[])>();
        while (true)
        {
            (YamuxHeader Header, byte[] Payload)? frame = await ReadFrameAsync(cancellationToken);
            Assert.True(frame is not null, "the session's output ended before the pong");
            if (frame.Value.Header.Type == YamuxFrameType.Ping && (frame.Value.Header.Flags & YamuxFlags.Ack) != 0 && frame.Value.Header.Length == opaque)
            {
                return seen;
            }
            seen.Add(frame.Value);
        }
    }
}
