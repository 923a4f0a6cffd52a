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
        RpcOptions options = Environment.Options;
        PipeReader input = stream.Input;
        TRequest? request = null;
        string? error = null;
        Guid callId;
        try
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync(endpointToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                OperationStatus status = UnaryEnvelopeCodec.TryReadFrame(ref buffer, options.MaxUnaryMessageSize, out UnaryEnvelope envelope,
                    out UnaryEnvelopeError envelopeError, out long declared);
                if (status == OperationStatus.Done)
                {
                    // The envelope is a view into the read buffer: take what we need before advancing.
                    string? drop = Inspect(envelope, out callId, out request, out error);
                    input.AdvanceTo(buffer.Start);
                    if (drop is not null)
                    {
                        RpcLog.Dropped(Environment.Logger, Protocol, stream.RemotePeer, drop);
                        await stream.DisposeAsync().ConfigureAwait(false);
                        return;
                    }
                    break;
                }
                input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                if (status == OperationStatus.InvalidData)
                {
                    RpcLog.BadRequestEnvelope(Environment.Logger, Protocol, stream.RemotePeer, envelopeError, declared);
                    stream.Reset();
                    return;
                }
                if (read.IsCompleted || read.IsCanceled)
                {
                    RpcLog.Dropped(Environment.Logger, Protocol, stream.RemotePeer, "the stream ended before a whole request");
                    await stream.DisposeAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Reset by the caller, connection lost, or the endpoint stopping.
            RpcLog.Dropped(Environment.Logger, Protocol, stream.RemotePeer, ex.GetType().Name);
            stream.Reset();
            return;
        }

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

    /// <summary>Null when the call proceeds (possibly to an error reply); otherwise why it is dropped without a reply.</summary>
    private string? Inspect(in UnaryEnvelope envelope, out Guid callId, out TRequest? request, out string? error)
    {
        callId = default;
        request = null;
        error = null;
        if (envelope.Kind != UnaryEnvelopeKind.CallUnary)
        {
            return "the envelope holds no callUnary";
        }
        if (envelope.CallId.Length != UnaryEnvelopeCodec.CallIdLength)
        {
            return $"the call id is {envelope.CallId.Length} bytes, not 16";
        }
        callId = UnaryEnvelopeCodec.ReadCallId(envelope.CallId);
        if (!SequenceEquals(envelope.Proto, _protocolUtf8))
        {
            // Only a broken caller sends this: the daemon copies proto into the stream's protocol id.
            error = $"request proto '{Encoding.UTF8.GetString(envelope.Proto)}' does not match the stream protocol '{Protocol}'";
            return null;
        }
        if (!RpcMessages.TryParse(_parser, envelope.Data, out request))
        {
            error = _decodeError;
        }
        return null;
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
