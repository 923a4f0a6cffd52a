using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Yamux;

public sealed partial class YamuxSession
{
    /// <summary>
    /// Flush even while work remains queued once this much is buffered, so one busy stream (which requeues itself after
    /// every frame) cannot hold the connection's bytes back.
    /// </summary>
    private const int FlushThreshold = 256 * 1024;

    private long _unflushedBytes; // write loop only
    private bool _outputBroken;   // write loop only: the connection's output failed or its reader is gone

    /// <summary>
    /// The session's single writer. Everything that goes on the wire passes through here, in queue order: stream
    /// entries (each writes at most one Data frame per turn, then requeues, so streams interleave fairly) and control
    /// frames. One flush per drained batch (or per <see cref="FlushThreshold"/> bytes).
    /// </summary>
    private async Task WriteLoopAsync()
    {
        ChannelReader<YamuxWriteItem> queue = _writeQueue.Reader;
        try
        {
            while (await queue.WaitToReadAsync().ConfigureAwait(false))
            {
                while (queue.TryRead(out YamuxWriteItem item))
                {
                    Write(item);
                    if (_unflushedBytes >= FlushThreshold && !await FlushAsync().ConfigureAwait(false))
                    {
                        WriteRemainingWithoutFlushing(queue);
                        return;
                    }
                }
                if (_unflushedBytes > 0 && !await FlushAsync().ConfigureAwait(false))
                {
                    WriteRemainingWithoutFlushing(queue);
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            BeginShutdown(YamuxSessionEndReason.InternalError, ex, YamuxGoAwayCode.InternalError, graceful: false);
        }
        finally
        {
            try
            {
                _output.Complete();
            }
            catch (Exception)
            {
                // The connection is going away regardless.
            }
        }
    }

    /// <summary>
    /// An abort cancelled a flush (the connection is not draining) or the connection ended: waiting is pointless, but
    /// the GoAway the abort queued is still written (abort mode skips everything else), and completing the output below
    /// commits it, so a peer that does read again still learns why the session ended.
    /// </summary>
    private void WriteRemainingWithoutFlushing(ChannelReader<YamuxWriteItem> queue)
    {
        _writerAbort = true;
        if (!_outputBroken)
        {
            while (queue.TryRead(out YamuxWriteItem item))
            {
                Write(item);
            }
        }
    }

    private void Write(in YamuxWriteItem item)
    {
        if (item.Stream is { } stream)
        {
            if (!_writerAbort)
            {
                _unflushedBytes += stream.WritePending(this, _output);
            }
            return;
        }
        if (item.CountsAgainstLimit)
        {
            Interlocked.Decrement(ref _queuedControlFrames);
        }
        YamuxHeader header = item.Header;
        if (_writerAbort && header.Type != YamuxFrameType.GoAway)
        {
            return;
        }
        if (header.Type == YamuxFrameType.Ping && (header.Flags & YamuxFlags.Syn) != 0)
        {
            // The round trip starts when the ping is written, not when it was queued (go-yamux does the same).
            Volatile.Read(ref _activePing)?.MarkSent(header.Length, TimeProvider.GetTimestamp());
        }
        _unflushedBytes += WriteHeader(_output, header);
    }

    /// <returns>false when the write loop must stop (connection gone, or an abort cancelled the flush).</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FlushAsync()
    {
        FlushResult result;
        try
        {
            result = await _output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _outputBroken = true;
            BeginShutdown(YamuxSessionEndReason.TransportError, ex, null, graceful: false);
            return false;
        }
        _unflushedBytes = 0;
        if (result.IsCompleted)
        {
            // Whoever reads our output is gone: nothing we write can arrive any more.
            _outputBroken = true;
            BeginShutdown(YamuxSessionEndReason.TransportClosed, null, null, graceful: false);
            return false;
        }
        return !result.IsCanceled;
    }

    /// <summary>Writes one header with GetSpan/Advance; returns its size.</summary>
    internal int WriteHeader(PipeWriter output, in YamuxHeader header)
    {
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            Log.FrameSent(_logger, header.Type, header.Flags, header.StreamId, header.Length);
        }
        Span<byte> span = output.GetSpan(YamuxHeader.Size);
        YamuxFrameCodec.WriteHeaderUnchecked(span, header);
        output.Advance(YamuxHeader.Size);
        return YamuxHeader.Size;
    }

    /// <summary>Writes a Data frame: the header, then the payload copied from the stream's outbound pipe.</summary>
    internal int WriteData(PipeWriter output, uint streamId, YamuxFlags flags, in ReadOnlySequence<byte> payload)
    {
        int length = (int)payload.Length;
        var header = YamuxHeader.Data(streamId, flags, (uint)length);
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            Log.FrameSent(_logger, header.Type, header.Flags, header.StreamId, header.Length);
        }
        // The whole frame in one span: with the default 64 KiB frame (header included) that is exactly one pooled
        // 64 KiB buffer per frame.
        Span<byte> span = output.GetSpan(YamuxHeader.Size + length);
        YamuxFrameCodec.WriteHeaderUnchecked(span, header);
        if (span.Length >= YamuxHeader.Size + length)
        {
            payload.CopyTo(span.Slice(YamuxHeader.Size));
            output.Advance(YamuxHeader.Size + length);
            return YamuxHeader.Size + length;
        }
        output.Advance(YamuxHeader.Size);
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            ReadOnlySpan<byte> source = segment.Span;
            while (!source.IsEmpty)
            {
                Span<byte> destination = output.GetSpan(Math.Min(source.Length, MaxPipeSegmentHint));
                int n = Math.Min(destination.Length, source.Length);
                source.Slice(0, n).CopyTo(destination);
                output.Advance(n);
                source = source.Slice(n);
            }
        }
        return YamuxHeader.Size + length;
    }
}
