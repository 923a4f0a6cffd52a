using System.Net;
using System.Net.Sockets;
using System.Text;
using Mesh.Transport.Host;

namespace Mesh.Transport.Tests.Host;

/// <summary>
/// Peers that misbehave during the connection upgrade are cut off with a typed error and a log line, and the host
/// keeps serving well-behaved peers.
/// </summary>
public sealed class HandshakeAdversaryTests
{
    private static byte[] MssMessage(string text)
    {
        byte[] body = Encoding.UTF8.GetBytes(text + "\n");
        return [(byte)body.Length, .. body];
    }

    private static async Task<Socket> ConnectRawAsync(MeshHost host, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        host.ListenAddresses[0].TryGetIPEndPoint(out IPEndPoint? endPoint);
        await socket.ConnectAsync(endPoint!, ct);
        return socket;
    }

    /// <summary>Reads until the server closes (FIN or RST); returns the bytes it sent before.</summary>
    private static async Task<int> ReadUntilClosedAsync(Socket socket, CancellationToken ct)
    {
        byte[] buffer = new byte[4096];
        int total = 0;
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (n == 0)
                {
                    return total;
                }
                total += n;
            }
        }
        catch (SocketException)
        {
            return total;
        }
    }

    private static async Task AssertStillServesAsync(MeshHost server, CancellationToken ct)
    {
        await using MeshHost good = await TestHosts.StartAsync();
        MeshConnection c = await good.ConnectAsync(TestHosts.AddressOf(server), ct);
        Assert.True(await good.Ping.PingAsync(c, ct) > TimeSpan.Zero);
    }

    [Fact]
    public async Task Garbage_instead_of_multistream_select_is_cut_off()
    {
        CancellationToken ct = TestHosts.Timeout();
        var logs = new LogCapture();
        await using MeshHost server = await TestHosts.StartAsync(logs);
        using Socket raw = await ConnectRawAsync(server, ct);
        byte[] garbage = new byte[200];
        new Random(7).NextBytes(garbage);
        garbage[0] = 0x05; // a short, valid-looking length so the reader sees a bad message rather than waiting
        await raw.SendAsync(garbage, SocketFlags.None, ct);
        await ReadUntilClosedAsync(raw, ct);
        await TestHosts.EventuallyAsync(() => logs.Has(203, m => m.Contains("SecurityNegotiation")), ct, "handshake failure logged");
        await AssertStillServesAsync(server, ct);
    }

    [Fact]
    public async Task An_oversized_multistream_frame_is_cut_off_before_it_is_buffered()
    {
        CancellationToken ct = TestHosts.Timeout();
        var logs = new LogCapture();
        await using MeshHost server = await TestHosts.StartAsync(logs);
        using Socket raw = await ConnectRawAsync(server, ct);
        // uvarint 2^21-1: far beyond any multistream-select cap; no body follows.
        await raw.SendAsync(new byte[] { 0xff, 0xff, 0x7f }, SocketFlags.None, ct);
        await ReadUntilClosedAsync(raw, ct);
        await TestHosts.EventuallyAsync(() => logs.Has(203, m => m.Contains("ProtocolViolation")), ct, "oversized frame logged");
        await AssertStillServesAsync(server, ct);
    }

    [Fact]
    public async Task An_unknown_security_protocol_is_refused_and_the_connection_closed()
    {
        CancellationToken ct = TestHosts.Timeout();
        var logs = new LogCapture();
        // The default handshake timeout: the refusal comes from the peer's end of input, not from the timeout, and the
        // honest peer of AssertStillServesAsync must complete its own handshake within it on a loaded machine.
        await using MeshHost server = await TestHosts.StartAsync(logs);
        using Socket raw = await ConnectRawAsync(server, ct);
        await raw.SendAsync((byte[])[.. MssMessage("/multistream/1.0.0"), .. MssMessage("/tls/1.0.0")], SocketFlags.None, ct);
        // The server answers "na" and waits for another proposal; the peer has nothing else to offer.
        raw.Shutdown(SocketShutdown.Send);
        await ReadUntilClosedAsync(raw, ct);
        await TestHosts.EventuallyAsync(() => logs.Has(203), ct, "failure logged");
        await AssertStillServesAsync(server, ct);
    }

    [Fact]
    public async Task Garbage_in_the_noise_handshake_is_cut_off()
    {
        CancellationToken ct = TestHosts.Timeout();
        var logs = new LogCapture();
        await using MeshHost server = await TestHosts.StartAsync(logs);
        using Socket raw = await ConnectRawAsync(server, ct);
        byte[] ephemeral = new byte[32];
        new Random(3).NextBytes(ephemeral);
        // mss header + /noise, then a well-framed msg 1 (32 "ephemeral key" bytes) the responder will answer...
        await raw.SendAsync((byte[])[.. MssMessage("/multistream/1.0.0"), .. MssMessage("/noise"), 0x00, 0x20, .. ephemeral], SocketFlags.None, ct);
        // ...then a msg 3 that cannot decrypt.
        byte[] junk = new byte[120];
        new Random(4).NextBytes(junk);
        await raw.SendAsync((byte[])[0x00, 0x78, .. junk], SocketFlags.None, ct);
        await ReadUntilClosedAsync(raw, ct);
        await TestHosts.EventuallyAsync(() => logs.Has(203, m => m.Contains("Security")), ct, "noise failure logged");
        await AssertStillServesAsync(server, ct);
    }

    [Fact]
    public async Task A_peer_that_stalls_mid_handshake_is_cut_off_at_the_handshake_timeout()
    {
        CancellationToken ct = TestHosts.Timeout();
        var logs = new LogCapture();
        // The timeout under test also bounds the honest handshake of AssertStillServesAsync (a fresh host's TCP, Noise and
        // yamux upgrade), so it is not shorter than a loaded 2-core machine may need for that.
        await using MeshHost server = await TestHosts.StartAsync(logs, o => o.HandshakeTimeout = TimeSpan.FromSeconds(5));
        using Socket raw = await ConnectRawAsync(server, ct);
        await raw.SendAsync((byte[])[.. MssMessage("/multistream/1.0.0"), .. MssMessage("/noise")], SocketFlags.None, ct);
        // Then nothing: the server must give up by itself.
        await ReadUntilClosedAsync(raw, ct);
        await TestHosts.EventuallyAsync(() => logs.Has(203, m => m.Contains("TimedOut")), ct, "timeout logged");
        await AssertStillServesAsync(server, ct);
    }

    [Fact]
    public async Task Too_many_pending_handshakes_are_refused_on_accept()
    {
        CancellationToken ct = TestHosts.Timeout();
        var logs = new LogCapture();
        await using MeshHost server = await TestHosts.StartAsync(logs, o =>
        {
            o.MaxPendingInboundHandshakes = 2;
            // s1 and s2 must still hold their slots when s3 connects: no handshake may time out during the test.
            o.HandshakeTimeout = TimeSpan.FromSeconds(60);
        });
        using Socket s1 = await ConnectRawAsync(server, ct);
        using Socket s2 = await ConnectRawAsync(server, ct);
        // The third is closed right away (not after the handshake timeout), with a log line saying why; the reset
        // can even beat the client's connect.
        try
        {
            using Socket s3 = await ConnectRawAsync(server, ct);
            await ReadUntilClosedAsync(s3, ct);
        }
        catch (SocketException)
        {
        }
        await TestHosts.EventuallyAsync(() => logs.Has(204), ct, "refusal logged");
        Assert.True(logs.Has(204, m => m.Contains("handshakes in progress")));
    }
}
