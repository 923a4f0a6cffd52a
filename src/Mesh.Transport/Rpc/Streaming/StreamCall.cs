using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Google.Protobuf;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc.Streaming;

/// <summary>
/// The caller side of a streaming call (mesh <c>P2P._iterate_protobuf_stream_handler</c>): a writer task sends the
/// request frames then END_OF_STREAM (and never half-closes: mesh's servicer cancels on end of input); the responses
/// are read on demand as the caller enumerates (so a slow consumer paces the callee through flow control) until the
/// callee closes the stream; an error frame raises <see cref="RpcHandlerException"/>. Stopping the enumeration early,
/// cancelling, or any failure resets the stream, which cancels the handler at the callee.
/// </summary>
internal static class StreamCall
{
    public static async IAsyncEnumerable<TResponse> InvokeAsync<TRequest, TResponse>(IRpcTransport transport, RpcOptions options, PeerId peer, string protocol,
        IAsyncEnumerable<TRequest> requests, MessageParser<TResponse> responseParser, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        IRpcStream stream = await RpcCalls.OpenAsync(transport, peer, protocol, cancellationToken).ConfigureAwait(false);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = new RequestWriter();
        Task writing = writer.RunAsync(stream, options, requests, call.Token);
        bool completed = false;
        try
        {
            while (true)
            {
                TResponse? response = await ReadNextAsync(stream.Input, options, peer, protocol, responseParser, writer, cancellationToken).ConfigureAwait(false);
                if (response is null)
                {
                    break;
                }
                yield return response;
            }
            // The callee is done. A writer still going (the callee ended before consuming every request) is stopped.
            if (!writing.IsCompleted)
            {
                call.Cancel();
            }
            await writing.ConfigureAwait(false);
            // The answer is complete; only a failure of the caller's own request enumerable is still worth raising.
            if (writer.SourceFailed && writer.Failure is { } failure)
            {
                ExceptionDispatchInfo.Throw(failure);
            }
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                call.Cancel();
                stream.Reset();
                await writing.ConfigureAwait(false);
            }
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The next response, or null at the end of the stream.</summary>
    private static async ValueTask<TResponse?> ReadNextAsync<TResponse>(PipeReader input, RpcOptions options, PeerId peer, string protocol,
        MessageParser<TResponse> responseParser, RequestWriter writer, CancellationToken cancellationToken)
        where TResponse : class, IMessage<TResponse>
    {
        long max = options.MaxStreamMessageSize;
        try
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                OperationStatus status = StreamFrameCodec.TryReadFrame(ref buffer, max, out StreamFrameMarker marker, out ReadOnlySequence<byte> payload,
                    out StreamFrameError error, out ulong declared);
                if (status == OperationStatus.Done)
                {
                    TResponse? response = Decode(marker, payload, protocol, responseParser, out RpcException? failure);
                    // Consumed up to here and examined nothing more, so the next read returns what is left at once.
                    input.AdvanceTo(buffer.Start);
                    return failure is null ? response : throw failure;
                }
                if (status == OperationStatus.InvalidData)
                {
                    input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                    throw Invalid(error, declared, max);
                }
                if (!read.IsCompleted
                    && StreamFrameCodec.TryReadHeader(read.Buffer, max, out _, out ulong length, out _) == OperationStatus.Done
                    && (long)length + StreamFrameCodec.HeaderLength > LargeFrames.InPlaceLimit)
                {
                    // Copy it out as it arrives: waiting for it whole in the pipe would stall the transport's flow control.
                    int frameLength = (int)length + StreamFrameCodec.HeaderLength;
                    byte[] frame = LargeFrames.Begin(read.Buffer, frameLength, out int filled);
                    input.AdvanceTo(read.Buffer.GetPosition(filled));
                    try
                    {
                        if (await LargeFrames.FillAsync(input, frame, frameLength, filled, cancellationToken).ConfigureAwait(false) != FillResult.Complete)
                        {
                            throw new StreamFrameException(StreamFrameError.Truncated, StreamFrameException.Describe(StreamFrameError.Truncated, 0, max));
                        }
                        var whole = new ReadOnlySequence<byte>(frame, 0, frameLength);
                        StreamFrameCodec.TryReadFrame(ref whole, max, out marker, out payload, out _, out _);
                        TResponse? response = Decode(marker, payload, protocol, responseParser, out RpcException? failure);
                        return failure is null ? response : throw failure;
                    }
                    finally
                    {
                        LargeFrames.Return(frame);
                    }
                }
                input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                if (read.IsCompleted)
                {
                    // mesh silently ends the iteration on a cut-off frame too; that is a failure worth reporting.
                    return buffer.IsEmpty
                        ? null
                        : throw new StreamFrameException(StreamFrameError.Truncated, StreamFrameException.Describe(StreamFrameError.Truncated, 0, max));
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && ex is not RpcException)
        {
            throw Report(ex, writer, protocol, peer, cancellationToken);
        }
    }

    /// <summary>A response, or the failure an error frame or an unparsable message stands for.</summary>
    private static TResponse? Decode<TResponse>(StreamFrameMarker marker, in ReadOnlySequence<byte> payload, string protocol, MessageParser<TResponse> responseParser,
        out RpcException? failure)
        where TResponse : class, IMessage<TResponse>
    {
        failure = null;
        if (marker == StreamFrameMarker.Error)
        {
            try
            {
                failure = new RpcHandlerException(protocol, RpcMessages.ReadErrorFrame(payload));
            }
            catch (StreamFrameException ex)
            {
                failure = ex;
            }
            return null;
        }
        if (RpcMessages.TryParse(responseParser, payload, out TResponse? response))
        {
            return response;
        }
        failure = new RpcException(RpcError.MalformedFrame, $"a response of {protocol} does not parse as {typeof(TResponse).Name}");
        return null;
    }

    private static RpcException Invalid(StreamFrameError error, ulong declared, long max) =>
        error == StreamFrameError.MessageTooLarge
            ? new RpcMessageTooLargeException((long)Math.Min(declared, long.MaxValue), max, isLocal: false)
            : new StreamFrameException(error, StreamFrameException.Describe(error, declared, max));

    /// <summary>
    /// What the caller sees for a failure: a failure of its own request source is rethrown unchanged (it shows up on
    /// the read side as the reset the writer made); cancellation stays cancellation; the rest becomes an RpcException.
    /// </summary>
    private static Exception Report(Exception exception, RequestWriter writer, string protocol, PeerId peer, CancellationToken cancellationToken)
    {
        // A refusal of the protocol (seen by the first read of a lazily negotiated stream) explains everything else.
        Exception cause = exception is Mesh.Multistream.MultistreamException ? exception : writer.Failure ?? exception;
        if (writer.SourceFailed && ReferenceEquals(cause, writer.Failure) && !(cause is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            ExceptionDispatchInfo.Throw(cause);
        }
        return RpcCalls.Map(cause, protocol, peer, cancellationToken);
    }

    /// <summary>Sends the requests and END_OF_STREAM. Never throws: a failure is recorded, then the stream is reset.</summary>
    private sealed class RequestWriter
    {
        private Exception? _failure;

        public Exception? Failure => Volatile.Read(ref _failure);

        /// <summary>True when the failure came from the caller's request enumerable, not from sending.</summary>
        public bool SourceFailed { get; private set; }

        public async Task RunAsync<TRequest>(IRpcStream stream, RpcOptions options, IAsyncEnumerable<TRequest> requests, CancellationToken cancellationToken)
            where TRequest : class, IMessage<TRequest>
        {
            PipeWriter output = stream.Output;
            IAsyncEnumerator<TRequest>? source = null;
            try
            {
                source = requests.GetAsyncEnumerator(cancellationToken);
                while (true)
                {
                    bool more;
                    TRequest? request;
                    try
                    {
                        more = await source.MoveNextAsync().ConfigureAwait(false);
                        request = more ? source.Current : null;
                    }
                    catch (Exception) when (!cancellationToken.IsCancellationRequested)
                    {
                        SourceFailed = true;
                        throw;
                    }
                    if (!more)
                    {
                        break;
                    }
                    if (request is null)
                    {
                        SourceFailed = true;
                        throw new ArgumentException("the request stream yielded null");
                    }
                    int size = request.CalculateSize();
                    if (size > options.MaxStreamMessageSize)
                    {
                        throw new RpcMessageTooLargeException(size, options.MaxStreamMessageSize, isLocal: true);
                    }
                    if (!await StreamFrameWriter.WriteMessageAsync(output, request, size, cancellationToken).ConfigureAwait(false))
                    {
                        return; // the callee stopped reading; the read side reports how the call ended
                    }
                }
                await StreamFrameWriter.WriteEndOfStreamAsync(output, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Recorded before the reset, so the reader that fails because of it reports this cause.
                Volatile.Write(ref _failure, ex);
                stream.Reset();
            }
            finally
            {
                if (source is not null)
                {
                    try
                    {
                        await source.DisposeAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        // The caller's enumerable failed to clean up; nothing more to do for the call.
                    }
                }
            }
        }
    }
}
