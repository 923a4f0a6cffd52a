using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Mesh.Transport.Yamux;

/// <summary>
/// The application's view of a stream's outbound pipe. Writes land in the pipe; FlushAsync publishes them and
/// schedules the stream with the session's single write loop, which frames them within the peer's window. The pipe's
/// pause threshold (<see cref="YamuxOptions.StreamSendBufferSize"/>) is what makes FlushAsync wait when the peer's
/// window or the connection cannot take more. Complete() ends the direction with FIN after the buffered data;
/// Complete(exception) resets the stream.
/// </summary>
internal sealed class YamuxStreamWriter : PipeWriter
{
    private readonly YamuxStream _stream;
    private readonly PipeWriter _inner;
    private bool _completed;

    public YamuxStreamWriter(YamuxStream stream, PipeWriter inner)
    {
        _stream = stream;
        _inner = inner;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        _stream.ThrowIfReset();
        return _inner.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        _stream.ThrowIfReset();
        return _inner.GetSpan(sizeHint);
    }

    public override void Advance(int bytes) => _inner.Advance(bytes);

    public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => _inner.UnflushedBytes;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        _stream.ThrowIfReset();
        ValueTask<FlushResult> flush = _inner.FlushAsync(cancellationToken);
        _stream.ScheduleSend();
        if (flush.IsCompletedSuccessfully)
        {
            FlushResult result = flush.Result;
            if (result.IsCanceled)
            {
                _stream.ThrowIfReset();
            }
            return new ValueTask<FlushResult>(result);
        }
        return AwaitFlushAsync(flush);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> AwaitFlushAsync(ValueTask<FlushResult> flush)
    {
        FlushResult result = await flush.ConfigureAwait(false);
        if (result.IsCanceled)
        {
            _stream.ThrowIfReset(); // Reset() cancels the pending flush to wake us
        }
        return result;
    }

    /// <summary>
    /// Copies into the pipe in segments sized to the data (up to 64 KiB) rather than the pipe's 4 KiB default, so a
    /// large write occupies a few pooled buffers instead of many (which would exhaust the array pool and allocate).
    /// </summary>
    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        _stream.ThrowIfReset();
        ReadOnlySpan<byte> remaining = source.Span;
        while (!remaining.IsEmpty)
        {
            Span<byte> destination = _inner.GetSpan(Math.Min(remaining.Length, YamuxSession.MaxPipeSegmentHint));
            int n = Math.Min(destination.Length, remaining.Length);
            remaining.Slice(0, n).CopyTo(destination);
            _inner.Advance(n);
            remaining = remaining.Slice(n);
        }
        return FlushAsync(cancellationToken);
    }

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        if (exception is not null)
        {
            _stream.ResetLocally();
        }
        // Never complete the pipe with the exception: the write loop reads this pipe and must not have it rethrown there.
        _inner.Complete();
        _stream.ScheduleSend();
    }
}
