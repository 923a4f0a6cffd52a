using System.IO.Pipelines;

namespace Mesh.Multistream;

/// <summary>
/// The output of a lazy multistream-select: forwards everything to the inner writer, which already holds the
/// unflushed header and proposal. Its only job is to agree with <see cref="LazySelectReader"/> on who flushes them
/// first, so that the proposal is sent exactly when the caller first flushes or first reads, whichever comes first.
/// </summary>
/// <remarks>
/// States: <c>Pending</c> (proposal buffered, nothing flushed) → <c>Done</c> when the caller flushes; or
/// <c>Pending</c> → <c>ReaderFlushing</c> → <c>Done</c> when the first read flushes it, during which a caller's flush
/// waits for the reader's to finish (two concurrent FlushAsync calls on one PipeWriter are not allowed).
/// </remarks>
internal sealed class LazySelectWriter(PipeWriter inner) : PipeWriter
{
    private const int Pending = 0;
    private const int ReaderFlushing = 1;
    private const int Done = 2;

    private readonly PipeWriter _inner = inner;
    private int _state;
    private TaskCompletionSource? _readerFlush;

    public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => _inner.UnflushedBytes;

    public override void Advance(int bytes) => _inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => _inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => _inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _state) == Done || Interlocked.CompareExchange(ref _state, Done, Pending) == Pending)
        {
            // Steady state, or the caller's first flush: it carries the proposal with the caller's data.
            return _inner.FlushAsync(cancellationToken);
        }
        return FlushAfterReaderAsync(cancellationToken);
    }

    /// <summary>Called by the first read: flushes the proposal unless the caller already has (or is about to).</summary>
    public ValueTask EnsureProposalFlushedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != Pending)
        {
            return ValueTask.CompletedTask;
        }
        var flush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _readerFlush, flush);
        if (Interlocked.CompareExchange(ref _state, ReaderFlushing, Pending) != Pending)
        {
            return ValueTask.CompletedTask;
        }
        return FlushForReaderAsync(flush, cancellationToken);
    }

    private async ValueTask FlushForReaderAsync(TaskCompletionSource flush, CancellationToken cancellationToken)
    {
        try
        {
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _state, Done);
            flush.TrySetResult();
        }
    }

    private async ValueTask<FlushResult> FlushAfterReaderAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource? flush = Volatile.Read(ref _readerFlush);
        if (flush is not null)
        {
            await flush.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        return await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
