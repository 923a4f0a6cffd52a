using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Google.Protobuf;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Servicer;

namespace Mesh.Transport.Rpc.Streaming;

/// <summary>
/// The callee side of a streaming call (mesh <c>P2P._add_protobuf_stream_handler</c>):
/// <code>
///   read loop ── message frame ─► parse ─► bounded prefetch queue (StreamPrefetch, 5) ─► handler's request stream
///             ── error frame (END_OF_STREAM) ─► completes the request stream
///             ── end of input, reset, bad frame, bytes after END_OF_STREAM ─► cancels the handler
///   handler responses ─► message frames (64 KiB chunks) ; handler exception ─► one RPCError frame ; then close
/// </code>
/// Unary-input shapes wait for the one request and END_OF_STREAM before calling the handler, and reject zero or
/// several requests with mesh's <c>asingle()</c> error text. With an authorizer (unary input only, as mesh's
/// <c>AuthRPCWrapperStreamer</c>) a rejected request gets an empty response stream, and every response is signed.
/// When the prefetch queue is full the read loop stops consuming, so the caller is paced by the transport's flow
/// control, while still noticing if the caller resets or leaves.
/// </summary>
internal sealed class StreamHandlerEntry<TRequest, TResponse> : RpcHandlerEntry
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    internal const string EmptyInputError = "asingle() expected an iterable with exactly one item, but got an empty iterable";
    internal const string ExtraInputError = "asingle() expected an iterable with exactly one item, but got two or more items";
    internal const string NullResponseError = "the handler produced a null response";

    private readonly MessageParser<TRequest> _parser;
    private readonly UnaryStreamHandler<TRequest, TResponse>? _unaryStream;
    private readonly StreamUnaryHandler<TRequest, TResponse>? _streamUnary;
    private readonly StreamStreamHandler<TRequest, TResponse>? _streamStream;
    private readonly IRpcAuthorizer? _authorizer;

    private StreamHandlerEntry(string protocol, RpcMethodType type, MessageParser<TRequest> parser, ServicerEnvironment environment,
        UnaryStreamHandler<TRequest, TResponse>? unaryStream, StreamUnaryHandler<TRequest, TResponse>? streamUnary,
        StreamStreamHandler<TRequest, TResponse>? streamStream, IRpcAuthorizer? authorizer)
        : base(protocol, type, environment)
    {
        _parser = parser;
        _unaryStream = unaryStream;
        _streamUnary = streamUnary;
        _streamStream = streamStream;
        _authorizer = authorizer;
    }

    public static StreamHandlerEntry<TRequest, TResponse> UnaryStream(string protocol, MessageParser<TRequest> parser, UnaryStreamHandler<TRequest, TResponse> handler,
        IRpcAuthorizer? authorizer, ServicerEnvironment environment) =>
        new(protocol, RpcMethodType.UnaryStream, parser, environment, handler, null, null, authorizer);

    public static StreamHandlerEntry<TRequest, TResponse> StreamUnary(string protocol, MessageParser<TRequest> parser, StreamUnaryHandler<TRequest, TResponse> handler,
        ServicerEnvironment environment) =>
        new(protocol, RpcMethodType.StreamUnary, parser, environment, null, handler, null, null);

    public static StreamHandlerEntry<TRequest, TResponse> StreamStream(string protocol, MessageParser<TRequest> parser, StreamStreamHandler<TRequest, TResponse> handler,
        ServicerEnvironment environment) =>
        new(protocol, RpcMethodType.StreamStream, parser, environment, null, null, handler, null);

    public override async Task HandleAsync(IRpcStream stream, CancellationToken endpointToken)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(endpointToken);
        var context = new RpcContext(Protocol, Environment.LocalPeer, stream.RemotePeer, call.Token);
        Channel<TRequest> requests = Channel.CreateBounded<TRequest>(new BoundedChannelOptions(Environment.Options.StreamPrefetch)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var control = new ReadControl();
        Task reading = ReadRequestsAsync(stream, requests.Writer, call, control);
        bool delivered = false;
        try
        {
            delivered = await RespondAsync(stream.Output, requests.Reader, context).ConfigureAwait(false);
        }
        catch (Exception) when (call.IsCancellationRequested)
        {
            RpcLog.CallerGone(Environment.Logger, Protocol, stream.RemotePeer);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RpcLog.ReplyFailed(Environment.Logger, Protocol, stream.RemotePeer, ex);
        }
        finally
        {
            // Stop the read loop: no more requests are wanted, and it may be waiting for queue room or for input.
            control.Stop = true;
            requests.Writer.TryComplete();
            stream.Input.CancelPendingRead();
            await reading.ConfigureAwait(false);
        }
        if (delivered)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            stream.Reset();
        }
    }

    /// <summary>Runs the handler and writes its responses (or its error); false when the caller stopped reading.</summary>
    private async Task<bool> RespondAsync(PipeWriter output, ChannelReader<TRequest> requests, RpcContext context)
    {
        CancellationToken cancellationToken = context.CancellationToken;
        string failure;
        try
        {
            switch (Type)
            {
                case RpcMethodType.UnaryStream:
                {
                    TRequest request = await SingleAsync(requests, cancellationToken).ConfigureAwait(false);
                    if (_authorizer is not null)
                    {
                        RpcAuthResult verdict = await _authorizer.ValidateRequestAsync((IAuthorizedRequest)request, context).ConfigureAwait(false);
                        if (!verdict.IsSuccess)
                        {
                            // mesh's AuthRPCWrapperStreamer returns from the generator: no responses, the stream just ends.
                            RpcLog.RequestRejected(Environment.Logger, Protocol, context.RemotePeer, verdict.Failure, verdict.Detail);
                            return true;
                        }
                    }
                    await foreach (TResponse response in _unaryStream!(request, context).WithCancellation(cancellationToken).ConfigureAwait(false))
                    {
                        if (!await WriteResponseAsync(output, response, request, context).ConfigureAwait(false))
                        {
                            return false;
                        }
                    }
                    return true;
                }
                case RpcMethodType.StreamUnary:
                {
                    TResponse response = await _streamUnary!(requests.ReadAllAsync(cancellationToken), context).ConfigureAwait(false);
                    return await WriteResponseAsync(output, response, null, context).ConfigureAwait(false);
                }
                default:
                {
                    await foreach (TResponse response in _streamStream!(requests.ReadAllAsync(cancellationToken), context).WithCancellation(cancellationToken).ConfigureAwait(false))
                    {
                        if (!await WriteResponseAsync(output, response, null, context).ConfigureAwait(false))
                        {
                            return false;
                        }
                    }
                    return true;
                }
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (StreamWriteException ex)
        {
            throw ex.InnerException!;
        }
        catch (RpcHandlerErrorException ex)
        {
            failure = ex.WireMessage;
        }
        catch (Exception ex)
        {
            RpcLog.HandlerFailed(Environment.Logger, Protocol, context.RemotePeer, ex);
            failure = Environment.Options.FormatStreamError(ex);
        }
        return await StreamFrameWriter.WriteErrorAsync(output, failure, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> WriteResponseAsync(PipeWriter output, TResponse? response, TRequest? request, RpcContext context)
    {
        if (response is null)
        {
            throw new RpcHandlerErrorException(NullResponseError);
        }
        if (_authorizer is not null)
        {
            await _authorizer.SignResponseAsync((IAuthorizedResponse)response, (IAuthorizedRequest)request!, context).ConfigureAwait(false);
        }
        int size = response.CalculateSize();
        if (size > Environment.Options.MaxStreamMessageSize)
        {
            RpcLog.ResponseTooLarge(Environment.Logger, Protocol, context.RemotePeer, size, Environment.Options.MaxStreamMessageSize);
            throw new RpcHandlerErrorException(RpcWireErrors.ResponseTooLarge);
        }
        try
        {
            return await StreamFrameWriter.WriteMessageAsync(output, response, size, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new StreamWriteException(ex);
        }
    }

    private static async ValueTask<TRequest> SingleAsync(ChannelReader<TRequest> requests, CancellationToken cancellationToken)
    {
        if (!await requests.WaitToReadAsync(cancellationToken).ConfigureAwait(false) || !requests.TryRead(out TRequest? request))
        {
            throw new RpcHandlerErrorException(EmptyInputError);
        }
        if (await requests.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new RpcHandlerErrorException(ExtraInputError);
        }
        return request;
    }

    /// <summary>
    /// The stream's one read loop. Completes the request channel at END_OF_STREAM; cancels the call when the caller
    /// leaves or breaks the framing; returns when the handler side stops it (channel completed + CancelPendingRead).
    /// Drains every complete frame of a read before advancing once; a frame larger than
    /// <see cref="LargeFrames.InPlaceLimit"/> is copied out as it arrives.
    /// </summary>
    private async Task ReadRequestsAsync(IRpcStream stream, ChannelWriter<TRequest> requests, CancellationTokenSource call, ReadControl control)
    {
        PipeReader input = stream.Input;
        long max = Environment.Options.MaxStreamMessageSize;
        bool ended = false;
        bool resume = false;
        try
        {
            while (true)
            {
                // After waiting for queue room the unconsumed frames are already examined, and a plain read would wait for
                // new bytes that flow control may never let come: cancelling the read first returns the buffer at once.
                bool resuming = resume;
                resume = false;
                if (resuming)
                {
                    input.CancelPendingRead();
                }
                ReadResult read = await input.ReadAsync().ConfigureAwait(false);
                if (read.IsCanceled && (control.Stop || !resuming))
                {
                    input.AdvanceTo(read.Buffer.Start);
                    return;
                }
                ReadOnlySequence<byte> buffer = read.Buffer;
                string? violation = null;
                TRequest? pending = null;
                while (!ended)
                {
                    OperationStatus status = StreamFrameCodec.TryReadFrame(ref buffer, max, out StreamFrameMarker marker, out ReadOnlySequence<byte> payload,
                        out StreamFrameError error, out ulong declared);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        break;
                    }
                    violation = status == OperationStatus.InvalidData
                        ? StreamFrameException.Describe(error, declared, max)
                        : Accept(marker, payload, requests, ref ended, out pending);
                    if (violation is not null || pending is not null)
                    {
                        break;
                    }
                }
                if (violation is null && ended && !buffer.IsEmpty)
                {
                    violation = "bytes after END_OF_STREAM";
                }
                byte[]? large = null;
                int largeLength = 0;
                int filled = 0;
                if (violation is null && pending is null && !ended && !read.IsCompleted
                    && StreamFrameCodec.TryReadHeader(buffer, max, out _, out ulong length, out _) == OperationStatus.Done
                    && (long)length + StreamFrameCodec.HeaderLength > LargeFrames.InPlaceLimit)
                {
                    largeLength = (int)length + StreamFrameCodec.HeaderLength;
                    large = LargeFrames.Begin(buffer, largeLength, out filled);
                    buffer = buffer.Slice(filled);
                }
                input.AdvanceTo(buffer.Start, read.Buffer.End);
                if (large is not null)
                {
                    try
                    {
                        FillResult fill = await LargeFrames.FillAsync(input, large, largeLength, filled, CancellationToken.None).ConfigureAwait(false);
                        if (fill == FillResult.Canceled)
                        {
                            return;
                        }
                        if (fill == FillResult.EndOfInput)
                        {
                            call.Cancel();
                            return;
                        }
                        var whole = new ReadOnlySequence<byte>(large, 0, largeLength);
                        StreamFrameCodec.TryReadFrame(ref whole, max, out StreamFrameMarker marker, out ReadOnlySequence<byte> payload, out _, out _);
                        violation = Accept(marker, payload, requests, ref ended, out pending);
                    }
                    finally
                    {
                        LargeFrames.Return(large);
                    }
                }
                if (violation is not null)
                {
                    RpcLog.BadRequestStream(Environment.Logger, Protocol, stream.RemotePeer, violation);
                    call.Cancel();
                    return;
                }
                if (pending is null && large is null && read.IsCompleted)
                {
                    // The caller closed its side: before END_OF_STREAM it gave up; after it, mesh cancels the handler too.
                    call.Cancel();
                    return;
                }
                if (pending is not null)
                {
                    if (!await WaitForRoomAsync(input, requests, call).ConfigureAwait(false) || !requests.TryWrite(pending))
                    {
                        return;
                    }
                    resume = true;
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Reset, connection lost: the handler must stop.
            call.Cancel();
        }
    }

    /// <summary>Takes one frame from the caller: a request for the queue (or <paramref name="pending"/> when it is full), or END_OF_STREAM.</summary>
    /// <returns>Null, or why the stream breaks the protocol.</returns>
    private string? Accept(StreamFrameMarker marker, in ReadOnlySequence<byte> payload, ChannelWriter<TRequest> requests, ref bool ended, out TRequest? pending)
    {
        pending = null;
        if (marker == StreamFrameMarker.Error)
        {
            // mesh treats any error frame from the caller as the end of its requests.
            ended = true;
            requests.TryComplete();
            return null;
        }
        if (!RpcMessages.TryParse(_parser, payload, out TRequest? request))
        {
            return $"a request does not parse as {typeof(TRequest).Name}";
        }
        if (!requests.TryWrite(request))
        {
            pending = request;
        }
        return null;
    }

    /// <summary>
    /// Backpressure: waits until the prefetch queue has room without consuming more input, but keeps reading the
    /// stream's state so a reset or an end of input still cancels the call. New bytes stay in the pipe (bounded by the
    /// transport's receive window). False when the call is over.
    /// </summary>
    private static async ValueTask<bool> WaitForRoomAsync(PipeReader input, ChannelWriter<TRequest> requests, CancellationTokenSource call)
    {
        Task<bool> room = requests.WaitToWriteAsync(call.Token).AsTask();
        if (!room.IsCompleted)
        {
            // A token (not CancelPendingRead) interrupts the watch read: it leaves no cancellation behind for the next read.
            using var watch = new CancellationTokenSource();
            while (!room.IsCompleted)
            {
                Task<ReadResult> readTask = input.ReadAsync(watch.Token).AsTask();
                if (await Task.WhenAny(room, readTask).ConfigureAwait(false) == room)
                {
                    watch.Cancel();
                }
                ReadResult read;
                try
                {
                    read = await readTask.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (watch.IsCancellationRequested)
                {
                    break;
                }
                input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                if (read.IsCanceled)
                {
                    break; // stopped by the handler side, which also completed the queue
                }
                if (read.IsCompleted)
                {
                    call.Cancel();
                    return false;
                }
            }
        }
        try
        {
            return await room.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Set by the handler side before it cancels the pending read, to tell a stop from the loop's own resume.</summary>
    private sealed class ReadControl
    {
        public volatile bool Stop;
    }

    /// <summary>A failure of the stream while writing a response (not of the handler).</summary>
    private sealed class StreamWriteException(Exception inner) : Exception(inner.Message, inner);
}
