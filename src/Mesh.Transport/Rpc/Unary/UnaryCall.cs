using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using System.Text;
using Google.Protobuf;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Rpc.Unary;

/// <summary>
/// The caller side of a unary call (go-libp2p-daemon <c>doUnaryCall</c> / <c>exchangeMessages</c>): open a stream for
/// the handler name, write one envelope, keep the write side open (closing it would cancel the call at the callee),
/// read one reply envelope (limit checked on its prefix), close. Cancelling resets the stream, which cancels the
/// handler at the callee.
/// </summary>
internal static class UnaryCall
{
    public static async ValueTask<TResponse> InvokeAsync<TRequest, TResponse>(IRpcTransport transport, RpcOptions options, PeerId peer, string protocol,
        TRequest request, MessageParser<TResponse> responseParser, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        // Refused locally, before a stream is opened, as Python's ControlClient does.
        int dataLength = request.CalculateSize();
        int protoLength = Encoding.UTF8.GetByteCount(protocol);
        long messageLength = UnaryEnvelopeCodec.GetCallMessageLength(peer.Bytes.Length, protoLength, dataLength);
        if (messageLength > options.MaxUnaryMessageSize)
        {
            throw new RpcMessageTooLargeException(messageLength, options.MaxUnaryMessageSize, isLocal: true);
        }

        IRpcStream stream = await RpcCalls.OpenAsync(transport, peer, protocol, cancellationToken).ConfigureAwait(false);
        Outcome<TResponse> outcome;
        try
        {
            PipeWriter output = stream.Output;
            UnaryEnvelopeCodec.WriteCallPrefix(output, options.CallIdFactory?.Invoke() ?? Guid.NewGuid(), peer.Bytes, protocol, protoLength, dataLength);
            request.WriteTo(output);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            outcome = await ReadReplyAsync(stream.Input, options, protocol, responseParser, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            stream.Reset();
            await stream.DisposeAsync().ConfigureAwait(false);
            Exception mapped = RpcCalls.Map(ex, protocol, peer, cancellationToken);
            if (ReferenceEquals(mapped, ex))
            {
                ExceptionDispatchInfo.Throw(ex);
            }
            throw mapped;
        }
        if (outcome.Error is not null && outcome.ResetStream)
        {
            stream.Reset();
        }
        await stream.DisposeAsync().ConfigureAwait(false);
        return outcome.Error is null ? outcome.Response! : throw outcome.Error;
    }

    private static async ValueTask<Outcome<TResponse>> ReadReplyAsync<TResponse>(PipeReader input, RpcOptions options, string protocol,
        MessageParser<TResponse> responseParser, CancellationToken cancellationToken)
        where TResponse : class, IMessage<TResponse>
    {
        while (true)
        {
            ReadResult read = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            OperationStatus status = UnaryEnvelopeCodec.TryReadFrame(ref buffer, options.MaxUnaryMessageSize, out UnaryEnvelope envelope,
                out UnaryEnvelopeError error, out long declared);
            if (status == OperationStatus.Done)
            {
                Outcome<TResponse> outcome = Interpret(envelope, protocol, responseParser);
                input.AdvanceTo(buffer.Start);
                return outcome;
            }
            if (status == OperationStatus.InvalidData)
            {
                input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return Invalid<TResponse>(error, declared, options);
            }
            if (!read.IsCompleted
                && UnaryEnvelopeCodec.TryReadFrameLength(read.Buffer, options.MaxUnaryMessageSize, out int frameLength) == OperationStatus.Done
                && frameLength > LargeFrames.InPlaceLimit)
            {
                // Copy it out as it arrives: waiting for it whole in the pipe would stall the transport's flow control.
                byte[] frame = LargeFrames.Begin(read.Buffer, frameLength, out int filled);
                input.AdvanceTo(read.Buffer.GetPosition(filled));
                try
                {
                    if (await LargeFrames.FillAsync(input, frame, frameLength, filled, cancellationToken).ConfigureAwait(false) != FillResult.Complete)
                    {
                        return new Outcome<TResponse>(null, new RpcException(RpcError.ProtocolViolation, $"the callee closed the stream inside its reply to {protocol}"), ResetStream: false);
                    }
                    var whole = new ReadOnlySequence<byte>(frame, 0, frameLength);
                    status = UnaryEnvelopeCodec.TryReadFrame(ref whole, options.MaxUnaryMessageSize, out envelope, out error, out declared);
                    return status == OperationStatus.Done ? Interpret(envelope, protocol, responseParser) : Invalid<TResponse>(error, declared, options);
                }
                finally
                {
                    LargeFrames.Return(frame);
                }
            }
            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            if (read.IsCompleted)
            {
                return new Outcome<TResponse>(null, new RpcException(RpcError.ProtocolViolation,
                    buffer.IsEmpty ? $"the callee closed the stream without replying to {protocol}" : $"the callee closed the stream inside its reply to {protocol}"), ResetStream: false);
            }
        }
    }

    private static Outcome<TResponse> Invalid<TResponse>(UnaryEnvelopeError error, long declared, RpcOptions options)
        where TResponse : class =>
        new(null, error == UnaryEnvelopeError.MessageTooLarge
            ? new RpcMessageTooLargeException(declared, options.MaxUnaryMessageSize, isLocal: false)
            : new UnaryEnvelopeException(error, UnaryEnvelopeException.Describe(error, declared, options.MaxUnaryMessageSize)), ResetStream: true);

    private static Outcome<TResponse> Interpret<TResponse>(in UnaryEnvelope envelope, string protocol, MessageParser<TResponse> responseParser)
        where TResponse : class, IMessage<TResponse>
    {
        if (envelope.Kind != UnaryEnvelopeKind.UnaryResponse)
        {
            return new Outcome<TResponse>(null, new RpcException(RpcError.ProtocolViolation, $"the callee of {protocol} replied with {envelope.Kind}, not unaryResponse"), ResetStream: true);
        }
        switch (envelope.ResultKind)
        {
            case UnaryResultKind.Response:
                return RpcMessages.TryParse(responseParser, envelope.Result, out TResponse? response)
                    ? new Outcome<TResponse>(response, null, ResetStream: false)
                    : new Outcome<TResponse>(null, new RpcException(RpcError.MalformedFrame, $"the response of {protocol} does not parse as {typeof(TResponse).Name}"), ResetStream: false);
            case UnaryResultKind.Error:
                // Python decodes with errors="ignore"; replacement characters keep the text readable here.
                string text = Encoding.UTF8.GetString(envelope.Result);
                return new Outcome<TResponse>(null, text == RpcWireErrors.RequestRejected
                    ? new RpcRequestRejectedException(protocol, text)
                    : new RpcHandlerException(protocol, text), ResetStream: false);
            default:
                return new Outcome<TResponse>(null, new RpcException(RpcError.ProtocolViolation, $"the reply of {protocol} holds neither a response nor an error"), ResetStream: false);
        }
    }

    private readonly record struct Outcome<TResponse>(TResponse? Response, Exception? Error, bool ResetStream);
}
