using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Servicer;
using Mesh.Transport.Rpc.Streaming;
using Mesh.Transport.Tests.Rpc.Messages;
using Mesh.Transport.Tests.Rpc.Unary;
using Mesh.Transport.Yamux;

namespace Mesh.Transport.Tests.Rpc.Streaming;

/// <summary>The three streaming shapes end to end over yamux: order, errors, unary-input rules, cancellation, backpressure, limits.</summary>
public abstract class StreamCallTests : RpcTransportTests
{
    private const string Counter = "StreamProtocol.rpc_count";
    private const string Sum = "StreamProtocol.rpc_sum";
    private const string Echo = "StreamProtocol.rpc_echo";

    /// <summary>Unary-stream: request.count responses (failing after fail_after of them, if set).</summary>
    private static async IAsyncEnumerable<EchoResponse> CountAsync(EchoRequest request, RpcContext context)
    {
        for (int i = 0; i < request.Count; i++)
        {
            if (request.FailAfter > 0 && i == request.FailAfter)
            {
                throw new InvalidOperationException("stopped at " + i);
            }
            await Task.Yield();
            yield return new EchoResponse { Text = request.Text, Index = i, Payload = request.Payload };
        }
    }

    private static async ValueTask<EchoResponse> SumAsync(IAsyncEnumerable<EchoRequest> requests, RpcContext context)
    {
        int total = 0;
        int n = 0;
        await foreach (EchoRequest request in requests)
        {
            total += request.Count;
            n++;
        }
        return new EchoResponse { Index = total, Text = n.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    private static async IAsyncEnumerable<EchoResponse> EchoAllAsync(IAsyncEnumerable<EchoRequest> requests, RpcContext context)
    {
        int i = 0;
        await foreach (EchoRequest request in requests)
        {
            yield return new EchoResponse { Text = request.Text, Index = i++, Payload = request.Payload };
        }
    }

    private static async IAsyncEnumerable<EchoRequest> Requests(int n, int payloadSize = 0)
    {
        for (int i = 0; i < n; i++)
        {
            await Task.Yield();
            yield return new EchoRequest { Text = "r" + i, Count = i, Payload = ByteString.CopyFrom(new byte[payloadSize]) };
        }
    }

    [Fact]
    public async Task Unary_stream_delivers_every_response_in_order()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnaryStream<EchoRequest, EchoResponse>(Counter, EchoRequest.Parser, CountAsync);
        var got = new List<EchoResponse>();
        await foreach (EchoResponse r in pair.Client.CallUnaryStreamAsync(pair.ServerPeer, Counter, new EchoRequest { Text = "x", Count = 100 }, EchoResponse.Parser, TestTimeout.Token()))
        {
            got.Add(r);
        }
        Assert.Equal(Enumerable.Range(0, 100), got.Select(r => r.Index));
        Assert.All(got, r => Assert.Equal("x", r.Text));
    }

    [Fact]
    public async Task Unary_stream_with_no_responses_is_an_empty_stream()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnaryStream<EchoRequest, EchoResponse>(Counter, EchoRequest.Parser, CountAsync);
        int n = 0;
        await foreach (EchoResponse _ in pair.Client.CallUnaryStreamAsync(pair.ServerPeer, Counter, new EchoRequest { Count = 0 }, EchoResponse.Parser, TestTimeout.Token()))
        {
            n++;
        }
        Assert.Equal(0, n);
    }

    [Fact]
    public async Task Stream_unary_gets_one_response_for_all_requests()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddStreamUnary<EchoRequest, EchoResponse>(Sum, EchoRequest.Parser, SumAsync);
        EchoResponse response = await pair.Client.CallStreamUnaryAsync(pair.ServerPeer, Sum, Requests(50), EchoResponse.Parser, TestTimeout.Token());
        Assert.Equal(Enumerable.Range(0, 50).Sum(), response.Index);
        Assert.Equal("50", response.Text);
    }

    [Fact]
    public async Task Stream_stream_echoes_while_requests_are_still_being_sent()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddStreamStream<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAllAsync);
        var got = new List<string>();
        await foreach (EchoResponse r in pair.Client.CallStreamStreamAsync(pair.ServerPeer, Echo, Requests(200, payloadSize: 1000), EchoResponse.Parser, TestTimeout.Token()))
        {
            got.Add(r.Text);
        }
        Assert.Equal(Enumerable.Range(0, 200).Select(i => "r" + i), got);
    }

    [Fact]
    public async Task Stream_stream_is_truly_interleaved()
    {
        // Each request is only produced after the previous response arrived: a deadlock if either side buffered.
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddStreamStream<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAllAsync);
        var responses = System.Threading.Channels.Channel.CreateUnbounded<EchoResponse>();

        async IAsyncEnumerable<EchoRequest> PingPong()
        {
            yield return new EchoRequest { Text = "0" };
            for (int i = 1; i < 20; i++)
            {
                EchoResponse previous = await responses.Reader.ReadAsync(TestTimeout.Token());
                yield return new EchoRequest { Text = (int.Parse(previous.Text, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            }
        }

        int count = 0;
        await foreach (EchoResponse r in pair.Client.CallStreamStreamAsync(pair.ServerPeer, Echo, PingPong(), EchoResponse.Parser, TestTimeout.Token()))
        {
            Assert.Equal(count.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Text);
            count++;
            await responses.Writer.WriteAsync(r, TestContext.Current.CancellationToken);
        }
        Assert.Equal(20, count);
    }

    [Fact]
    public async Task A_handler_exception_arrives_after_the_responses_already_sent_as_an_RPCError_with_str_e()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddUnaryStream<EchoRequest, EchoResponse>(Counter, EchoRequest.Parser, CountAsync);
        var got = new List<int>();
        RpcHandlerException error = await Assert.ThrowsAsync<RpcHandlerException>(async () =>
        {
            await foreach (EchoResponse r in pair.Client.CallUnaryStreamAsync(pair.ServerPeer, Counter, new EchoRequest { Count = 10, FailAfter = 3 }, EchoResponse.Parser, TestTimeout.Token()))
            {
                got.Add(r.Index);
            }
        });
        Assert.Equal([0, 1, 2], got);
        Assert.Equal("stopped at 3", error.RemoteMessage);
    }

    [Fact]
    public async Task A_unary_input_handler_given_two_requests_fails_with_meshs_asingle_text()
    {
        await using RpcPair pair = await CreatePairAsync();
        int calls = 0;
        pair.Servicer.AddUnaryStream<EchoRequest, EchoResponse>(Counter, EchoRequest.Parser, (r, c) =>
        {
            Interlocked.Increment(ref calls);
            return CountAsync(r, c);
        });
        RpcHandlerException two = await Assert.ThrowsAsync<RpcHandlerException>(async () =>
        {
            await foreach (EchoResponse _ in pair.Client.CallStreamStreamAsync(pair.ServerPeer, Counter, Requests(2), EchoResponse.Parser, TestTimeout.Token()))
            {
            }
        });
        Assert.Equal(StreamHandlerEntry<EchoRequest, EchoResponse>.ExtraInputError, two.RemoteMessage);
        RpcHandlerException none = await Assert.ThrowsAsync<RpcHandlerException>(async () =>
        {
            await foreach (EchoResponse _ in pair.Client.CallStreamStreamAsync(pair.ServerPeer, Counter, Requests(0), EchoResponse.Parser, TestTimeout.Token()))
            {
            }
        });
        Assert.Equal(StreamHandlerEntry<EchoRequest, EchoResponse>.EmptyInputError, none.RemoteMessage);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task Stream_unary_answered_with_two_responses_is_a_protocol_violation_at_the_caller()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddStreamStream<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAllAsync);
        RpcException error = await Assert.ThrowsAsync<RpcException>(async () =>
            await pair.Client.CallStreamUnaryAsync(pair.ServerPeer, Echo, Requests(2), EchoResponse.Parser, TestTimeout.Token()));
        Assert.Equal(RpcError.ProtocolViolation, error.Error);
    }

    [Fact]
    public async Task Stopping_the_enumeration_early_cancels_the_handler_at_the_callee()
    {
        await using RpcPair pair = await CreatePairAsync();
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddUnaryStream<EchoRequest, EchoResponse>(Counter, EchoRequest.Parser, Endless);

        async IAsyncEnumerable<EchoResponse> Endless(EchoRequest request, RpcContext context)
        {
            HandlerCancellation.SignalOn(context.CancellationToken, handlerCancelled);
            for (int i = 0; ; i++)
            {
                await Task.Delay(1, context.CancellationToken);
                yield return new EchoResponse { Index = i };
            }
        }

        await foreach (EchoResponse r in pair.Client.CallUnaryStreamAsync(pair.ServerPeer, Counter, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()))
        {
            if (r.Index == 5)
            {
                break;
            }
        }
        await TestTimeout.Within(handlerCancelled.Task);
        await pair.ServerIdleAsync(TestTimeout.Token());
    }

    [Fact]
    public async Task Cancelling_the_token_cancels_the_handler_and_the_enumeration()
    {
        await using RpcPair pair = await CreatePairAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddStreamUnary<EchoRequest, EchoResponse>(Sum, EchoRequest.Parser, async (requests, context) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                handlerCancelled.TrySetResult();
                throw;
            }
            return new EchoResponse();
        });
        using var cts = new CancellationTokenSource();
        Task call = pair.Client.CallStreamUnaryAsync(pair.ServerPeer, Sum, Requests(3), EchoResponse.Parser, cts.Token).AsTask();
        await TestTimeout.Within(started.Task);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await TestTimeout.Within(handlerCancelled.Task);
    }

    [Fact]
    public async Task A_caller_that_closes_its_side_before_end_of_stream_cancels_the_handler()
    {
        await using RpcPair pair = await CreatePairAsync();
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddStreamUnary<EchoRequest, EchoResponse>(Sum, EchoRequest.Parser, async (requests, context) =>
        {
            HandlerCancellation.SignalOn(context.CancellationToken, handlerCancelled);
            return await SumAsync(requests, context);
        });
        CancellationToken ct = TestTimeout.Token();
        await using IRpcStream stream = await pair.ClientTransport.OpenStreamAsync(pair.ServerPeer, Sum, ct);
        await WriteMessageAsync(stream.Output, new EchoRequest { Count = 1 }, ct);
        await stream.Output.CompleteAsync(); // no END_OF_STREAM: the caller gave up
        await TestTimeout.Within(handlerCancelled.Task);
    }

    [Fact]
    public async Task The_callee_reads_ahead_at_most_the_prefetch_limit_and_the_caller_is_paced_by_flow_control()
    {
        // A small yamux window so that flow control bites quickly; 4 KiB requests.
        var yamux = new YamuxOptions { InitialStreamWindowSize = 256 * 1024, MaxStreamWindowSize = 256 * 1024 };
        await using RpcPair pair = await CreatePairAsync(yamux: yamux);
        int parsed = 0;
        var parser = new MessageParser<EchoRequest>(() =>
        {
            Interlocked.Increment(ref parsed);
            return new EchoRequest();
        });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddStreamUnary<EchoRequest, EchoResponse>(Sum, parser, async (requests, context) =>
        {
            started.TrySetResult();
            await gate.Task.WaitAsync(context.CancellationToken);
            return await SumAsync(requests, context);
        });
        int produced = 0;
        async IAsyncEnumerable<EchoRequest> Many()
        {
            for (int i = 0; i < 500; i++)
            {
                Interlocked.Increment(ref produced);
                yield return new EchoRequest { Count = 1, Payload = ByteString.CopyFrom(new byte[4096]) };
                await Task.Yield();
            }
        }
        Task<EchoResponse> call = pair.Client.CallStreamUnaryAsync(pair.ServerPeer, Sum, Many(), EchoResponse.Parser, TestTimeout.Token()).AsTask();
        await TestTimeout.Within(started.Task);
        // Let the caller run until it is blocked by flow control (the window plus our pipes hold far fewer than 500).
        int last = -1;
        while (last != Volatile.Read(ref produced))
        {
            last = Volatile.Read(ref produced);
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.True(Volatile.Read(ref parsed) <= pair.Servicer.Options.StreamPrefetch + 1, $"the callee parsed {parsed} requests ahead of its handler");
        Assert.True(last < 500, $"the caller produced all {last} requests without being paced");
        Assert.False(call.IsCompleted);

        gate.SetResult();
        EchoResponse response = await TestTimeout.Within(call);
        Assert.Equal(500, response.Index);
    }

    [Fact]
    public async Task A_reset_while_the_callee_is_backpressured_still_cancels_its_handler()
    {
        await using RpcPair pair = await CreatePairAsync();
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddStreamUnary<EchoRequest, EchoResponse>(Sum, EchoRequest.Parser, async (requests, context) =>
        {
            HandlerCancellation.SignalOn(context.CancellationToken, handlerCancelled);
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken); // never consumes: the queue fills
            return new EchoResponse();
        });
        CancellationToken ct = TestTimeout.Token();
        await using IRpcStream stream = await pair.ClientTransport.OpenStreamAsync(pair.ServerPeer, Sum, ct);
        for (int i = 0; i < 20; i++)
        {
            await WriteMessageAsync(stream.Output, new EchoRequest { Count = i }, ct);
        }
        await TestTimeout.Within(started.Task);
        await Task.Delay(50, ct);
        stream.Reset();
        await TestTimeout.Within(handlerCancelled.Task);
    }

    [Fact]
    public async Task Messages_far_larger_than_the_transport_window_go_through_in_both_directions()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.Servicer.AddStreamStream<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAllAsync);
        int size = StreamFrameCodec.DefaultMaxMessageSize - 100;
        async IAsyncEnumerable<EchoRequest> Big()
        {
            for (int i = 0; i < 3; i++)
            {
                await Task.Yield();
                byte[] payload = new byte[size];
                payload[^1] = (byte)i;
                yield return new EchoRequest { Text = "big" + i, Payload = ByteString.CopyFrom(payload) };
            }
        }
        int n = 0;
        await foreach (EchoResponse r in pair.Client.CallStreamStreamAsync(pair.ServerPeer, Echo, Big(), EchoResponse.Parser, TestTimeout.Token(60)))
        {
            Assert.Equal(size, r.Payload.Length);
            Assert.Equal((byte)n, r.Payload.Span[^1]);
            n++;
        }
        Assert.Equal(3, n);
    }

    [Fact]
    public async Task An_oversized_request_is_refused_locally_and_an_oversized_response_becomes_an_error()
    {
        await using RpcPair pair = await CreatePairAsync(new RpcOptions { MaxStreamMessageSize = 1000 });
        pair.Servicer.AddStreamStream<EchoRequest, EchoResponse>(Echo, EchoRequest.Parser, EchoAllAsync);
        pair.Servicer.AddUnaryStream<EchoRequest, EchoResponse>(Counter, EchoRequest.Parser, CountAsync);
        RpcMessageTooLargeException local = await Assert.ThrowsAsync<RpcMessageTooLargeException>(async () =>
        {
            await foreach (EchoResponse _ in pair.Client.CallStreamStreamAsync(pair.ServerPeer, Echo, Requests(1, payloadSize: 2000), EchoResponse.Parser, TestTimeout.Token()))
            {
            }
        });
        Assert.True(local.IsLocal);

        // A small request whose response is over the limit.
        pair.Servicer.AddUnaryStream<EchoRequest, EchoResponse>("StreamProtocol.rpc_big", EchoRequest.Parser, Big);
        static async IAsyncEnumerable<EchoResponse> Big(EchoRequest request, RpcContext context)
        {
            await Task.Yield();
            yield return new EchoResponse { Index = 1 };
            yield return new EchoResponse { Payload = ByteString.CopyFrom(new byte[2000]) };
        }
        var before = new List<int>();
        RpcHandlerException remote = await Assert.ThrowsAsync<RpcHandlerException>(async () =>
        {
            await foreach (EchoResponse r in pair.Client.CallUnaryStreamAsync(pair.ServerPeer, "StreamProtocol.rpc_big", new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()))
            {
                before.Add(r.Index);
            }
        });
        Assert.Equal([1], before);
        Assert.Equal(RpcWireErrors.ResponseTooLarge, remote.RemoteMessage);
    }

    [Fact]
    public async Task A_caller_declaring_an_oversized_frame_is_reset_and_the_handler_cancelled()
    {
        await using RpcPair pair = await CreatePairAsync(new RpcOptions { MaxStreamMessageSize = 1000 });
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddStreamUnary<EchoRequest, EchoResponse>(Sum, EchoRequest.Parser, async (requests, context) =>
        {
            HandlerCancellation.SignalOn(context.CancellationToken, handlerCancelled);
            return await SumAsync(requests, context);
        });
        CancellationToken ct = TestTimeout.Token();
        await using IRpcStream stream = await pair.ClientTransport.OpenStreamAsync(pair.ServerPeer, Sum, ct);
        byte[] header = new byte[StreamFrameCodec.HeaderLength];
        StreamFrameCodec.WriteHeader(header, StreamFrameMarker.Message, 1001);
        await stream.Output.WriteAsync(header, ct);
        await TestTimeout.Within(handlerCancelled.Task);
        await Assert.ThrowsAnyAsync<IOException>(async () => await UnaryCallTests.ReadAllBytesAsync(stream.Input, ct));
    }

    [Fact]
    public async Task A_callee_declaring_an_oversized_frame_is_a_typed_error_at_the_caller()
    {
        await using RpcPair pair = await CreatePairAsync(new RpcOptions { MaxStreamMessageSize = 1000 });
        pair.ServerTransport.SetHandler(Counter, async (stream, ct) =>
        {
            byte[] header = new byte[StreamFrameCodec.HeaderLength];
            StreamFrameCodec.WriteHeader(header, StreamFrameMarker.Message, ulong.MaxValue);
            await stream.Output.WriteAsync(header, ct);
            await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        RpcMessageTooLargeException error = await Assert.ThrowsAsync<RpcMessageTooLargeException>(async () =>
        {
            await foreach (EchoResponse _ in pair.Client.CallUnaryStreamAsync(pair.ServerPeer, Counter, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()))
            {
            }
        });
        Assert.False(error.IsLocal);
    }

    [Fact]
    public async Task A_callee_cutting_a_frame_short_is_a_typed_error_not_a_silent_end()
    {
        await using RpcPair pair = await CreatePairAsync();
        pair.ServerTransport.SetHandler(Counter, async (stream, ct) =>
        {
            byte[] header = new byte[StreamFrameCodec.HeaderLength];
            StreamFrameCodec.WriteHeader(header, StreamFrameMarker.Message, 10);
            await stream.Output.WriteAsync(header, ct);
            await stream.Output.WriteAsync(new byte[3], ct);
            await stream.DisposeAsync();
        });
        StreamFrameException error = await Assert.ThrowsAsync<StreamFrameException>(async () =>
        {
            await foreach (EchoResponse _ in pair.Client.CallUnaryStreamAsync(pair.ServerPeer, Counter, new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()))
            {
            }
        });
        Assert.Equal(StreamFrameError.Truncated, error.FrameError);
    }

    [Fact]
    public async Task The_wire_is_mesh_framing_requests_then_end_of_stream_and_no_half_close()
    {
        await using RpcPair pair = await CreatePairAsync();
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.ServerTransport.SetHandler(Sum, async (stream, ct) =>
        {
            // Read exactly two frames and END_OF_STREAM, check the caller keeps its side open, then answer.
            var all = new ArrayBufferWriter<byte>();
            byte[] expectedEnd = [0x01, 0, 0, 0, 0, 0, 0, 0, 0];
            while (all.WrittenCount < 9 || !all.WrittenSpan[^9..].SequenceEqual(expectedEnd))
            {
                ReadResult read = await stream.Input.ReadAsync(ct);
                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    all.Write(segment.Span);
                }
                stream.Input.AdvanceTo(read.Buffer.End);
                Assert.False(read.IsCompleted);
            }
            received.SetResult(all.WrittenSpan.ToArray());
            var response = new EchoResponse { Index = 7 };
            byte[] header = new byte[StreamFrameCodec.HeaderLength];
            StreamFrameCodec.WriteHeader(header, StreamFrameMarker.Message, (ulong)response.CalculateSize());
            await stream.Output.WriteAsync(header, ct);
            await stream.Output.WriteAsync(response.ToByteArray(), ct);
            await stream.DisposeAsync();
        });
        EchoResponse answer = await pair.Client.CallStreamUnaryAsync(pair.ServerPeer, Sum, Requests(2), EchoResponse.Parser, TestTimeout.Token());
        Assert.Equal(7, answer.Index);
        byte[] wire = await received.Task;
        byte[] first = new EchoRequest { Text = "r0", Count = 0 }.ToByteArray();
        byte[] second = new EchoRequest { Text = "r1", Count = 1 }.ToByteArray();
        byte[] expected = [0x00, .. BigEndian(first.Length), .. first, 0x00, .. BigEndian(second.Length), .. second, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, wire);
    }

    [Fact]
    public async Task An_unknown_streaming_protocol_is_a_typed_error()
    {
        await using RpcPair pair = await CreatePairAsync();
        await Assert.ThrowsAsync<RpcProtocolNotSupportedException>(async () =>
        {
            await foreach (EchoResponse _ in pair.Client.CallUnaryStreamAsync(pair.ServerPeer, "Nope.rpc_x", new EchoRequest(), EchoResponse.Parser, TestTimeout.Token()))
            {
            }
        });
    }

    [Fact]
    public async Task A_failing_request_source_surfaces_its_own_exception_and_resets_the_call()
    {
        await using RpcPair pair = await CreatePairAsync();
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Servicer.AddStreamUnary<EchoRequest, EchoResponse>(Sum, EchoRequest.Parser, async (requests, context) =>
        {
            HandlerCancellation.SignalOn(context.CancellationToken, handlerCancelled);
            handlerStarted.TrySetResult();
            return await SumAsync(requests, context);
        });
        async IAsyncEnumerable<EchoRequest> Failing()
        {
            yield return new EchoRequest { Count = 1 };
            await handlerStarted.Task.WaitAsync(TestTimeout.Token());
            throw new FormatException("source broke");
        }
        FormatException error = await Assert.ThrowsAsync<FormatException>(async () =>
            await pair.Client.CallStreamUnaryAsync(pair.ServerPeer, Sum, Failing(), EchoResponse.Parser, TestTimeout.Token()));
        Assert.Equal("source broke", error.Message);
        await TestTimeout.Within(handlerCancelled.Task);
    }

    private static byte[] BigEndian(int length)
    {
        byte[] bytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)length);
        return bytes;
    }

    private static async Task WriteMessageAsync(PipeWriter output, IMessage message, CancellationToken ct)
    {
        StreamFrameCodec.WriteHeader(output, StreamFrameMarker.Message, (ulong)message.CalculateSize());
        message.WriteTo(output);
        await output.FlushAsync(ct);
    }
}

public sealed class StreamCallOverYamuxTests : StreamCallTests
{
    private protected override RpcTransportKind Kind => RpcTransportKind.Yamux;
}

public sealed class StreamCallOverHostTests : StreamCallTests
{
    private protected override RpcTransportKind Kind => RpcTransportKind.Host;
}
