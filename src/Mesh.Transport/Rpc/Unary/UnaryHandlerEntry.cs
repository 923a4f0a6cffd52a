using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Google.Protobuf;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Servicer;

namespace Mesh.Transport.Rpc.Unary;

/// <summary>
/// The callee side of a unary call (go-libp2p-daemon <c>persistentStreamHandler</c> + mesh
/// <c>_handle_persistent_request</c>/<c>_unary_handler</c>, in one process):
/// <code>
///   read one envelope (limit checked on its prefix) ─► callUnary with a 16-byte call id? else close, no reply
///   parse the request ─► DecodeError reply if it does not parse
///   watch the stream while the handler runs: any read result (end of input, reset, stray bytes) cancels the handler
///   authorizer.validate ─► handler ─► authorizer.sign ─► one reply envelope ─► close
///   caller gone: no reply, stream reset
/// </code>
/// </summary>
internal sealed class UnaryHandlerEntry<TRequest, TResponse> : RpcHandlerEntry
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly MessageParser<TRequest> _parser;
    private readonly UnaryHandler<TRequest, TResponse> _handler;
    private readonly IRpcAuthorizer? _authorizer;
    private readonly byte[] _protocolUtf8;
    private readonly string _decodeError;

    public UnaryHandlerEntry(string protocol, MessageParser<TRequest> parser, UnaryHandler<TRequest, TResponse> handler, IRpcAuthorizer? authorizer,
        ServicerEnvironment environment)
        : base(protocol, RpcMethodType.Unary, environment)
    {
        _parser = parser;
        _handler = handler;
        _authorizer = authorizer;
        _protocolUtf8 = Encoding.UTF8.GetBytes(protocol);
        _decodeError = RpcWireErrors.DecodeError(RpcMessages.FullName(parser));
    }

    public override async Task HandleAsync(IRpcStream stream, CancellationToken endpointToken)
    {
        Request received;
        try
        {
            received = await ReadRequestAsync(stream.Input, endpointToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Reset by the caller, connection lost, or the endpoint stopping.
            RpcLog.Dropped(Environment.Logger, Protocol, stream.RemotePeer, ex.GetType().Name);
            stream.Reset();
            return;
        }
        if (received.BadEnvelope != UnaryEnvelopeError.None)
        {
            RpcLog.BadRequestEnvelope(Environment.Logger, Protocol, stream.RemotePeer, received.BadEnvelope, received.Declared);
            stream.Reset();
            return;
        }
        if (received.Drop is not null)
        {
            RpcLog.Dropped(Environment.Logger, Protocol, stream.RemotePeer, received.Drop);
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }
        Guid callId = received.CallId;
        TRequest? request = received.Message;
        string? error = received.Error;
        PipeReader input = stream.Input;

        using var call = CancellationTokenSource.CreateLinkedTokenSource(endpointToken);
        var context = new RpcContext(Protocol, Environment.LocalPeer, stream.RemotePeer, call.Token);
        Task watch = WatchCallerAsync(input, call);
        TResponse? response = null;
        try
        {
            if (error is null)
            {
                (response, error) = await InvokeAsync(request!, context).ConfigureAwait(false);
            }
        }
        finally
        {
            input.CancelPendingRead();
            await watch.ConfigureAwait(false);
        }

        if (call.IsCancellationRequested)
        {
            // The daemon drops the response of a call whose caller went away (or we are stopping).
            RpcLog.CallerGone(Environment.Logger, Protocol, stream.RemotePeer);
            stream.Reset();
            return;
        }
        try
        {
            WriteReply(stream, callId, response, error);
            await stream.Output.FlushAsync(endpointToken).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RpcLog.ReplyFailed(Environment.Logger, Protocol, stream.RemotePeer, ex);
            stream.Reset();
        }
    }

    /// <summary>Reads the one request envelope (in place, or copied out as it arrives when larger than <see cref="LargeFrames.InPlaceLimit"/>).</summary>
    private async ValueTask<Request> ReadRequestAsync(PipeReader input, CancellationToken cancellationToken)
    {
        int max = Environment.Options.MaxUnaryMessageSize;
        while (true)
        {
            ReadResult read = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            OperationStatus status = UnaryEnvelopeCodec.TryReadFrame(ref buffer, max, out UnaryEnvelope envelope, out UnaryEnvelopeError envelopeError, out long declared);
            if (status == OperationStatus.Done)
            {
                // The envelope is a view into the read buffer: take what we need before advancing.
                Request request = Inspect(envelope);
                input.AdvanceTo(buffer.Start);
                return request;
            }
            if (status == OperationStatus.InvalidData)
            {
                input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return new Request { BadEnvelope = envelopeError, Declared = declared };
            }
            if (!read.IsCompleted && !read.IsCanceled
                && UnaryEnvelopeCodec.TryReadFrameLength(read.Buffer, max, out int frameLength) == OperationStatus.Done && frameLength > LargeFrames.InPlaceLimit)
            {
                byte[] frame = LargeFrames.Begin(read.Buffer, frameLength, out int filled);
                input.AdvanceTo(read.Buffer.GetPosition(filled));
                try
                {
                    if (await LargeFrames.FillAsync(input, frame, frameLength, filled, cancellationToken).ConfigureAwait(false) != FillResult.Complete)
                    {
                        return new Request { Drop = "the stream ended before a whole request" };
                    }
                    var whole = new ReadOnlySequence<byte>(frame, 0, frameLength);
                    status = UnaryEnvelopeCodec.TryReadFrame(ref whole, max, out envelope, out envelopeError, out declared);
                    return status == OperationStatus.Done ? Inspect(envelope) : new Request { BadEnvelope = envelopeError, Declared = declared };
                }
                finally
                {
                    LargeFrames.Return(frame);
                }
            }
            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                return new Request { Drop = "the stream ended before a whole request" };
            }
        }
    }

    /// <summary>The call id and request, an error to reply with, or why the call is dropped without a reply.</summary>
    private Request Inspect(in UnaryEnvelope envelope)
    {
        if (envelope.Kind != UnaryEnvelopeKind.CallUnary)
        {
            return new Request { Drop = "the envelope holds no callUnary" };
        }
        if (envelope.CallId.Length != UnaryEnvelopeCodec.CallIdLength)
        {
            return new Request { Drop = $"the call id is {envelope.CallId.Length} bytes, not 16" };
        }
        Guid callId = UnaryEnvelopeCodec.ReadCallId(envelope.CallId);
        if (!SequenceEquals(envelope.Proto, _protocolUtf8))
        {
            // Only a broken caller sends this: the daemon copies proto into the stream's protocol id.
            return new Request { CallId = callId, Error = $"request proto '{Encoding.UTF8.GetString(envelope.Proto)}' does not match the stream protocol '{Protocol}'" };
        }
        return RpcMessages.TryParse(_parser, envelope.Data, out TRequest? request)
            ? new Request { CallId = callId, Message = request }
            : new Request { CallId = callId, Error = _decodeError };
    }

    private async ValueTask<(TResponse? Response, string? Error)> InvokeAsync(TRequest request, RpcContext context)
    {
        RpcOptions options = Environment.Options;
        try
        {
            if (_authorizer is not null)
            {
                RpcAuthResult verdict = await _authorizer.ValidateRequestAsync((IAuthorizedRequest)request, context).ConfigureAwait(false);
                if (!verdict.IsSuccess)
                {
                    RpcLog.RequestRejected(Environment.Logger, Protocol, context.RemotePeer, verdict.Failure, verdict.Detail);
                    return (null, options.RejectedRequestError);
                }
            }
            TResponse? response = await _handler(request, context).ConfigureAwait(false);
            if (response is null)
            {
                return (null, options.RejectedRequestError);
            }
            if (_authorizer is not null)
            {
                await _authorizer.SignResponseAsync((IAuthorizedResponse)response, (IAuthorizedRequest)request, context).ConfigureAwait(false);
            }
            return (response, null);
        }
        catch (Exception) when (context.CancellationToken.IsCancellationRequested)
        {
            return (null, null); // the caller left or we are stopping: nothing will be sent
        }
        catch (RpcHandlerErrorException ex)
        {
            return (null, ex.WireMessage);
        }
        catch (Exception ex)
        {
            RpcLog.HandlerFailed(Environment.Logger, Protocol, context.RemotePeer, ex);
            return (null, options.FormatUnaryError(ex));
        }
    }

    private void WriteReply(IRpcStream stream, Guid callId, TResponse? response, string? error)
    {
        int max = Environment.Options.MaxUnaryMessageSize;
        PipeWriter output = stream.Output;
        if (response is not null)
        {
            int size = response.CalculateSize();
            long message = UnaryEnvelopeCodec.GetResultMessageLength(size);
            if (message <= max)
            {
                UnaryEnvelopeCodec.WriteResultPrefix(output, callId, UnaryResultKind.Response, size);
                response.WriteTo(output);
                return;
            }
            RpcLog.ResponseTooLarge(Environment.Logger, Protocol, stream.RemotePeer, message, max);
            error = RpcWireErrors.ResponseTooLarge;
        }
        int length = Encoding.UTF8.GetByteCount(error!);
        if (UnaryEnvelopeCodec.GetResultMessageLength(length) > max)
        {
            error = RpcWireErrors.ResponseTooLarge;
            length = Encoding.UTF8.GetByteCount(error);
        }
        UnaryEnvelopeCodec.WriteResultPrefix(output, callId, UnaryResultKind.Error, length);
        Span<byte> span = output.GetSpan(length);
        output.Advance(Encoding.UTF8.GetBytes(error, span));
    }

    /// <summary>
    /// The daemon's <c>notifyWhenClosed</c>: the caller must wait silently for the reply, so anything the stream
    /// reports (end of input, a reset, more bytes) means it gave up. Stopped with <see cref="PipeReader.CancelPendingRead"/>.
    /// </summary>
    private static async Task WatchCallerAsync(PipeReader input, CancellationTokenSource call)
    {
        try
        {
            ReadResult read = await input.ReadAsync().ConfigureAwait(false);
            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            if (!read.IsCanceled)
            {
                call.Cancel();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            call.Cancel();
        }
    }

    /// <summary>What reading the request produced: a request, an error to reply with, or a reason to drop or reset.</summary>
    private readonly record struct Request
    {
        public Guid CallId { get; init; }

        public TRequest? Message { get; init; }

        public string? Error { get; init; }

        public string? Drop { get; init; }

        public UnaryEnvelopeError BadEnvelope { get; init; }

        public long Declared { get; init; }
    }

    private static bool SequenceEquals(in ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> expected)
    {
        if (sequence.Length != expected.Length)
        {
            return false;
        }
        if (sequence.IsSingleSegment)
        {
            return sequence.FirstSpan.SequenceEqual(expected);
        }
        foreach (ReadOnlyMemory<byte> segment in sequence)
        {
            if (!segment.Span.SequenceEqual(expected[..segment.Length]))
            {
                return false;
            }
            expected = expected[segment.Length..];
        }
        return true;
    }
}
