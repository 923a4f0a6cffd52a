using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Mesh.Transport.Tcp;

namespace Mesh.Transport.Tests.Tcp;

public sealed class TcpConnectionTests
{
    private static CancellationToken Timeout(out CancellationTokenSource cts)
    {
        cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts.Token;
    }

    private static async Task<(TcpConnection Client, TcpConnection Server, TcpConnectionListener Listener)> ConnectPairAsync(
        TcpTransport transport, CancellationToken ct)
    {
        TcpConnectionListener listener = transport.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        ValueTask<TcpConnection?> accept = listener.AcceptAsync(ct);
        TcpConnection client = await transport.ConnectAsync(listener.LocalEndPoint, ct);
        TcpConnection server = (await accept)!;
        return (client, server, listener);
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader reader, CancellationToken ct)
    {
        var sink = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult r = await reader.ReadAsync(ct);
            foreach (ReadOnlyMemory<byte> m in r.Buffer)
            {
                sink.Write(m.Span);
            }
            reader.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted)
            {
                return sink.WrittenSpan.ToArray();
            }
        }
    }

    private static async Task WriteChunkedAsync(PipeWriter writer, byte[] data, int chunk, CancellationToken ct)
    {
        for (int i = 0; i < data.Length; i += chunk)
        {
            int n = Math.Min(chunk, data.Length - i);
            await writer.WriteAsync(data.AsMemory(i, n), ct);
        }
    }

    [Fact]
    public async Task Bytes_cross_both_ways_intact_and_half_close_keeps_the_other_direction_open()
    {
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using var _ = cts;
        var transport = new TcpTransport();
        var (client, server, listener) = await ConnectPairAsync(transport, ct);
        await using var l = listener;
        byte[] up = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        byte[] down = RandomNumberGenerator.GetBytes(1024 * 1024 + 5);

        Task<byte[]> serverRead = ReadToEndAsync(server.Input, ct);
        await WriteChunkedAsync(client.Output, up, 100_000, ct);
        await client.Output.CompleteAsync(); // FIN: the server's input completes, its output stays usable
        Assert.Equal(SHA256.HashData(up), SHA256.HashData(await serverRead));

        Task<byte[]> clientRead = ReadToEndAsync(client.Input, ct);
        await WriteChunkedAsync(server.Output, down, 7_000, ct);
        await server.Output.CompleteAsync();
        Assert.Equal(SHA256.HashData(down), SHA256.HashData(await clientRead));

        // Both directions ended: both connections close their sockets by themselves.
        await client.Completion.WaitAsync(ct);
        await server.Completion.WaitAsync(ct);
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Endpoints_are_reported()
    {
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using var _ = cts;
        var (client, server, listener) = await ConnectPairAsync(new TcpTransport(), ct);
        await using var l = listener;
        await using var c = client;
        await using var s = server;
        Assert.NotEqual(0, listener.LocalEndPoint.Port);
        Assert.Equal(listener.LocalEndPoint, client.RemoteEndPoint);
        Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
        Assert.Equal(IPAddress.Loopback, server.LocalEndPoint.Address);
    }

    [Fact]
    public async Task A_peer_reset_surfaces_as_ConnectionResetException()
    {
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using var _ = cts;
        var transport = new TcpTransport();
        await using TcpConnectionListener listener = transport.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        ValueTask<TcpConnection?> accept = listener.AcceptAsync(ct);
        await raw.ConnectAsync(listener.LocalEndPoint, ct);
        await using TcpConnection server = (await accept)!;
        raw.LingerState = new LingerOption(true, 0);
        raw.Close(); // RST

        await Assert.ThrowsAsync<ConnectionResetException>(async () => await ReadToEndAsync(server.Input, ct));
        await server.Completion.WaitAsync(ct);
    }

    [Fact]
    public async Task Abort_fails_a_pending_read_with_ConnectionAbortedException_carrying_the_reason()
    {
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using var _ = cts;
        var (client, server, listener) = await ConnectPairAsync(new TcpTransport(), ct);
        await using var l = listener;
        await using var s = server;
        ValueTask<ReadResult> pending = client.Input.ReadAsync(ct);
        var reason = new InvalidOperationException("limit hit");
        client.Abort(reason);
        var ex = await Assert.ThrowsAsync<ConnectionAbortedException>(async () => await pending);
        Assert.Same(reason, ex.InnerException);
        await client.Completion.WaitAsync(ct);
        // The peer sees the close (FIN or RST) rather than hanging.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            byte[] rest = await ReadToEndAsync(server.Input, ct);
            throw new EndOfStreamException($"closed after {rest.Length} bytes");
        });
    }

    [Fact]
    public async Task A_slow_reader_pushes_back_on_the_writer_and_everything_still_arrives()
    {
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using var _ = cts;
        var transport = new TcpTransport(new TcpTransportOptions { MaxBufferedReceiveBytes = 64 * 1024, MaxBufferedSendBytes = 64 * 1024 });
        var (client, server, listener) = await ConnectPairAsync(transport, ct);
        await using var l = listener;
        byte[] chunk = RandomNumberGenerator.GetBytes(32 * 1024);
        long written = 0;
        bool sawBackpressure = false;
        // Bounded: kernel buffers on loopback are a few MiB at most.
        while (written < 256L * 1024 * 1024)
        {
            chunk.CopyTo(client.Output.GetSpan(chunk.Length));
            client.Output.Advance(chunk.Length);
            written += chunk.Length;
            ValueTask<FlushResult> flush = client.Output.FlushAsync(ct);
            if (!flush.IsCompleted)
            {
                sawBackpressure = true;
                Task<long> drained = DrainAsync(server.Input, ct);
                await flush;
                await client.Output.CompleteAsync();
                Assert.Equal(written, await drained);
                break;
            }
        }
        Assert.True(sawBackpressure, "the writer never saw backpressure");
        await client.DisposeAsync();
        await server.DisposeAsync();

        static async Task<long> DrainAsync(PipeReader reader, CancellationToken ct)
        {
            long total = 0;
            while (true)
            {
                ReadResult r = await reader.ReadAsync(ct);
                total += r.Buffer.Length;
                reader.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted)
                {
                    return total;
                }
            }
        }
    }

    [Fact]
    public async Task Dispose_flushes_buffered_output_then_sends_fin()
    {
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using var _ = cts;
        var (client, server, listener) = await ConnectPairAsync(new TcpTransport(), ct);
        await using var l = listener;
        await using var s = server;
        byte[] data = RandomNumberGenerator.GetBytes(200_000);
        await client.Output.WriteAsync(data, ct);
        await client.DisposeAsync();
        Assert.Equal(data, await ReadToEndAsync(server.Input, ct));
    }

    [Fact]
    public async Task Listening_on_a_taken_port_throws_AddressInUseException()
    {
        var transport = new TcpTransport();
        await using TcpConnectionListener first = transport.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        var ex = Assert.Throws<AddressInUseException>(() => transport.Listen(first.LocalEndPoint));
        Assert.Contains(first.LocalEndPoint.Port.ToString(), ex.Message);
    }

    [Fact]
    public async Task Dialing_a_closed_port_is_refused()
    {
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using var _ = cts;
        var transport = new TcpTransport();
        IPEndPoint closed;
        await using (TcpConnectionListener l = transport.Listen(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            closed = l.LocalEndPoint;
        }
        var ex = await Assert.ThrowsAsync<DialException>(async () => await transport.ConnectAsync(closed, ct));
        Assert.Equal(DialFailure.Refused, ex.Reason);
    }

    [Fact]
    public async Task Dialing_with_a_cancelled_token_throws_OperationCanceledException()
    {
        var transport = new TcpTransport();
        await using TcpConnectionListener l = transport.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await transport.ConnectAsync(l.LocalEndPoint, cts.Token));
    }

    [Fact]
    public async Task Disposing_the_listener_ends_AcceptAsync_with_null()
    {
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using var _ = cts;
        TcpConnectionListener l = new TcpTransport().Listen(new IPEndPoint(IPAddress.Loopback, 0));
        ValueTask<TcpConnection?> accept = l.AcceptAsync(ct);
        await l.DisposeAsync();
        Assert.Null(await accept);
    }

    [Fact]
    public async Task Ipv6_loopback_listens_and_connects_when_the_machine_has_it()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Skip("IPv6 is not supported on this machine.");
        }
        CancellationToken ct = Timeout(out CancellationTokenSource cts);
        using var _ = cts;
        var transport = new TcpTransport();
        TcpConnectionListener listener;
        try
        {
            listener = transport.Listen(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        }
        catch (IOException ex)
        {
            Assert.Skip("::1 is not configured here: " + ex.Message);
            return;
        }
        await using var l = listener;
        ValueTask<TcpConnection?> accept = l.AcceptAsync(ct);
        await using TcpConnection client = await transport.ConnectAsync(l.LocalEndPoint, ct);
        await using TcpConnection server = (await accept)!;
        await client.Output.WriteAsync(new byte[] { 1, 2, 3 }, ct);
        ReadResult r = await server.Input.ReadAtLeastAsync(3, ct);
        Assert.Equal(new byte[] { 1, 2, 3 }, r.Buffer.Slice(0, 3).ToArray());
        server.Input.AdvanceTo(r.Buffer.End);
    }

    [Fact]
    public void Unspecified_addresses_expand_to_concrete_ones_with_loopback_first()
    {
        IReadOnlyList<IPAddress> v4 = TcpTransport.ExpandUnspecified(IPAddress.Any);
        Assert.NotEmpty(v4);
        Assert.Equal(IPAddress.Loopback, v4[0]);
        Assert.DoesNotContain(IPAddress.Any, v4);
        Assert.All(v4, a => Assert.Equal(AddressFamily.InterNetwork, a.AddressFamily));
        Assert.Equal([IPAddress.Parse("127.0.0.1")], TcpTransport.ExpandUnspecified(IPAddress.Parse("127.0.0.1")));
    }
}
