using System.Buffers;
using System.IO.Pipelines;
using Mesh.TestKit;
using Mesh.Transport.Muxing;
using Mesh.Transport.Yamux;

namespace Mesh.Transport.Tests.Yamux;

/// <summary>
/// Yamux wire behaviour, checked frame by frame against a hand-driven peer (<see cref="YamuxRawPeer"/>). Where a test
/// must know the session has processed what was sent, it uses a ping as a barrier (frames are handled in order).
/// </summary>
public sealed class YamuxSessionTests
{
    private const int Window = YamuxOptions.DefaultStreamWindowSize;

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    /// <summary>Options without timer-driven pings, so the peer sees only the frames a test provokes.</summary>
    private static YamuxOptions Quiet() => new()
    {
        KeepAliveInterval = System.Threading.Timeout.InfiniteTimeSpan,
        RttMeasurementInterval = System.Threading.Timeout.InfiniteTimeSpan,
    };

    private static (YamuxSession Session, YamuxRawPeer Peer) Start(bool sessionIsInitiator, YamuxOptions? options = null, PipeOptions? pipeOptions = null, bool answerPings = true)
    {
        (IDuplexPipe a, IDuplexPipe b) = DuplexPipePair.Create(pipeOptions);
        var muxer = new YamuxMuxer(options ?? Quiet());
        return (muxer.CreateSession(a, sessionIsInitiator), new YamuxRawPeer(b, answerPings));
    }

    private static async Task<byte[]> ReadToEndAsync(IMuxedStream stream, CancellationToken ct)
    {
        var collected = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult result = await stream.Input.ReadAsync(ct);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                collected.Write(segment.Span);
            }
            stream.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return collected.WrittenSpan.ToArray();
            }
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(IMuxedStream stream, int count, CancellationToken ct)
    {
        ReadResult result = await stream.Input.ReadAtLeastAsync(count, ct);
        byte[] data = result.Buffer.Slice(0, count).ToArray();
        stream.Input.AdvanceTo(result.Buffer.GetPosition(count));
        return data;
    }

    private static async Task ExpectProtocolErrorAsync(YamuxSession session, YamuxRawPeer peer, YamuxError expected, CancellationToken ct)
    {
        var error = await Assert.ThrowsAsync<YamuxProtocolException>(() => session.Completion.WaitAsync(ct));
        Assert.Equal(expected, error.Error);
        Assert.Equal(YamuxSessionEndReason.ProtocolError, session.EndReason);
        List<YamuxHeader> rest = await peer.ReadToEndAsync(ct);
        Assert.Contains(YamuxHeader.GoAway(YamuxGoAwayCode.ProtocolError), rest);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Opening and accepting.
    // ---------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(true, 1u)]
    [InlineData(false, 2u)]
    public async Task Opening_sends_WindowUpdate_SYN_with_the_sides_parity(bool initiator, uint firstId)
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(initiator);
        await using var owned = session;

        IMuxedStream first = await session.OpenStreamAsync(ct);
        (YamuxHeader header, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(firstId, YamuxFlags.Syn, 0), header);
        Assert.Equal(firstId, (uint)first.Id);

        IMuxedStream second = await session.OpenStreamAsync(ct);
        Assert.Equal(firstId + 2, (uint)second.Id);
        (header, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(firstId + 2, YamuxFlags.Syn, 0), header);
    }

    [Fact]
    public async Task A_larger_initial_window_is_announced_with_the_SYN()
    {
        CancellationToken ct = Timeout();
        YamuxOptions options = Quiet();
        options = new YamuxOptions { KeepAliveInterval = options.KeepAliveInterval, RttMeasurementInterval = options.RttMeasurementInterval, InitialStreamWindowSize = 1024 * 1024 };
        (YamuxSession session, YamuxRawPeer peer) = Start(true, options);
        await using var owned = session;

        await session.OpenStreamAsync(ct);
        (YamuxHeader header, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.Syn, 1024 * 1024 - Window), header);
        // The peer may now send the whole 1 MiB without waiting.
        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Ack, 1024 * 1024), new byte[1024 * 1024]);
        await peer.BarrierAsync(1, ct);
        Assert.Equal(YamuxSessionEndReason.None, session.EndReason);
    }

    [Fact]
    public async Task Accepts_WindowUpdate_SYN_with_a_larger_window_and_Data_SYN_alike()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        // js style: WindowUpdate+SYN announcing 1 MiB more than the default window.
        await peer.SendAsync(YamuxHeader.WindowUpdate(1, YamuxFlags.Syn, 1024 * 1024));
        // go/rust style: Data+SYN with the first bytes.
        await peer.SendAsync(YamuxHeader.Data(3, YamuxFlags.Syn, 2), "hi"u8.ToArray());

        IMuxedStream one = await session.AcceptStreamAsync(ct);
        IMuxedStream three = await session.AcceptStreamAsync(ct);
        Assert.Equal(1, one.Id);
        Assert.Equal(3, three.Id);
        Assert.Equal("hi"u8.ToArray(), await ReadExactlyAsync(three, 2, ct));

        // Stream 1 may send 256 KiB + 1 MiB before it needs an update.
        int allowed = Window + 1024 * 1024;
        Task writing = one.Output.WriteAsync(new byte[allowed + 100_000], ct).AsTask();
        long received = 0;
        while (received < allowed)
        {
            (YamuxHeader header, byte[] payload) = await peer.ReadUntilAsync(h => h.Type == YamuxFrameType.Data, ct);
            Assert.Equal(1u, header.StreamId);
            received += payload.Length;
        }
        Assert.Equal(allowed, received);
        Assert.DoesNotContain(await peer.BarrierAsync(7, ct), f => f.Header.Type == YamuxFrameType.Data);
        await peer.SendAsync(YamuxHeader.WindowUpdate(1, YamuxFlags.None, 100_000));
        long rest = 0;
        while (rest < 100_000)
        {
            (_, byte[] payload) = await peer.ReadUntilAsync(h => h.Type == YamuxFrameType.Data, ct);
            rest += payload.Length;
        }
        Assert.Equal(100_000, rest);
        await writing;
    }

    [Fact]
    public async Task An_accepted_stream_is_acknowledged_with_its_first_frame_not_implicitly()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Syn, 1), "x"u8.ToArray());
        IMuxedStream stream = await session.AcceptStreamAsync(ct);
        Assert.Equal("x"u8.ToArray(), await ReadExactlyAsync(stream, 1, ct));
        Assert.Empty(await peer.BarrierAsync(1, ct)); // libp2p spec: SHOULD NOT implicitly acknowledge

        await stream.Output.WriteAsync("y"u8.ToArray(), ct);
        (YamuxHeader header, byte[] payload) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.Data(1, YamuxFlags.Ack, 1), header);
        Assert.Equal("y"u8.ToArray(), payload);

        await stream.Output.CompleteAsync();
        (header, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.Fin, 0), header);
    }

    [Fact]
    public async Task Fin_and_Rst_mean_the_same_on_Data_and_WindowUpdate_frames()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Syn, 1), "a"u8.ToArray());
        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Fin, 1), "b"u8.ToArray());
        await peer.SendAsync(YamuxHeader.WindowUpdate(3, YamuxFlags.Syn, 0));
        await peer.SendAsync(YamuxHeader.WindowUpdate(3, YamuxFlags.Fin, 0));
        await peer.SendAsync(YamuxHeader.Data(5, YamuxFlags.Syn | YamuxFlags.Fin, 4), "once"u8.ToArray());
        await peer.SendAsync(YamuxHeader.WindowUpdate(7, YamuxFlags.Syn, 0));
        await peer.SendAsync(YamuxHeader.Data(7, YamuxFlags.Rst, 3), "zzz"u8.ToArray()); // payload of a reset frame is dropped
        await peer.SendAsync(YamuxHeader.WindowUpdate(9, YamuxFlags.Syn, 0));
        await peer.SendAsync(YamuxHeader.WindowUpdate(9, YamuxFlags.Rst, 42));           // go's ResetWithError(42)

        IMuxedStream s1 = await session.AcceptStreamAsync(ct);
        IMuxedStream s3 = await session.AcceptStreamAsync(ct);
        IMuxedStream s5 = await session.AcceptStreamAsync(ct);
        IMuxedStream s7 = await session.AcceptStreamAsync(ct);
        IMuxedStream s9 = await session.AcceptStreamAsync(ct);
        Assert.Equal("ab"u8.ToArray(), await ReadToEndAsync(s1, ct));
        Assert.Empty(await ReadToEndAsync(s3, ct));
        Assert.Equal("once"u8.ToArray(), await ReadToEndAsync(s5, ct));
        var reset7 = await Assert.ThrowsAsync<YamuxStreamResetException>(async () => await s7.Input.ReadAsync(ct));
        Assert.True(reset7.IsRemote);
        var reset9 = await Assert.ThrowsAsync<YamuxStreamResetException>(async () => await s9.Input.ReadAsync(ct));
        Assert.Equal(42u, reset9.ErrorCode);
        await Assert.ThrowsAsync<YamuxStreamResetException>(async () => await s9.Output.WriteAsync(new byte[1], ct));
    }

    [Fact]
    public async Task Data_for_an_unknown_stream_is_discarded_and_the_session_continues()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        await peer.SendAsync(YamuxHeader.Data(9, YamuxFlags.None, 10), new byte[10]);
        await peer.SendAsync(YamuxHeader.WindowUpdate(11, YamuxFlags.Fin, 5));
        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Syn, 2), "ok"u8.ToArray());
        IMuxedStream stream = await session.AcceptStreamAsync(ct);
        Assert.Equal("ok"u8.ToArray(), await ReadExactlyAsync(stream, 2, ct));
    }

    [Fact]
    public async Task Frames_delivered_one_byte_at_a_time_are_parsed_and_delivered_intact()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        byte[] payload = new byte[5000];
        new Random(9).NextBytes(payload);
        var wire = new ArrayBufferWriter<byte>();
        YamuxFrameCodec.WriteHeader(wire, YamuxHeader.WindowUpdate(1, YamuxFlags.Syn, 0));
        YamuxFrameCodec.WriteHeader(wire, YamuxHeader.Data(1, YamuxFlags.None, 3000));
        wire.Write(payload.AsSpan(0, 3000));
        YamuxFrameCodec.WriteHeader(wire, YamuxHeader.Ping(YamuxFlags.Syn, 5));
        YamuxFrameCodec.WriteHeader(wire, YamuxHeader.Data(1, YamuxFlags.Fin, 2000));
        wire.Write(payload.AsSpan(3000));

        Task reading = Task.Run(async () =>
        {
            IMuxedStream stream = await session.AcceptStreamAsync(ct);
            Assert.Equal(payload, await ReadToEndAsync(stream, ct));
        }, ct);
        foreach (byte b in wire.WrittenSpan.ToArray())
        {
            await peer.Output.WriteAsync(new[] { b }, ct);
        }
        await reading;
        (YamuxHeader pong, _) = await peer.ReadUntilAsync(h => h.Type == YamuxFrameType.Ping, ct);
        Assert.Equal(YamuxHeader.Ping(YamuxFlags.Ack, 5), pong);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Flow control.
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task The_sender_never_exceeds_the_peers_window_and_splits_frames()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(true);
        await using var owned = session;
        byte[] payload = new byte[3 * 1024 * 1024 + 17];
        new Random(10).NextBytes(payload);

        IMuxedStream stream = await session.OpenStreamAsync(ct);
        Task writing = Task.Run(async () =>
        {
            await stream.Output.WriteAsync(payload, ct);
            await stream.Output.CompleteAsync();
        }, ct);

        long granted = Window, received = 0, sinceGrant = 0;
        var collected = new ArrayBufferWriter<byte>();
        while (true)
        {
            (YamuxHeader header, byte[] data) = await peer.ReadUntilAsync(h => h.StreamId == 1, ct);
            if ((header.Flags & YamuxFlags.Fin) != 0)
            {
                break;
            }
            if (header.Type != YamuxFrameType.Data)
            {
                continue;
            }
            Assert.True(data.Length <= 64 * 1024, $"frame of {data.Length} bytes exceeds MaxDataFrameSize");
            received += data.Length;
            sinceGrant += data.Length;
            Assert.True(received <= granted, $"received {received} with only {granted} granted");
            collected.Write(data);
            if (sinceGrant >= 50_000)
            {
                // Grant in odd-sized steps so window edges fall mid-frame.
                await peer.SendAsync(YamuxHeader.WindowUpdate(1, YamuxFlags.Ack, (uint)sinceGrant));
                granted += sinceGrant;
                sinceGrant = 0;
            }
        }
        await writing;
        Assert.Equal(payload, collected.WrittenSpan.ToArray());
    }

    [Fact]
    public async Task A_window_update_goes_out_once_half_the_window_is_consumed()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Syn, Window / 2 - 1), new byte[Window / 2 - 1]);
        IMuxedStream stream = await session.AcceptStreamAsync(ct);
        await ReadExactlyAsync(stream, Window / 2 - 1, ct);
        Assert.Empty(await peer.BarrierAsync(1, ct));

        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.None, 1), new byte[1]);
        await ReadExactlyAsync(stream, 1, ct);
        (YamuxHeader update, _) = await peer.ReadUntilAsync(_ => true, ct);
        // The stream's first frame also carries the ACK.
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.Ack, Window / 2), update);
    }

    [Fact]
    public async Task The_window_doubles_when_half_of_it_is_consumed_within_four_round_trips_up_to_the_maximum()
    {
        CancellationToken ct = Timeout();
        var time = new ManualTimeProvider();
        var options = new YamuxOptions
        {
            TimeProvider = time,
            KeepAliveInterval = System.Threading.Timeout.InfiniteTimeSpan,
            RttMeasurementInterval = TimeSpan.FromHours(1),
            MaxStreamWindowSize = 1024 * 1024,
        };
        (YamuxSession session, YamuxRawPeer peer) = Start(false, options, answerPings: false);
        await using var owned = session;

        // RTT: the session's initial ping, answered 10 ms later.
        time.Advance(TimeSpan.Zero);
        (YamuxHeader ping, _) = await peer.ReadUntilAsync(h => h.Type == YamuxFrameType.Ping, ct);
        time.Advance(TimeSpan.FromMilliseconds(10));
        await peer.SendAsync(YamuxHeader.Ping(YamuxFlags.Ack, ping.Length));
        await peer.BarrierAsync(99, ct); // (unanswered pings are not auto-answered here, the barrier's pong is ours)
        Assert.Equal(TimeSpan.FromMilliseconds(10), session.RoundTripTime);

        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Syn, Window / 2), new byte[Window / 2]);
        IMuxedStream stream = await session.AcceptStreamAsync(ct);
        await ReadExactlyAsync(stream, Window / 2, ct);
        // Consumed half the window well within 4 RTTs: grant the consumed bytes plus the doubling.
        (YamuxHeader first, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.Ack, Window / 2 + Window), first);

        // Window is now 512 KiB; consuming half of it fast again doubles it to the 1 MiB maximum.
        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.None, Window), new byte[Window]);
        await ReadExactlyAsync(stream, Window, ct);
        (YamuxHeader second, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.None, Window + 2 * Window), second);

        // At the maximum it stops growing; and a slow consumer (1 s >> 4 RTT) never grows it.
        time.Advance(TimeSpan.FromSeconds(1));
        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.None, 2 * Window), new byte[2 * Window]);
        await ReadExactlyAsync(stream, 2 * Window, ct);
        (YamuxHeader third, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.None, 2 * Window), third);
        Assert.Equal(1024 * 1024, ((YamuxStream)stream).ReceiveWindowSize);
    }

    [Fact]
    public async Task A_peer_exceeding_the_window_gets_GoAway_protocol_error_and_the_session_ends()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Syn, 200_000), new byte[200_000]);
        IMuxedStream stream = await session.AcceptStreamAsync(ct);
        ValueTask<ReadResult> pending = stream.Input.ReadAtLeastAsync(300_000, ct);
        // Header alone is enough: the violation is caught before any payload is buffered.
        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.None, (uint)(Window - 200_000 + 1)));

        await ExpectProtocolErrorAsync(session, peer, YamuxError.ReceiveWindowExceeded, ct);
        await Assert.ThrowsAsync<YamuxSessionClosedException>(async () => await pending);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Limits.
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Opening_fails_with_a_typed_error_beyond_an_ACK_backlog_of_256()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(true);
        await using var owned = session;

        for (int i = 0; i < 256; i++)
        {
            await session.OpenStreamAsync(ct);
        }
        var error = await Assert.ThrowsAsync<YamuxStreamLimitException>(async () => await session.OpenStreamAsync(ct));
        Assert.Equal(YamuxStreamLimit.AckBacklog, error.Limit);
        Assert.IsAssignableFrom<StreamLimitExceededException>(error);

        await peer.SendAsync(YamuxHeader.WindowUpdate(1, YamuxFlags.Ack, 0));
        await peer.BarrierAsync(1, ct);
        IMuxedStream next = await session.OpenStreamAsync(ct);
        Assert.Equal(513, next.Id);
        await Assert.ThrowsAsync<YamuxStreamLimitException>(async () => await session.OpenStreamAsync(ct));
    }

    [Fact]
    public async Task Opening_fails_beyond_the_outbound_stream_limit_until_a_stream_closes()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(true, new YamuxOptions
        {
            MaxOutboundStreams = 3,
            KeepAliveInterval = System.Threading.Timeout.InfiniteTimeSpan,
            RttMeasurementInterval = System.Threading.Timeout.InfiniteTimeSpan,
        });
        await using var owned = session;

        IMuxedStream first = await session.OpenStreamAsync(ct);
        await session.OpenStreamAsync(ct);
        await session.OpenStreamAsync(ct);
        var error = await Assert.ThrowsAsync<YamuxStreamLimitException>(async () => await session.OpenStreamAsync(ct));
        Assert.Equal(YamuxStreamLimit.MaxOutboundStreams, error.Limit);

        await first.Output.CompleteAsync();
        await peer.ReadUntilAsync(h => h.StreamId == 1 && (h.Flags & YamuxFlags.Fin) != 0, ct);
        await peer.SendAsync(YamuxHeader.WindowUpdate(1, YamuxFlags.Ack | YamuxFlags.Fin, 0));
        await peer.BarrierAsync(1, ct);
        await session.OpenStreamAsync(ct);
    }

    [Fact]
    public async Task Opening_fails_once_the_stream_id_space_is_exhausted()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, _) = Start(true);
        await using var owned = session;

        session.SetNextOutboundStreamIdForTesting(uint.MaxValue);
        IMuxedStream last = await session.OpenStreamAsync(ct);
        Assert.Equal(uint.MaxValue, (uint)last.Id);
        var error = await Assert.ThrowsAsync<YamuxStreamLimitException>(async () => await session.OpenStreamAsync(ct));
        Assert.Equal(YamuxStreamLimit.StreamIdsExhausted, error.Limit);
    }

    [Fact]
    public async Task A_full_accept_backlog_resets_the_new_stream()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false, new YamuxOptions
        {
            AcceptBacklog = 4,
            KeepAliveInterval = System.Threading.Timeout.InfiniteTimeSpan,
            RttMeasurementInterval = System.Threading.Timeout.InfiniteTimeSpan,
        });
        await using var owned = session;

        for (uint id = 1; id <= 9; id += 2)
        {
            await peer.SendAsync(YamuxHeader.WindowUpdate(id, YamuxFlags.Syn, 0));
        }
        var frames = await peer.BarrierAsync(1, ct);
        Assert.Equal(new[] { YamuxHeader.WindowUpdate(9, YamuxFlags.Rst, 0) }, frames.Select(f => f.Header));

        Assert.Equal(1, (await session.AcceptStreamAsync(ct)).Id);
        await peer.SendAsync(YamuxHeader.WindowUpdate(11, YamuxFlags.Syn, 0));
        Assert.Empty(await peer.BarrierAsync(2, ct));
    }

    [Fact]
    public async Task Inbound_streams_beyond_the_limit_are_reset()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false, new YamuxOptions
        {
            MaxInboundStreams = 2,
            KeepAliveInterval = System.Threading.Timeout.InfiniteTimeSpan,
            RttMeasurementInterval = System.Threading.Timeout.InfiniteTimeSpan,
        });
        await using var owned = session;

        await peer.SendAsync(YamuxHeader.WindowUpdate(1, YamuxFlags.Syn, 0));
        await peer.SendAsync(YamuxHeader.WindowUpdate(3, YamuxFlags.Syn, 0));
        await peer.SendAsync(YamuxHeader.WindowUpdate(5, YamuxFlags.Syn, 0));
        Assert.Equal(new[] { YamuxHeader.WindowUpdate(5, YamuxFlags.Rst, 0) }, (await peer.BarrierAsync(1, ct)).Select(f => f.Header));

        // Once one closes both ways, a new one fits.
        IMuxedStream one = await session.AcceptStreamAsync(ct);
        await peer.SendAsync(YamuxHeader.WindowUpdate(1, YamuxFlags.Fin, 0));
        await one.Output.CompleteAsync();
        await peer.ReadUntilAsync(h => h.StreamId == 1 && (h.Flags & YamuxFlags.Fin) != 0, ct);
        await peer.BarrierAsync(2, ct);
        await peer.SendAsync(YamuxHeader.WindowUpdate(7, YamuxFlags.Syn, 0));
        Assert.Empty(await peer.BarrierAsync(3, ct));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Protocol errors.
    // ---------------------------------------------------------------------------------------------------------

    public static TheoryData<string, YamuxError> ViolatingSequences() => new()
    {
        // Responder session: the peer (client) must use odd ids.
        { "000100010000000200000000", YamuxError.WrongStreamIdParity },
        // SYN for an open stream.
        { "000100010000000100000000" + "000100010000000100000000", YamuxError.DuplicateStream },
        // SYN for an id that was opened and reset before.
        { "000100010000000100000000" + "000100080000000100000000" + "000100010000000100000000", YamuxError.ReusedStreamId },
        // Stream frames on the session id, session frames on a stream id.
        { "000000000000000000000000", YamuxError.InvalidStreamId },
        { "000100000000000000000005", YamuxError.InvalidStreamId },
        { "000200010000000300000001", YamuxError.InvalidStreamId },
        { "000300000000000100000000", YamuxError.InvalidStreamId },
        // Ping without SYN or ACK.
        { "000200000000000000000001", YamuxError.InvalidPingFlags },
        // Window updates pushing the send window past 2^32-1.
        { "000100010000000100000000" + "0001000000000001ffffffff", YamuxError.SendWindowOverflow },
        // Garbage header bytes.
        { "010000010000000100000000", YamuxError.InvalidVersion },
        { "000400000000000000000000", YamuxError.InvalidFrameType },
        { "eeeeeeeeeeeeeeeeeeeeeeee", YamuxError.InvalidVersion },
    };

    [Theory]
    [MemberData(nameof(ViolatingSequences))]
    public async Task Protocol_violations_end_the_session_with_GoAway_protocol_error(string hex, YamuxError expected)
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;
        await peer.SendRawAsync(Hex.Decode(hex));
        await ExpectProtocolErrorAsync(session, peer, expected, ct);
        await Assert.ThrowsAsync<YamuxSessionClosedException>(async () => await session.AcceptStreamAsync(ct));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ping, keep-alive.
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Pings_are_answered_with_the_same_value_and_PingAsync_measures_the_round_trip()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(true, answerPings: false);
        await using var owned = session;

        await peer.SendAsync(YamuxHeader.Ping(YamuxFlags.Syn, 0xDEADBEEF));
        (YamuxHeader pong, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.Ping(YamuxFlags.Ack, 0xDEADBEEF), pong);

        // A pong nobody asked for is ignored (go does the same).
        await peer.SendAsync(YamuxHeader.Ping(YamuxFlags.Ack, 12345));

        Task<TimeSpan> pinging = session.PingAsync(ct).AsTask();
        (YamuxHeader ping, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxFrameType.Ping, ping.Type);
        Assert.Equal(YamuxFlags.Syn, ping.Flags);
        Assert.Equal(0u, ping.StreamId);
        await peer.SendAsync(YamuxHeader.Ping(YamuxFlags.Ack, ping.Length));
        Assert.True(await pinging > TimeSpan.Zero);
        Assert.NotNull(session.RoundTripTime);
        Assert.Equal(YamuxSessionEndReason.None, session.EndReason);
    }

    [Fact]
    public async Task Keep_alive_pings_an_idle_peer_and_ends_a_session_that_stays_silent()
    {
        CancellationToken ct = Timeout();
        var time = new ManualTimeProvider();
        var options = new YamuxOptions
        {
            TimeProvider = time,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
            KeepAliveTimeout = TimeSpan.FromSeconds(10),
            RttMeasurementInterval = System.Threading.Timeout.InfiniteTimeSpan,
        };
        (YamuxSession session, YamuxRawPeer peer) = Start(true, options, answerPings: false);
        await using var owned = session;

        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(YamuxSessionEndReason.None, session.EndReason);
        time.Advance(TimeSpan.FromSeconds(1));
        (YamuxHeader ping, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxFrameType.Ping, ping.Type);

        time.Advance(TimeSpan.FromSeconds(10)); // no answer, nothing else either
        var error = await Assert.ThrowsAsync<YamuxSessionClosedException>(() => session.Completion.WaitAsync(ct));
        Assert.Equal(YamuxSessionEndReason.KeepAliveTimeout, error.Reason);
        Assert.Equal(YamuxSessionEndReason.KeepAliveTimeout, session.EndReason);
        Assert.NotNull(await peer.ReadToEndAsync(ct)); // the connection's output ends
    }

    [Fact]
    public async Task Keep_alive_answered_in_time_keeps_the_session()
    {
        CancellationToken ct = Timeout();
        var time = new ManualTimeProvider();
        var options = new YamuxOptions
        {
            TimeProvider = time,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
            KeepAliveTimeout = TimeSpan.FromSeconds(10),
            RttMeasurementInterval = System.Threading.Timeout.InfiniteTimeSpan,
        };
        (YamuxSession session, YamuxRawPeer peer) = Start(true, options, answerPings: false);
        await using var owned = session;

        for (int round = 0; round < 3; round++)
        {
            // 30 s of silence since the last frame received (the previous round's pong, 9 s ago after round 0).
            time.Advance(TimeSpan.FromSeconds(round == 0 ? 30 : 21));
            (YamuxHeader ping, _) = await peer.ReadUntilAsync(_ => true, ct);
            Assert.Equal(YamuxFrameType.Ping, ping.Type);
            time.Advance(TimeSpan.FromSeconds(5));
            await peer.SendAsync(YamuxHeader.Ping(YamuxFlags.Ack, ping.Length));
            await peer.BarrierAsync((uint)(100 + round), ct);
            time.Advance(TimeSpan.FromSeconds(9));
            Assert.Equal(YamuxSessionEndReason.None, session.EndReason);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // GoAway, close, abort, reset.
    // ---------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task After_a_peers_GoAway_normal_no_new_streams_open_but_existing_ones_finish()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(true);
        await using var owned = session;

        IMuxedStream stream = await session.OpenStreamAsync(ct);
        await peer.ReadUntilAsync(h => (h.Flags & YamuxFlags.Syn) != 0, ct);
        Assert.True(session.CanOpenStreams);
        await peer.SendAsync(YamuxHeader.GoAway(YamuxGoAwayCode.Normal));
        await peer.BarrierAsync(1, ct);
        Assert.False(session.CanOpenStreams);

        var refused = await Assert.ThrowsAsync<YamuxSessionClosedException>(async () => await session.OpenStreamAsync(ct));
        Assert.Equal(YamuxGoAwayCode.Normal, refused.RemoteGoAwayCode);
        Assert.Equal(YamuxGoAwayCode.Normal, session.RemoteGoAwayCode);

        await stream.Output.WriteAsync("still"u8.ToArray(), ct);
        (YamuxHeader header, byte[] payload) = await peer.ReadUntilAsync(h => h.Type == YamuxFrameType.Data, ct);
        Assert.Equal("still"u8.ToArray(), payload);
        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Ack | YamuxFlags.Fin, 4), "open"u8.ToArray());
        Assert.Equal("open"u8.ToArray(), await ReadToEndAsync(stream, ct));

        await peer.Output.CompleteAsync(); // go and js close the connection after their GoAway
        await session.Completion.WaitAsync(ct);
        Assert.Equal(YamuxSessionEndReason.RemoteGoAway, session.EndReason);
    }

    [Fact]
    public async Task A_peers_GoAway_error_ends_the_session_and_fails_open_streams()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(true);
        await using var owned = session;

        IMuxedStream stream = await session.OpenStreamAsync(ct);
        ValueTask<ReadResult> pending = stream.Input.ReadAsync(ct);
        await peer.SendAsync(YamuxHeader.GoAway(YamuxGoAwayCode.InternalError));

        var error = await Assert.ThrowsAsync<YamuxSessionClosedException>(() => session.Completion.WaitAsync(ct));
        Assert.Equal(YamuxSessionEndReason.RemoteGoAwayError, error.Reason);
        Assert.Equal(YamuxGoAwayCode.InternalError, error.RemoteGoAwayCode);
        var streamError = await Assert.ThrowsAsync<YamuxSessionClosedException>(async () => await pending);
        Assert.Equal(YamuxSessionEndReason.RemoteGoAwayError, streamError.Reason);
    }

    [Fact]
    public async Task CloseAsync_refuses_new_streams_waits_for_open_ones_then_sends_GoAway_normal()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        await peer.SendAsync(YamuxHeader.WindowUpdate(1, YamuxFlags.Syn, 0));
        await peer.SendAsync(YamuxHeader.WindowUpdate(3, YamuxFlags.Syn, 0)); // never accepted
        IMuxedStream stream = await session.AcceptStreamAsync(ct);
        await peer.BarrierAsync(1, ct);

        ValueTask closing = session.CloseAsync(ct);
        // The unaccepted stream is reset; a new SYN is refused; no GoAway while stream 1 is open.
        await peer.SendAsync(YamuxHeader.WindowUpdate(5, YamuxFlags.Syn, 0));
        List<YamuxHeader> frames = (await peer.BarrierAsync(2, ct)).Select(f => f.Header).ToList();
        Assert.Contains(YamuxHeader.WindowUpdate(3, YamuxFlags.Rst, 0), frames);
        Assert.Contains(YamuxHeader.WindowUpdate(5, YamuxFlags.Rst, 0), frames);
        Assert.DoesNotContain(frames, h => h.Type == YamuxFrameType.GoAway);
        Assert.False(closing.IsCompleted);

        await stream.Output.CompleteAsync();
        (YamuxHeader fin, _) = await peer.ReadUntilAsync(h => h.StreamId == 1, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.Ack | YamuxFlags.Fin, 0), fin);
        await peer.SendAsync(YamuxHeader.WindowUpdate(1, YamuxFlags.Fin, 0));

        List<YamuxHeader> tail = await peer.ReadToEndAsync(ct);
        Assert.Equal(new[] { YamuxHeader.GoAway(YamuxGoAwayCode.Normal) }, tail);
        await closing;
        Assert.Equal(YamuxSessionEndReason.LocalClose, session.EndReason);
    }

    [Theory]
    [InlineData(0, YamuxGoAwayCode.Normal)]
    [InlineData(1, YamuxGoAwayCode.ProtocolError)]
    [InlineData(2, YamuxGoAwayCode.InternalError)]
    public async Task Abort_sends_GoAway_with_the_code_matching_the_reason(int kind, YamuxGoAwayCode expected)
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(true);
        IMuxedStream stream = await session.OpenStreamAsync(ct);
        await peer.ReadUntilAsync(_ => true, ct);
        Exception? reason = kind switch
        {
            0 => null,
            1 => new YamuxProtocolException(YamuxError.InvalidFrameType, "test"),
            _ => new InvalidOperationException("test"),
        };
        session.Abort(reason);
        Assert.Contains(YamuxHeader.GoAway(expected), await peer.ReadToEndAsync(ct));
        if (reason is null)
        {
            await session.Completion.WaitAsync(ct);
        }
        else
        {
            Assert.Same(reason, await Assert.ThrowsAnyAsync<Exception>(() => session.Completion.WaitAsync(ct)));
        }
        Assert.Equal(YamuxSessionEndReason.LocalAbort, session.EndReason);
        await Assert.ThrowsAsync<YamuxSessionClosedException>(async () => await stream.Input.ReadAsync(ct));
        await session.DisposeAsync();
    }

    [Fact]
    public async Task Abort_with_the_connection_backed_up_still_leaves_the_GoAway_for_a_peer_that_reads_later()
    {
        CancellationToken ct = Timeout();
        var tiny = new PipeOptions(pauseWriterThreshold: 4096, resumeWriterThreshold: 2048, useSynchronizationContext: false);
        (YamuxSession session, YamuxRawPeer peer) = Start(true, pipeOptions: tiny);
        IMuxedStream stream = await session.OpenStreamAsync(ct);
        _ = stream.Output.WriteAsync(new byte[200_000], ct).AsTask(); // more than the connection takes: the write loop blocks
        while (((YamuxStream)stream).SendWindow == Window)
        {
            await Task.Delay(1, ct); // until the first frame is in the connection (and the flush behind it waits)
        }
        await Task.Delay(50, ct);

        session.Abort(new InvalidOperationException("give up"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.Completion.WaitAsync(ct));
        List<YamuxHeader> frames = await peer.ReadToEndAsync(ct);
        Assert.Equal(YamuxHeader.GoAway(YamuxGoAwayCode.InternalError), frames[^1]);
    }

    [Fact]
    public async Task A_local_reset_sends_RST_and_fails_both_directions()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.Syn, 3), "abc"u8.ToArray());
        IMuxedStream stream = await session.AcceptStreamAsync(ct);
        stream.Reset();
        (YamuxHeader rst, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.Rst, 0), rst);
        var read = await Assert.ThrowsAsync<YamuxStreamResetException>(async () => await stream.Input.ReadAsync(ct));
        Assert.False(read.IsRemote);
        Assert.Throws<YamuxStreamResetException>(() => stream.Output.GetSpan());
        // Frames still in flight for the reset stream are ignored.
        await peer.SendAsync(YamuxHeader.Data(1, YamuxFlags.None, 3), "def"u8.ToArray());
        Assert.Empty(await peer.BarrierAsync(1, ct));
    }

    [Fact]
    public async Task A_local_reset_while_a_data_frame_is_still_arriving_discards_the_rest_and_the_session_continues()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(false);
        await using var owned = session;

        // A 1000-byte frame of which only the first 100 bytes arrived: the read loop is in the middle of its payload.
        byte[] head = new byte[YamuxHeader.Size + 100];
        Assert.True(YamuxFrameCodec.TryWriteHeader(head, YamuxHeader.Data(1, YamuxFlags.Syn, 1000), out _));
        await peer.SendRawAsync(head);
        IMuxedStream stream = await session.AcceptStreamAsync(ct);
        Assert.Equal(100, (await ReadExactlyAsync(stream, 100, ct)).Length);
        stream.Reset();
        (YamuxHeader rst, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.Rst, 0), rst);

        // The rest of the frame arrives after the reset took the stream out of the table: it is discarded, not
        // written into the stream's completed pipe (which failed the read loop: GoAway(internal error) for everyone).
        await peer.SendRawAsync(new byte[900]);
        Assert.Empty(await peer.BarrierAsync(1, ct));
        await peer.SendAsync(YamuxHeader.Data(3, YamuxFlags.Syn, 2), "ok"u8.ToArray());
        IMuxedStream next = await session.AcceptStreamAsync(ct);
        Assert.Equal("ok"u8.ToArray(), await ReadExactlyAsync(next, 2, ct));
        Assert.Equal(YamuxSessionEndReason.None, session.EndReason);
    }

    [Fact]
    public async Task Output_complete_with_an_exception_resets_the_stream()
    {
        CancellationToken ct = Timeout();
        (YamuxSession session, YamuxRawPeer peer) = Start(true);
        await using var owned = session;

        IMuxedStream stream = await session.OpenStreamAsync(ct);
        await peer.ReadUntilAsync(_ => true, ct);
        stream.Output.Complete(new InvalidOperationException("handler failed"));
        (YamuxHeader rst, _) = await peer.ReadUntilAsync(_ => true, ct);
        Assert.Equal(YamuxHeader.WindowUpdate(1, YamuxFlags.Rst, 0), rst);
    }

    [Fact]
    public async Task A_peer_that_floods_pings_without_reading_overflows_the_output_queue()
    {
        CancellationToken ct = Timeout();
        var tiny = new PipeOptions(pauseWriterThreshold: 64, resumeWriterThreshold: 32, useSynchronizationContext: false);
        (YamuxSession session, YamuxRawPeer peer) = Start(false, new YamuxOptions
        {
            MaxQueuedControlFrames = 16,
            KeepAliveInterval = System.Threading.Timeout.InfiniteTimeSpan,
            RttMeasurementInterval = System.Threading.Timeout.InfiniteTimeSpan,
        }, tiny);
        await using var owned = session;

        var flood = new ArrayBufferWriter<byte>();
        for (uint i = 0; i < 500; i++)
        {
            YamuxFrameCodec.WriteHeader(flood, YamuxHeader.Ping(YamuxFlags.Syn, i));
        }
        await peer.SendRawAsync(flood.WrittenSpan.ToArray()); // and never read

        var error = await Assert.ThrowsAsync<YamuxSessionClosedException>(() => session.Completion.WaitAsync(ct));
        Assert.Equal(YamuxSessionEndReason.OutputQueueOverflow, error.Reason);
    }
}
