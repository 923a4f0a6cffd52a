using System.Buffers;
using System.IO.Pipelines;

namespace Mesh.Multistream;

/// <summary>
/// The input of a lazy multistream-select. Until the responder's header and echo have been seen, every read first
/// consumes and checks them (throwing <see cref="MultistreamException"/> on <c>na</c> or garbage); from then on it
/// is a plain pass-through to the inner reader. Bytes that arrived in the same packet as the echo are handed to the
/// caller as a slice of the inner buffer, so nothing is copied and nothing is lost.
/// </summary>
internal sealed class LazySelectReader(PipeReader inner, LazySelectWriter output, string protocol) : PipeReader
{
    private readonly PipeReader _inner = inner;
    private readonly LazySelectWriter _output = output;
    private readonly string _protocol = protocol;
    private bool _headerSeen;
    private bool _verified;

    // Set when a read returned a synthetic (empty, cancelled) result during verification: the caller's matching
    // AdvanceTo carries positions of no real buffer and must not reach the inner reader.
    private bool _syntheticResultOutstanding;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
        _verified ? _inner.ReadAsync(cancellationToken) : VerifyThenReadAsync(cancellationToken);

    public override bool TryRead(out ReadResult result)
    {
        if (_verified)
        {
            return _inner.TryRead(out result);
        }
        // Without an await the proposal cannot be flushed here; until it has been, no answer can have arrived.
        while (_inner.TryRead(out ReadResult inner))
        {
            if (Process(inner, out result))
            {
                return true;
            }
            if (inner.IsCompleted || inner.IsCanceled)
            {
                break;
            }
        }
        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_syntheticResultOutstanding)
        {
            _syntheticResultOutstanding = false;
            return;
        }
        _inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => _inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    /// <summary>
    /// Flushes the proposal if needed, then consumes and checks the responder's header and answer without waiting for
    /// (or consuming) any data after them. Must not run concurrently with a read.
    /// </summary>
    internal async ValueTask VerifyAsync(CancellationToken cancellationToken)
    {
        if (_verified)
        {
            return;
        }
        await _output.EnsureProposalFlushedAsync(cancellationToken).ConfigureAwait(false);
        while (!_verified)
        {
            ReadResult inner = await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (Process(inner, out ReadResult result))
            {
                if (_syntheticResultOutstanding)
                {
                    _syntheticResultOutstanding = false;
                    throw new OperationCanceledException("The read was cancelled before the multistream-select answer arrived.");
                }
                // Data (or the end) came right behind the answer: leave all of it for the caller's first read.
                _inner.AdvanceTo(result.Buffer.Start, result.Buffer.Start);
            }
        }
    }

    private async ValueTask<ReadResult> VerifyThenReadAsync(CancellationToken cancellationToken)
    {
        await _output.EnsureProposalFlushedAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            ReadResult inner = await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (Process(inner, out ReadResult result))
            {
                return result;
            }
        }
    }

    /// <summary>
    /// Consumes what it can of the responder's header and answer from <paramref name="inner"/>. Returns true with the
    /// result to hand to the caller (the data after the echo, or a cancellation); false after advancing the inner
    /// reader when more data is needed.
    /// </summary>
    private bool Process(in ReadResult inner, out ReadResult result)
    {
        ReadOnlySequence<byte> buffer = inner.Buffer;
        SequencePosition consumed = buffer.Start;
        bool handedOver = false;
        try
        {
            while (!_verified)
            {
                OperationStatus status = MultistreamCodec.TryReadMessage(ref buffer, out ReadOnlySequence<byte> body, out MultistreamError error);
                if (status == OperationStatus.NeedMoreData)
                {
                    break;
                }
                if (status == OperationStatus.InvalidData)
                {
                    MultistreamException.Throw(error);
                }
                consumed = buffer.Start;
                if (!_headerSeen)
                {
                    if (!MultistreamCodec.BodyEquals(body, MultistreamCodec.ProtocolId))
                    {
                        MultistreamException.Throw(MultistreamError.UnexpectedHeader);
                    }
                    _headerSeen = true;
                }
                else if (MultistreamCodec.BodyEquals(body, _protocol))
                {
                    _verified = true;
                }
                else if (MultistreamCodec.BodyEquals(body, MultistreamCodec.NotAvailable))
                {
                    MultistreamException.Throw(MultistreamError.ProtocolNotSupported, _protocol);
                }
                else
                {
                    MultistreamException.Throw(MultistreamError.UnexpectedMessage, _protocol);
                }
            }

            if (_verified)
            {
                ReadOnlySequence<byte> rest = inner.Buffer.Slice(consumed);
                if (!rest.IsEmpty || inner.IsCompleted || inner.IsCanceled)
                {
                    // The caller's AdvanceTo on this slice also releases the negotiation bytes before it.
                    handedOver = true;
                    result = new ReadResult(rest, inner.IsCanceled, inner.IsCompleted);
                    return true;
                }
                result = default;
                return false;
            }
            if (inner.IsCompleted)
            {
                MultistreamException.Throw(MultistreamError.UnexpectedEndOfStream, _protocol);
            }
            if (inner.IsCanceled)
            {
                _syntheticResultOutstanding = true;
                result = new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: true, isCompleted: false);
                return true;
            }
            result = default;
            return false;
        }
        finally
        {
            if (!handedOver)
            {
                _inner.AdvanceTo(consumed, _verified ? consumed : inner.Buffer.End);
            }
        }
    }
}
