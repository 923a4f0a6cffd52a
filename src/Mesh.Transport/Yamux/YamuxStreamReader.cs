using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Mesh.Transport.Yamux;

/// <summary>
/// The application's view of a stream's inbound pipe. It forwards to the pipe and adds two things: what the
/// application consumes is credited back to the peer (window updates), and a reset makes reads throw
/// <see cref="YamuxStreamResetException"/> even while data is buffered (as go-yamux does).
/// </summary>
internal sealed class YamuxStreamReader : PipeReader
{
    private readonly YamuxStream _stream;
    private readonly PipeReader _inner;
    private ReadOnlySequence<byte> _lastBuffer; // the buffer of the read being advanced, to measure what AdvanceTo consumed
    private bool _completed;

    public YamuxStreamReader(YamuxStream stream, PipeReader inner)
    {
        _stream = stream;
        _inner = inner;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        _stream.ThrowIfReset();
        ValueTask<ReadResult> read = _inner.ReadAsync(cancellationToken);
        if (read.IsCompletedSuccessfully)
        {
            return new ValueTask<ReadResult>(OnRead(read.Result));
        }
        return AwaitReadAsync(read);
    }

    // Pooled builder: a read that has to wait costs no allocation in steady state.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> AwaitReadAsync(ValueTask<ReadResult> read) => OnRead(await read.ConfigureAwait(false));

    public override bool TryRead(out ReadResult result)
    {
        _stream.ThrowIfReset();
        if (_inner.TryRead(out result))
        {
            result = OnRead(result);
            return true;
        }
        return false;
    }

    private ReadResult OnRead(ReadResult result)
    {
        if (result.IsCanceled)
        {
            // Reset() cancels the pending read to wake us; an application's own CancelPendingRead passes through.
            _stream.ThrowIfReset();
        }
        _lastBuffer = result.Buffer;
        return result;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        long bytes = _lastBuffer.Slice(_lastBuffer.Start, consumed).Length;
        _lastBuffer = default;
        _inner.AdvanceTo(consumed, examined);
        _stream.OnConsumed(bytes);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        // The exception is not passed on: yamux has no way to tell the peer, and the session's read loop must be able to
        // keep flushing into the pipe (it discards from now on) without the pipe rethrowing it.
        _inner.Complete();
        _stream.OnInputCompleted();
    }
}
