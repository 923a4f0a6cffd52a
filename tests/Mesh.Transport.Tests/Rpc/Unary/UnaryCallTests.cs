using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Google.Protobuf;
using Mesh.TestKit;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Servicer;
using Mesh.Transport.Rpc.Unary;
using Mesh.Transport.Tests.Rpc.Messages;

namespace Mesh.Transport.Tests.Rpc.Unary;

/// <summary>Unary calls end to end over yamux streams: replies, handler errors, limits, cancellation, raw misbehaving peers.</summary>
public abstract class UnaryCallTests : RpcTransportTests
{
    private const string Echo = "EchoProtocol.rpc_echo";

    private static ValueTask<EchoResponse> EchoAsync(EchoRequest request, RpcContext context) =>
        ValueTask.FromResult(new EchoResponse { Text = request.Text, Payload = request.Payload });

    [Fact]
    public async Task A_call_returns_the_handlers_response_and_the_handler_sees_the_caller()
    {
        await using RpcPair pair = await CreatePairAsync();
        RpcContext seen = default;
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, (request, context) =>
        {
            seen = context;
            return EchoAsync(request, context);
        });
        EchoResponse response = await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest { Text = "hi", Payload = ByteString.CopyFrom(1, 2, 3) },
            EchoResponse.Parser, TestTimeout.Token());
        Assert.Equal("hi", response.Text);
        Assert.Equal([1, 2, 3], response.Payload.ToByteArray());
        Assert.Equal(Echo, seen.Protocol);
        Assert.Equal(pair.ClientPeer, seen.RemotePeer);
        Assert.Equal(pair.ServerPeer, seen.LocalPeer);
    }

    [Fact]
    public async Task Many_concurrent_calls_each_get_their_own_reply()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAsync);
        CancellationToken ct = TestTimeout.Token();
        EchoResponse[] replies = await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
            pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest { Text = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }, EchoResponse.Parser, ct).AsTask()));
        for (int i = 0; i < replies.Length; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), replies[i].Text);
        }
    }

    [Fact]
    public async Task A_handler_exception_becomes_an_error_reply_in_python_repr_form_and_the_servicer_keeps_serving()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, (request, _) =>
            request.Text == "fail" ? throw new InvalidOperationException("it's broken") : EchoAsync(request, default));
        CancellationToken ct = TestTimeout.Token();
        RpcHandlerException error = await Assert.ThrowsAsync<RpcHandlerException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest { Text = "fail" }, EchoResponse.Parser, ct));
        Assert.Equal("InvalidOperationException(\"it's broken\")", error.RemoteMessage);
        Assert.Equal(RpcError.HandlerError, error.Error);
        Assert.Equal("ok", (await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest { Text = "ok" }, EchoResponse.Parser, ct)).Text);
    }

    [Fact]
    public async Task A_handler_can_choose_its_exact_error_text()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, (_, _) => throw new RpcHandlerErrorException("ValueError('boom')"));
        RpcHandlerException error = await Assert.ThrowsAsync<RpcHandlerException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()));
        Assert.Equal("ValueError('boom')", error.RemoteMessage);
    }

    [Fact]
    public async Task A_handler_returning_null_answers_like_python_returning_none()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, (_, _) => ValueTask.FromResult<EchoResponse>(null!));
        RpcRequestRejectedException error = await Assert.ThrowsAsync<RpcRequestRejectedException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()));
        Assert.Equal(RpcWireErrors.RequestRejected, error.RemoteMessage);
    }

    [Fact]
    public async Task An_unknown_protocol_is_a_typed_error_at_the_caller()
    {
        await using RpcPair pair = await CreatePairAsync();
        RpcProtocolNotSupportedException error = await Assert.ThrowsAsync<RpcProtocolNotSupportedException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, "NoSuch.rpc_thing", new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()));
        Assert.Equal("NoSuch.rpc_thing", error.Protocol);
        Assert.Equal(RpcError.ProtocolNotSupported, error.Error);
    }

    [Fact]
    public async Task An_oversized_request_is_refused_before_anything_is_sent()
    {
        await using RpcPair pair = await CreatePairAsync(new RpcOptions { MaxUnaryMessageSize = 1024 });
        int calls = 0;
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, (request, context) =>
        {
            Interlocked.Increment(ref calls);
            return EchoAsync(request, context);
        });
        RpcMessageTooLargeException error = await Assert.ThrowsAsync<RpcMessageTooLargeException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest { Payload = ByteString.CopyFrom(new byte[1000]) }, EchoResponse.Parser, TestTimeout.Token()));
        Assert.True(error.IsLocal);
        Assert.Equal(1024, error.Limit);
        Assert.Equal(0, Volatile.Read(ref pair.ServerTransport.ActiveInbound));
        Assert.Equal(0, calls);

        // Just under the limit goes through.
        var fits = new EchoRequest { Payload = ByteString.CopyFrom(new byte[900]) };
        Assert.Equal(900, (await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, fits, EchoResponse.Parser, TestTimeout.Token())).Payload.Length);
    }

    [Fact]
    public async Task An_oversized_response_becomes_the_size_error_instead_of_silence()
    {
        await using RpcPair pair = await CreatePairAsync(new RpcOptions { MaxUnaryMessageSize = 4096 });
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, (_, _) =>
            ValueTask.FromResult(new EchoResponse { Payload = ByteString.CopyFrom(new byte[5000]) }));
        RpcHandlerException error = await Assert.ThrowsAsync<RpcHandlerException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()));
        Assert.Equal(RpcWireErrors.ResponseTooLarge, error.RemoteMessage);
    }

    [Fact]
    public async Task The_4_MiB_default_limit_allows_a_response_of_just_under_4_MiB()
    {
        await using RpcPair pair = await CreatePairAsync();
        int payload = UnaryEnvelopeCodec.DefaultMaxMessageSize - 64;
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, (_, _) =>
            ValueTask.FromResult(new EchoResponse { Payload = ByteString.CopyFrom(new byte[payload]) }));
        EchoResponse response = await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token());
        Assert.Equal(payload, response.Payload.Length);
    }

    [Fact]
    public async Task Cancelling_the_call_cancels_the_handler_at_the_callee()
    {
        await using RpcPair pair = await CreatePairAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, async (_, context) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                handlerCancelled.SetResult();
                throw;
            }
            return new EchoResponse();
        });
        using var cts = new CancellationTokenSource();
        Task call = pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, cts.Token).AsTask();
        await TestTimeout.Within(started.Task);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await TestTimeout.Within(handlerCancelled.Task);
        await pair.ServerIdleAsync(TestTimeout.Token());
    }

    [Fact]
    public async Task A_caller_that_closes_its_write_side_cancels_the_handler_and_gets_no_reply()
    {
        await using RpcPair pair = await CreatePairAsync();
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, async (_, context) =>
        {
            HandlerCancellation.SignalOn(context.CancellationToken, handlerCancelled);
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new EchoResponse();
        });
        CancellationToken ct = TestTimeout.Token();
        await using IRpcStream stream = await pair.ClientTransport.OpenStreamAsync(pair.ServerPeer, Echo, ct);
        UnaryEnvelopeCodec.WriteCallFrame(stream.Output, Guid.NewGuid(), pair.ServerPeer.Bytes, Echo, new EchoRequest().ToByteArray());
        await stream.Output.FlushAsync(ct);
        await stream.Output.CompleteAsync(); // the daemon's notifyWhenClosed sees EOF

        await TestTimeout.Within(handlerCancelled.Task);
        // The stream is reset with no reply.
        await Assert.ThrowsAnyAsync<Exception>(async () => await ReadToEndAsync(stream.Input, ct));
    }

    [Fact]
    public async Task Stray_bytes_after_the_request_also_cancel_the_handler()
    {
        await using RpcPair pair = await CreatePairAsync();
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, async (_, context) =>
        {
            HandlerCancellation.SignalOn(context.CancellationToken, handlerCancelled);
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new EchoResponse();
        });
        CancellationToken ct = TestTimeout.Token();
        await using IRpcStream stream = await pair.ClientTransport.OpenStreamAsync(pair.ServerPeer, Echo, ct);
        UnaryEnvelopeCodec.WriteCallFrame(stream.Output, Guid.NewGuid(), pair.ServerPeer.Bytes, Echo, new EchoRequest().ToByteArray());
        await stream.Output.FlushAsync(ct);
        await stream.Output.WriteAsync(new byte[] { 0x42 }, ct);
        await TestTimeout.Within(handlerCancelled.Task);
    }

    [Fact]
    public async Task A_request_that_does_not_parse_gets_pythons_decode_error_text()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAsync);
        (UnaryEnvelope reply, _) = await RawCallAsync(pair, Echo, Guid.NewGuid(), Echo, [0xff, 0xff, 0xff]);
        Assert.Equal(UnaryResultKind.Error, reply.ResultKind);
        Assert.Equal("DecodeError(\"Error parsing message with type 'meshcore.rpctest.EchoRequest'\")", Encoding.UTF8.GetString(reply.Result));
    }

    [Fact]
    public async Task A_request_whose_proto_field_names_another_handler_is_answered_with_an_error()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAsync);
        (UnaryEnvelope reply, _) = await RawCallAsync(pair, Echo, Guid.NewGuid(), "EchoProtocol.rpc_other", new EchoRequest().ToByteArray());
        Assert.Equal(UnaryResultKind.Error, reply.ResultKind);
        Assert.Contains("does not match the stream protocol", Encoding.UTF8.GetString(reply.Result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proto_field_that_is_not_utf8_is_answered_with_an_error_and_the_servicer_keeps_serving()
    {
        // p2pd.proto is proto2, where Go (the daemon) does not validate string fields: such a call reaches the callee
        // instead of failing to parse, and must be refused like any proto naming another handler.
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAsync);
        CancellationToken ct = TestTimeout.Token();
        await using (IRpcStream stream = await pair.ClientTransport.OpenStreamAsync(pair.ServerPeer, Echo, ct))
        {
            var frame = new ArrayBufferWriter<byte>();
            UnaryEnvelopeCodec.WriteCallFrame(frame, Guid.NewGuid(), pair.ServerPeer.Bytes, Echo, new EchoRequest().ToByteArray());
            byte[] bytes = frame.WrittenSpan.ToArray();
            int at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Echo));
            bytes[at + 2] = 0x80; // "Ec\x80oProtocol.rpc_echo": a lone continuation byte
            await stream.Output.WriteAsync(bytes, ct);
            var buffer = new ReadOnlySequence<byte>(await ReadAllBytesAsync(stream.Input, ct));
            Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, int.MaxValue, out UnaryEnvelope reply, out _, out _));
            Assert.Equal(UnaryResultKind.Error, reply.ResultKind);
            Assert.Contains("does not match the stream protocol", Encoding.UTF8.GetString(reply.Result), StringComparison.Ordinal);
        }
        EchoResponse answer = await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest { Text = "still here" }, EchoResponse.Parser, ct);
        Assert.Equal("still here", answer.Text);
    }

    [Fact]
    public async Task The_reply_carries_the_requests_call_id()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAsync);
        Guid callId = Guid.NewGuid();
        (UnaryEnvelope reply, byte[] callIdBytes) = await RawCallAsync(pair, Echo, callId, Echo, new EchoRequest { Text = "x" }.ToByteArray());
        Assert.Equal(callId.ToByteArray(bigEndian: true), callIdBytes);
        Assert.Equal(UnaryResultKind.Response, reply.ResultKind);
    }

    [Fact]
    public async Task A_call_id_that_is_not_16_bytes_is_dropped_without_reply_as_the_daemon_does()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAsync);
        CancellationToken ct = TestTimeout.Token();
        await using IRpcStream stream = await pair.ClientTransport.OpenStreamAsync(pair.ServerPeer, Echo, ct);
        var message = new PersistentConnectionRequest
        {
            CallId = ByteString.CopyFrom(1, 2, 3),
            CallUnary = new CallUnaryRequest { Peer = ByteString.CopyFrom(pair.ServerPeer.Bytes), Proto = Echo, Data = ByteString.Empty },
        };
        await WriteFrameAsync(stream.Output, message, ct);
        Assert.Equal(0, await ReadToEndAsync(stream.Input, ct));
    }

    [Fact]
    public async Task A_caller_declaring_an_oversized_request_is_reset_without_the_body_being_read()
    {
        await using RpcPair pair = await CreatePairAsync(new RpcOptions { MaxUnaryMessageSize = 1024 });
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAsync);
        CancellationToken ct = TestTimeout.Token();
        await using IRpcStream stream = await pair.ClientTransport.OpenStreamAsync(pair.ServerPeer, Echo, ct);
        await stream.Output.WriteAsync(new byte[] { 0x81, 0x08 }, ct); // declares 1025 bytes, sends none
        await Assert.ThrowsAnyAsync<IOException>(async () => await ReadToEndAsync(stream.Input, ct));
    }

    [Fact]
    public async Task A_callee_declaring_an_oversized_reply_is_a_typed_error_at_the_caller()
    {
        await using RpcPair pair = await CreatePairAsync(new RpcOptions { MaxUnaryMessageSize = 1024 });
        pair.ServerTransport.SetHandler(Echo, async (stream, ct) =>
        {
            await DrainOneFrameAsync(stream.Input, ct);
            await stream.Output.WriteAsync(new byte[] { 0x81, 0x08 }, ct);
            await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        RpcMessageTooLargeException error = await Assert.ThrowsAsync<RpcMessageTooLargeException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()));
        Assert.False(error.IsLocal);
        Assert.Equal(1025, error.Size);
    }

    [Fact]
    public async Task A_callee_closing_without_a_reply_is_a_protocol_violation_at_the_caller()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.ServerTransport.SetHandler(Echo, async (stream, ct) =>
        {
            await DrainOneFrameAsync(stream.Input, ct);
            await stream.DisposeAsync();
        });
        RpcException error = await Assert.ThrowsAsync<RpcException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()));
        Assert.Equal(RpcError.ProtocolViolation, error.Error);
    }

    [Fact]
    public async Task A_callee_resetting_the_stream_is_a_transport_failure_at_the_caller()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.ServerTransport.SetHandler(Echo, async (stream, ct) =>
        {
            await DrainOneFrameAsync(stream.Input, ct);
            stream.Reset();
        });
        RpcException error = await Assert.ThrowsAsync<RpcException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()));
        Assert.Equal(RpcError.TransportFailure, error.Error);
    }

    [Fact]
    public async Task A_reply_that_is_not_a_unary_response_is_a_protocol_violation()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.ServerTransport.SetHandler(Echo, async (stream, ct) =>
        {
            await DrainOneFrameAsync(stream.Input, ct);
            UnaryEnvelopeCodec.WriteCallFrame(stream.Output, Guid.NewGuid(), [], "x", []);
            await stream.Output.FlushAsync(ct);
            await stream.DisposeAsync();
        });
        RpcException error = await Assert.ThrowsAsync<RpcException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()));
        Assert.Equal(RpcError.ProtocolViolation, error.Error);
    }

    [Fact]
    public async Task A_removed_handler_is_no_longer_served()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnary<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAsync);
        CancellationToken ct = TestTimeout.Token();
        await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, ct);
        Assert.True(pair.Servicer.Remove(Echo));
        Assert.False(pair.Servicer.Remove(Echo));
        // Over a host, the caller learns of the removal through identify push (like go-libp2p, it negotiates lazily
        // with peers that advertised the protocol).
        await pair.ClientSeesServerSupportAsync(Echo, supported: false, ct);
        await Assert.ThrowsAsync<RpcProtocolNotSupportedException>(async () =>
            await pair.Client.CallUnaryAsync(pair.ServerPeer, Echo, new EchoRequest(), EchoResponse.Parser, ct));
    }

    internal static async Task<(UnaryEnvelope Reply, byte[] CallId)> RawCallAsync(RpcPair pair, string protocol, Guid callId, string proto, byte[] data)
    {
        CancellationToken ct = TestTimeout.Token();
        await using IRpcStream stream = await pair.ClientTransport.OpenStreamAsync(pair.ServerPeer, protocol, ct);
        UnaryEnvelopeCodec.WriteCallFrame(stream.Output, callId, pair.ServerPeer.Bytes, proto, data);
        await stream.Output.FlushAsync(ct);
        byte[] frame = await ReadAllBytesAsync(stream.Input, ct);
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.Equal(OperationStatus.Done, UnaryEnvelopeCodec.TryReadFrame(ref buffer, int.MaxValue, out UnaryEnvelope reply, out _, out _));
        Assert.True(buffer.IsEmpty);
        return (reply, reply.CallId.ToArray());
    }

    internal static async Task<byte[]> ReadAllBytesAsync(PipeReader input, CancellationToken ct)
    {
        var all = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult read = await input.ReadAsync(ct);
            foreach (ReadOnlyMemory<byte> segment in read.Buffer)
            {
                all.Write(segment.Span);
            }
            input.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return all.WrittenSpan.ToArray();
            }
        }
    }

    private static async Task<long> ReadToEndAsync(PipeReader input, CancellationToken ct) => (await ReadAllBytesAsync(input, ct)).Length;

    private static async Task WriteFrameAsync(PipeWriter output, IMessage message, CancellationToken ct)
    {
        Multistream.Uvarint.Write(output, (ulong)message.CalculateSize());
        message.WriteTo(output);
        await output.FlushAsync(ct);
    }

    /// <summary>Reads one envelope frame (whatever it holds) so a hand-written callee can answer after it.</summary>
    internal static async Task DrainOneFrameAsync(PipeReader input, CancellationToken ct)
    {
        while (true)
        {
            ReadResult read = await input.ReadAsync(ct);
            ReadOnlySequence<byte> buffer = read.Buffer;
            if (UnaryEnvelopeCodec.TryReadFrame(ref buffer, int.MaxValue, out _, out _, out _) == OperationStatus.Done)
            {
                input.AdvanceTo(buffer.Start);
                return;
            }
            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            if (read.IsCompleted)
            {
                throw new EndOfStreamException();
            }
        }
    }
}

public sealed class UnaryCallOverYamuxTests : UnaryCallTests
{
    private protected override RpcTransportKind Kind => RpcTransportKind.Yamux;
}

public sealed class UnaryCallOverHostTests : UnaryCallTests
{
    private protected override RpcTransportKind Kind => RpcTransportKind.Host;
}
