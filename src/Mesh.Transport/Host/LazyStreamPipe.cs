using System.IO.Pipelines;
using Mesh.Multistream;

namespace Mesh.Transport.Host;

/// <summary>
/// A lazily negotiated outbound stream whose write side is not closed before the responder's multistream-select answer
/// has been read.
/// </summary>
/// <remarks>
/// <para>Why: js-libp2p 3.x loses a stream's data when the FIN arrives together with the data before its protocol
/// handler is attached (the data was handed to multistream-select's reader and the readable end closes before the
/// handler subscribes). Request-then-close clients (perf, echo, one-shot RPC) would hang against js peers. go-libp2p
/// and rust-libp2p tolerate it, but waiting for the answer costs nothing in the common case: the request bytes are
/// already in flight, only the FIN waits one round trip.</para>
/// <para>How: <c>Output.Complete</c> before the first read flushes, waits for the answer with
/// <see cref="MultistreamSelect.WhenLazySelectedAsync"/> (which consumes only the negotiation bytes, leaving any data
/// for the caller), then completes. If the caller's own first read is in progress, completion waits for it instead of
/// reading concurrently.</para>
/// </remarks>
internal sealed class LazyStreamPipe : IDuplexPipe
{
    private readonly Reader _input;
    private readonly Writer _output;

    public LazyStreamPipe(IDuplexPipe lazy)
    {
        _input = new Reader(lazy);
        _output = new Writer(lazy.Output, _input);
    }

    public PipeReader Input => _input;

    public PipeWriter Output => _output;

    private sealed class Reader(IDuplexPipe lazy) : PipeReader
    {
        private readonly PipeReader _inner = lazy.Input;

        // 0: nobody read yet; 1: a first read is running; 2: the answer was read (or failed).
        private int _state;
        private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Answered => _answered.Task;

        public bool IsAnswered => Volatile.Read(ref _state) == 2;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
            Volatile.Read(ref _state) == 2 ? _inner.ReadAsync(cancellationToken) : FirstReadAsync(cancellationToken);

        /// <summary>Reads until the answer is in (if nobody else is reading), leaving all data for the caller.</summary>
        public async ValueTask EnsureAnsweredAsync()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            {
                // Answered already, or the caller's first read is running: wait for it rather than read concurrently.
                await _answered.Task.ConfigureAwait(false);
                return;
            }
            try
            {
                await MultistreamSelect.WhenLazySelectedAsync(lazy).ConfigureAwait(false);
                Answer(null);
            }
            catch (Exception ex)
            {
                Answer(ex);
                throw;
            }
        }

        private async ValueTask<ReadResult> FirstReadAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0 && Volatile.Read(ref _state) != 2)
            {
                // The writer's completion is reading the answer right now.
                await _answered.Task.ConfigureAwait(false);
                return await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            try
            {
                ReadResult result = await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
                Answer(null);
                return result;
            }
            catch (Exception ex)
            {
                Answer(ex);
                throw;
            }
        }

        private void Answer(Exception? error)
        {
            Volatile.Write(ref _state, 2);
            if (error is null)
            {
                _answered.TrySetResult();
            }
            else
            {
                _answered.TrySetException(error);
            }
        }

        public override bool TryRead(out ReadResult result)
        {
            if (IsAnswered)
            {
                return _inner.TryRead(out result);
            }
            result = default;
            return false;
        }

        public override void AdvanceTo(SequencePosition consumed) => _inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => _inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => _inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);
    }

    private sealed class Writer(PipeWriter inner, Reader reader) : PipeWriter
    {
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void Complete(Exception? exception = null)
        {
            if (exception is not null || reader.IsAnswered)
            {
                inner.Complete(exception);
                return;
            }
            // Synchronous Complete cannot wait for the answer: finish in the background (bounded by the stream's life:
            // a reset or a closed connection fails the read and completes the writer with that error).
            _ = CompleteAfterAnswerAsync();
        }

        public override ValueTask CompleteAsync(Exception? exception = null) =>
            exception is not null || reader.IsAnswered ? inner.CompleteAsync(exception) : CompleteAfterAnswerAsync();

        private async ValueTask CompleteAfterAnswerAsync()
        {
            Exception? error = null;
            try
            {
                await inner.FlushAsync().ConfigureAwait(false);
                await reader.EnsureAnsweredAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                error = ex;
            }
            await inner.CompleteAsync(error).ConfigureAwait(false);
        }
    }
}
