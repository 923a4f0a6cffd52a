using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Mesh.Multistream;
using Mesh.TestKit;
using Mesh.Transport.Muxing;

namespace Mesh.Transport.Tests.Muxing;

/// <summary>
/// Behaviour every <see cref="IStreamMuxer"/> must have, over in-memory duplex pipes (rust-libp2p's muxer test-harness:
/// close implies flush, read after close, ...). A muxer's test class derives from this and supplies the factory.
/// Every test is bounded by a 30 s cancellation token so a bug fails instead of hanging.
/// </summary>
public abstract class StreamMuxerConformanceTests
{
    protected static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The muxer under test.</summary>
    protected abstract IStreamMuxer CreateMuxer();

    /// <summary>
    /// The connection the muxers run over: in-memory pipes by default; a subclass may put a secure channel (or a real
    /// socket) in between to run the whole suite over it.
    /// </summary>
    protected virtual (IDuplexPipe Dialer, IDuplexPipe Listener) CreateConnection() => DuplexPipePair.Create();

    /// <summary>A dialer and a listener connected through <see cref="CreateConnection"/>.</summary>
    protected (IMuxedConnection Dialer, IMuxedConnection Listener) Connect(IStreamMuxer? muxer = null)
    {
        muxer ??= CreateMuxer();
        (IDuplexPipe left, IDuplexPipe right) = CreateConnection();
        return (muxer.Create(left, isInitiator: true), muxer.Create(right, isInitiator: false));
    }

    protected static CancellationToken Timeout() => new CancellationTokenSource(TestTimeout).Token;

    /// <summary>Opens a stream, retrying while a per-connection limit (e.g. the ACK backlog) is hit.</summary>
    protected static async Task<IMuxedStream> OpenWithRetryAsync(IMuxedConnection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await connection.OpenStreamAsync(cancellationToken);
            }
            catch (StreamLimitExceededException)
            {
                await Task.Delay(1, cancellationToken);
            }
        }
    }

    protected static async Task WriteAsync(IMuxedStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken, int chunk = 64 * 1024)
    {
        while (!data.IsEmpty)
        {
            int n = Math.Min(chunk, data.Length);
            FlushResult result = await stream.Output.WriteAsync(data[..n], cancellationToken);
            Assert.False(result.IsCompleted, "the peer stopped reading");
            data = data[n..];
        }
    }

    protected static async Task<byte[]> ReadToEndAsync(IMuxedStream stream, CancellationToken cancellationToken)
    {
        var collected = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult result = await stream.Input.ReadAsync(cancellationToken);
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

    protected static async Task<byte[]> ReadExactlyAsync(IMuxedStream stream, int count, CancellationToken cancellationToken)
    {
        ReadResult result = await stream.Input.ReadAtLeastAsync(count, cancellationToken);
        Assert.True(result.Buffer.Length >= count, "stream ended early");
        byte[] data = result.Buffer.Slice(0, count).ToArray();
        stream.Input.AdvanceTo(result.Buffer.GetPosition(count));
        return data;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task Exchanges_data_both_ways_on_an_opened_stream()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        Assert.True(opened.IsInitiator);
        await WriteAsync(opened, "hello"u8.ToArray(), ct);
        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        Assert.False(accepted.IsInitiator);
        Assert.Equal(opened.Id, accepted.Id);
        Assert.Equal("hello"u8.ToArray(), await ReadExactlyAsync(accepted, 5, ct));
        await WriteAsync(accepted, "world"u8.ToArray(), ct);
        Assert.Equal("world"u8.ToArray(), await ReadExactlyAsync(opened, 5, ct));
    }

    [Fact]
    public async Task Close_implies_flush()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;
        byte[] payload = RandomBytes(300_000, 1);

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        // Written without an explicit flush, then completed: completing must send everything, then FIN.
        payload.CopyTo(opened.Output.GetSpan(payload.Length));
        opened.Output.Advance(payload.Length);
        await opened.Output.CompleteAsync();

        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        Assert.Equal(payload, await ReadToEndAsync(accepted, ct));
    }

    [Fact]
    public async Task Read_after_close()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        await WriteAsync(opened, "request"u8.ToArray(), ct);
        await opened.Output.CompleteAsync();

        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        Assert.Equal("request"u8.ToArray(), await ReadToEndAsync(accepted, ct));
        await WriteAsync(accepted, "response"u8.ToArray(), ct);
        await accepted.DisposeAsync(); // closes the listener's side fully; what it wrote stays readable

        Assert.Equal("response"u8.ToArray(), await ReadToEndAsync(opened, ct));
        // Reading again after the end keeps reporting the end.
        ReadResult again = await opened.Input.ReadAsync(ct);
        Assert.True(again.IsCompleted);
        Assert.True(again.Buffer.IsEmpty);
    }

    [Fact]
    public async Task Half_close_from_the_opener_leaves_the_other_direction_working()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        await opened.Output.CompleteAsync();
        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        Assert.Empty(await ReadToEndAsync(accepted, ct));

        byte[] payload = RandomBytes(1_000_000, 2);
        Task writing = Task.Run(async () =>
        {
            await WriteAsync(accepted, payload, ct);
            await accepted.Output.CompleteAsync();
        }, ct);
        Assert.Equal(payload, await ReadToEndAsync(opened, ct));
        await writing;
    }

    [Fact]
    public async Task Half_close_from_the_acceptor_leaves_the_other_direction_working()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        await WriteAsync(opened, new byte[] { 1 }, ct);
        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        Assert.Equal(new byte[] { 1 }, await ReadExactlyAsync(accepted, 1, ct));
        await accepted.Output.CompleteAsync();
        Assert.Empty(await ReadToEndAsync(opened, ct));

        byte[] payload = RandomBytes(1_000_000, 3);
        Task writing = Task.Run(async () =>
        {
            await WriteAsync(opened, payload, ct);
            await opened.Output.CompleteAsync();
        }, ct);
        Assert.Equal(payload, await ReadToEndAsync(accepted, ct));
        await writing;
    }

    [Fact]
    public async Task A_slow_reader_blocks_a_fast_writer_which_resumes_with_all_data_intact()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;
        // Far more than every buffer on the way (stream window, send buffer, connection pipe) can hold.
        byte[] payload = RandomBytes(16 * 1024 * 1024, 4);

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        long written = 0;
        Task writing = Task.Run(async () =>
        {
            for (int offset = 0; offset < payload.Length; offset += 32 * 1024)
            {
                await opened.Output.WriteAsync(payload.AsMemory(offset, 32 * 1024), ct);
                Interlocked.Add(ref written, 32 * 1024);
            }
            await opened.Output.CompleteAsync();
        }, ct);

        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        // Nobody reads: the writer must stall well before the end (checked once progress stops).
        long previous = -1;
        while (Interlocked.Read(ref written) != previous)
        {
            previous = Interlocked.Read(ref written);
            await Task.Delay(100, ct);
        }
        Assert.False(writing.IsCompleted, "the writer finished although nobody read: no backpressure");
        Assert.True(previous < payload.Length / 2, $"the writer got {previous} bytes out with nobody reading");

        // Now read slowly; the writer resumes and everything arrives in order.
        var received = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult result = await accepted.Input.ReadAsync(ct);
            ReadOnlySequence<byte> take = result.Buffer.Slice(0, Math.Min(result.Buffer.Length, 48 * 1024));
            foreach (ReadOnlyMemory<byte> segment in take)
            {
                received.Write(segment.Span);
            }
            accepted.Input.AdvanceTo(take.End);
            if (result.IsCompleted && take.End.Equals(result.Buffer.End))
            {
                break;
            }
        }
        await writing;
        Assert.True(payload.AsSpan().SequenceEqual(received.WrittenSpan));
    }

    [Fact]
    public async Task Reset_by_the_opener_fails_reads_and_writes_on_both_sides()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        await WriteAsync(opened, new byte[] { 7 }, ct);
        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        Assert.Equal(new byte[] { 7 }, await ReadExactlyAsync(accepted, 1, ct));

        ValueTask<ReadResult> pendingRead = accepted.Input.ReadAsync(ct);
        opened.Reset();

        var remote = await Assert.ThrowsAnyAsync<StreamResetException>(async () => await pendingRead);
        Assert.True(remote.IsRemote);
        await Assert.ThrowsAnyAsync<StreamResetException>(async () => await accepted.Input.ReadAsync(ct));
        await Assert.ThrowsAnyAsync<StreamResetException>(async () => await WriteAsync(accepted, new byte[100], ct));

        var local = await Assert.ThrowsAnyAsync<StreamResetException>(async () => await opened.Input.ReadAsync(ct));
        Assert.False(local.IsRemote);
        await Assert.ThrowsAnyAsync<StreamResetException>(async () => await WriteAsync(opened, new byte[100], ct));

        // The connection is unaffected.
        IMuxedStream next = await dialer.OpenStreamAsync(ct);
        await WriteAsync(next, new byte[] { 8 }, ct);
        IMuxedStream nextAccepted = await listener.AcceptStreamAsync(ct);
        Assert.Equal(new byte[] { 8 }, await ReadExactlyAsync(nextAccepted, 1, ct));
    }

    [Fact]
    public async Task Reset_by_the_acceptor_fails_a_writer_blocked_on_the_window()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        Task writing = Task.Run(() => WriteAsync(opened, new byte[64 * 1024 * 1024], ct), ct);
        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        await ReadExactlyAsync(accepted, 1000, ct);
        accepted.Reset();

        var error = await Assert.ThrowsAnyAsync<StreamResetException>(() => writing);
        Assert.True(error.IsRemote);
        await Assert.ThrowsAnyAsync<StreamResetException>(async () => await opened.Input.ReadAsync(ct));
        await Assert.ThrowsAnyAsync<StreamResetException>(async () => await accepted.Input.ReadAsync(ct));
    }

    [Fact]
    public async Task Graceful_close_refuses_new_streams_and_lets_open_ones_finish()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        await WriteAsync(opened, "before close"u8.ToArray(), ct);
        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);

        ValueTask closing = listener.CloseAsync(ct);
        Assert.False(closing.IsCompleted, "close must wait for the open stream");
        await Assert.ThrowsAnyAsync<MuxedConnectionClosedException>(async () => await listener.OpenStreamAsync(ct));
        await Assert.ThrowsAnyAsync<MuxedConnectionClosedException>(async () => await listener.AcceptStreamAsync(ct));

        // The open stream still works both ways until both sides close it.
        Assert.Equal("before close"u8.ToArray(), await ReadExactlyAsync(accepted, 12, ct));
        await WriteAsync(accepted, "reply"u8.ToArray(), ct);
        await accepted.Output.CompleteAsync();
        Assert.Equal("reply"u8.ToArray(), await ReadToEndAsync(opened, ct));
        await opened.Output.CompleteAsync();
        Assert.Empty(await ReadToEndAsync(accepted, ct));

        await closing;
        await listener.Completion;
        await dialer.Completion.WaitAsync(ct); // the dialer sees the end too
        await Assert.ThrowsAnyAsync<MuxedConnectionClosedException>(async () => await dialer.OpenStreamAsync(ct));
    }

    [Fact]
    public async Task Ping_measures_a_round_trip_from_both_sides()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;

        TimeSpan a = await dialer.PingAsync(ct);
        TimeSpan b = await listener.PingAsync(ct);
        Assert.True(a > TimeSpan.Zero);
        Assert.True(b > TimeSpan.Zero);
        TimeSpan[] concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => dialer.PingAsync(ct).AsTask()));
        Assert.All(concurrent, rtt => Assert.True(rtt > TimeSpan.Zero));
    }

    [Fact]
    public async Task A_thousand_concurrent_streams_each_carry_random_sized_data_intact()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;
        const int Streams = 1000;

        Task echoing = Task.Run(async () =>
        {
            var echoes = new List<Task>(Streams);
            for (int i = 0; i < Streams; i++)
            {
                IMuxedStream stream = await listener.AcceptStreamAsync(ct);
                echoes.Add(Task.Run(async () =>
                {
                    byte[] request = await ReadToEndAsync(stream, ct);
                    await WriteAsync(stream, SHA256.HashData(request), ct);
                    await WriteAsync(stream, request, ct);
                    await stream.DisposeAsync();
                }, ct));
            }
            await Task.WhenAll(echoes);
        }, ct);

        var random = new Random(5);
        int[] sizes = Enumerable.Range(0, Streams).Select(_ => random.Next(0, 64 * 1024)).ToArray();
        await Task.WhenAll(Enumerable.Range(0, Streams).Select(i => Task.Run(async () =>
        {
            byte[] payload = RandomBytes(sizes[i], 1000 + i);
            IMuxedStream stream = await OpenWithRetryAsync(dialer, ct);
            await WriteAsync(stream, payload, ct, chunk: 7000);
            await stream.Output.CompleteAsync();
            byte[] response = await ReadToEndAsync(stream, ct);
            Assert.Equal(SHA256.HashData(payload), response[..32]);
            Assert.Equal(payload, response[32..]);
            await stream.DisposeAsync();
        }, ct)));
        await echoing;
    }

    [Fact]
    public async Task Mixed_closes_and_resets_from_both_sides_leave_no_stream_behind()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;
        const int Streams = 300;
        var random = new Random(12);
        int[] behaviour = Enumerable.Range(0, Streams).Select(_ => random.Next(5)).ToArray();
        int[] sizes = Enumerable.Range(0, Streams).Select(_ => random.Next(1, 200_000)).ToArray();

        // The behaviour index travels in the first byte so the acceptor knows its part.
        Task serving = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            for (int i = 0; i < Streams; i++)
            {
                IMuxedStream stream = await listener.AcceptStreamAsync(ct);
                handlers.Add(Task.Run(() => AcceptorAsync(stream, ct), ct));
            }
            await Task.WhenAll(handlers);
        }, ct);
        await Task.WhenAll(Enumerable.Range(0, Streams).Select(i => Task.Run(() => OpenerAsync(dialer, (byte)behaviour[i], sizes[i], ct), ct)));
        await serving;

        // Every stream is closed or reset on both sides: a graceful close has nothing to wait for.
        await Task.WhenAll(dialer.CloseAsync(ct).AsTask(), listener.CloseAsync(ct).AsTask());
        await dialer.Completion.WaitAsync(ct);
        await listener.Completion.WaitAsync(ct);
    }

    private static async Task OpenerAsync(IMuxedConnection connection, byte behaviour, int size, CancellationToken ct)
    {
        IMuxedStream stream = await OpenWithRetryAsync(connection, ct);
        byte[] payload = new byte[size];
        payload[0] = behaviour;
        try
        {
            switch (behaviour)
            {
                case 0: // graceful: request, FIN, read the echo to the end
                    await WriteAsync(stream, payload, ct);
                    await stream.Output.CompleteAsync();
                    Assert.Equal(size, (await ReadToEndAsync(stream, ct)).Length);
                    break;
                case 1: // the opener resets halfway (once the acceptor has the stream: a stream reset before it was
                        // ever announced is, correctly, never seen by the peer)
                    await WriteAsync(stream, payload.AsMemory(0, size / 2 + 1), ct);
                    await ReadExactlyAsync(stream, 1, ct);
                    stream.Reset();
                    break;
                case 2: // the acceptor resets after the first bytes; the opener sees it on read or write
                    await WriteAsync(stream, payload.AsMemory(0, 1), ct);
                    await Assert.ThrowsAnyAsync<StreamResetException>(async () =>
                    {
                        await ReadToEndAsync(stream, ct);
                        await WriteAsync(stream, payload, ct);
                    });
                    break;
                case 3: // the opener stops reading before the reply and closes
                    await WriteAsync(stream, payload, ct);
                    await stream.DisposeAsync();
                    break;
                default: // the acceptor closes both directions at once while the opener still writes
                    await WriteAsync(stream, payload, ct);
                    await stream.Output.CompleteAsync();
                    Assert.Empty(await ReadToEndAsync(stream, ct));
                    break;
            }
        }
        catch (StreamResetException) when (behaviour is 1 or 2)
        {
            // Expected for the reset behaviours, whichever side notices first.
        }
        await stream.DisposeAsync();
    }

    private static async Task AcceptorAsync(IMuxedStream stream, CancellationToken ct)
    {
        byte behaviour = (await ReadExactlyAsync(stream, 1, ct))[0];
        try
        {
            switch (behaviour)
            {
                case 0:
                    byte[] rest = await ReadToEndAsync(stream, ct);
                    await WriteAsync(stream, new byte[rest.Length + 1], ct);
                    await stream.Output.CompleteAsync();
                    break;
                case 1:
                    await WriteAsync(stream, new byte[1], ct);
                    await Assert.ThrowsAnyAsync<StreamResetException>(() => ReadToEndAsync(stream, ct));
                    break;
                case 2:
                    stream.Reset();
                    break;
                case 3:
                    await ReadToEndAsync(stream, ct);
                    await WriteAsync(stream, new byte[50_000], ct); // nobody reads it: credited back, not stuck
                    await stream.Output.CompleteAsync();
                    break;
                default:
                    await stream.DisposeAsync(); // abandon Input, FIN Output
                    break;
            }
        }
        catch (StreamResetException) when (behaviour is 1 or 2)
        {
        }
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task Sixty_four_MiB_over_one_stream_arrive_intact()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var d = dialer;
        await using var l = listener;
        const int Size = 64 * 1024 * 1024;
        byte[] block = RandomBytes(1024 * 1024, 6);

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        Task writing = Task.Run(async () =>
        {
            for (int i = 0; i < Size / block.Length; i++)
            {
                await WriteAsync(opened, block, ct);
            }
            await opened.Output.CompleteAsync();
        }, ct);

        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        long total = 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        while (true)
        {
            ReadResult result = await accepted.Input.ReadAsync(ct);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                hash.AppendData(segment.Span);
            }
            total += result.Buffer.Length;
            accepted.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }
        await writing;
        Assert.Equal(Size, total);
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < Size / block.Length; i++)
        {
            expected.AppendData(block);
        }
        Assert.Equal(expected.GetHashAndReset(), hash.GetHashAndReset());
    }

    [Fact]
    public async Task Garbage_from_the_peer_ends_the_connection_with_a_typed_error_and_the_peer_sees_the_end()
    {
        CancellationToken ct = Timeout();
        IStreamMuxer muxer = CreateMuxer();
        // dialer <-> relay <-> listener, so the test can inject bytes into what the listener reads.
        (IDuplexPipe dialerEnd, IDuplexPipe relayA) = DuplexPipePair.Create();
        (IDuplexPipe relayB, IDuplexPipe listenerEnd) = DuplexPipePair.Create();
        var injectLock = new SemaphoreSlim(1, 1);
        Task toListener = Relay(relayA.Input, relayB.Output, injectLock, ct);
        Task toDialer = Relay(relayB.Input, relayA.Output, null, ct);
        IMuxedConnection dialer = muxer.Create(dialerEnd, isInitiator: true);
        IMuxedConnection listener = muxer.Create(listenerEnd, isInitiator: false);
        await using var d = dialer;
        await using var l = listener;

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        await WriteAsync(opened, "ok"u8.ToArray(), ct);
        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        Assert.Equal("ok"u8.ToArray(), await ReadExactlyAsync(accepted, 2, ct));
        ValueTask<ReadResult> pendingRead = accepted.Input.ReadAsync(ct);

        await injectLock.WaitAsync(ct); // between frames: the relay is idle
        await relayB.Output.WriteAsync(Enumerable.Repeat((byte)0xEE, 64).ToArray(), ct);
        injectLock.Release();

        await Assert.ThrowsAnyAsync<MeshProtocolException>(() => listener.Completion.WaitAsync(ct));
        await Assert.ThrowsAnyAsync<IOException>(async () => await pendingRead);
        // The dialer is told (a GoAway, then the end of the connection) and ends as well.
        await Task.WhenAny(dialer.Completion).WaitAsync(ct);
        await Assert.ThrowsAnyAsync<IOException>(async () => await opened.Input.ReadAsync(ct));
        await Assert.ThrowsAnyAsync<MuxedConnectionClosedException>(async () => await dialer.OpenStreamAsync(ct));
        await Task.WhenAll(toListener, toDialer).WaitAsync(ct);
    }

    private static async Task Relay(PipeReader from, PipeWriter to, SemaphoreSlim? gate, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                ReadResult result = await from.ReadAsync(ct);
                if (gate is not null)
                {
                    await gate.WaitAsync(ct);
                }
                try
                {
                    foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                    {
                        await to.WriteAsync(segment, ct);
                    }
                }
                finally
                {
                    gate?.Release();
                }
                from.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The reading side was completed by the muxer that owns it.
        }
        finally
        {
            await to.CompleteAsync();
        }
    }

    [Fact]
    public async Task Abort_resets_open_streams_on_both_sides()
    {
        CancellationToken ct = Timeout();
        (IMuxedConnection dialer, IMuxedConnection listener) = Connect();
        await using var l = listener;

        IMuxedStream opened = await dialer.OpenStreamAsync(ct);
        await WriteAsync(opened, new byte[] { 1 }, ct);
        IMuxedStream accepted = await listener.AcceptStreamAsync(ct);
        await ReadExactlyAsync(accepted, 1, ct);
        ValueTask<ReadResult> localRead = opened.Input.ReadAsync(ct);
        ValueTask<ReadResult> remoteRead = accepted.Input.ReadAsync(ct);

        dialer.Abort();
        await dialer.Completion.WaitAsync(ct);
        await Assert.ThrowsAnyAsync<IOException>(async () => await localRead);
        await Assert.ThrowsAnyAsync<IOException>(async () => await remoteRead);
        await Task.WhenAny(listener.Completion).WaitAsync(ct);
        await Assert.ThrowsAnyAsync<MuxedConnectionClosedException>(async () => await dialer.OpenStreamAsync(ct));
        await Assert.ThrowsAnyAsync<MuxedConnectionClosedException>(async () => await listener.AcceptStreamAsync(ct));
        await dialer.DisposeAsync();
    }
}
