using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Yamux;
using Mesh.Transport.Identity;
using Mesh.Transport.Protocols.Ping;

namespace Mesh.Transport.Tests.Host;

public sealed class MeshHostTests
{
    private const string Echo = "/meshcore/test/echo/1.0.0";

    private static Task EchoHandler(MeshStream stream, CancellationToken ct) => EchoAsync(stream, ct);

    private static async Task EchoAsync(IDuplexPipe stream, CancellationToken ct)
    {
        while (true)
        {
            ReadResult r = await stream.Input.ReadAsync(ct);
            foreach (ReadOnlyMemory<byte> m in r.Buffer)
            {
                await stream.Output.WriteAsync(m, ct);
            }
            stream.Input.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted)
            {
                return;
            }
        }
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

    private static async Task<byte[]> EchoRoundTripAsync(MeshStream stream, byte[] data, CancellationToken ct)
    {
        await stream.Output.WriteAsync(data, ct);
        await stream.Output.CompleteAsync();
        return await ReadToEndAsync(stream.Input, ct);
    }

    [Fact]
    public async Task Dial_identify_ping_and_a_stream_work_and_the_connection_view_is_right()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost server = await TestHosts.StartAsync();
        server.SetHandler(Echo, EchoHandler);
        await using MeshHost client = await TestHosts.StartAsync();

        MeshConnection connection = await client.ConnectAsync(TestHosts.AddressOf(server), ct);
        Assert.Equal(server.PeerId, connection.RemotePeer);
        Assert.Equal(ConnectionDirection.Outbound, connection.Direction);
        Assert.Equal("/yamux/1.0.0", connection.Muxer);
        Assert.Equal(server.ListenAddresses[0], connection.RemoteAddress);
        Assert.True(connection.Opened <= DateTimeOffset.UtcNow);

        await TestHosts.EventuallyAsync(() => server.GetConnection(client.PeerId) is not null, ct, "server sees the connection");
        MeshConnection inbound = server.GetConnection(client.PeerId)!;
        Assert.Equal(ConnectionDirection.Inbound, inbound.Direction);
        Assert.Equal(connection.LocalAddress, inbound.RemoteAddress);
        Assert.True(inbound.RemotePublicKey.Equals(client.PublicKey));

        TimeSpan rtt = await client.Ping.PingAsync(server.PeerId, ct);
        Assert.True(rtt > TimeSpan.Zero);

        await using MeshStream stream = await client.OpenStreamAsync(server.PeerId, [Echo], ct);
        Assert.Equal(Echo, stream.Protocol);
        Assert.Equal(server.PeerId, stream.RemotePeer);
        Assert.Same(connection, stream.Connection);
        byte[] data = new byte[300_000];
        Random.Shared.NextBytes(data);
        Assert.Equal(data, await EchoRoundTripAsync(stream, data, ct));

        // Identify ran both ways on the new connection.
        await TestHosts.EventuallyAsync(() => client.PeerStore.Get(server.PeerId)?.IdentifiedAt is not null, ct, "client identified server");
        PeerInfo info = client.PeerStore.Get(server.PeerId)!;
        Assert.Contains(Echo, info.Protocols);
        Assert.Contains(PingProtocol.Id, info.Protocols);
        Assert.Contains(IdentifyService.ProtocolId, info.Protocols);
        Assert.StartsWith("meshcore/", info.AgentVersion);
        Assert.Equal("ipfs/0.1.0", info.ProtocolVersion);
        Assert.True(server.PublicKey.Equals(info.PublicKey));
        Assert.Contains(server.ListenAddresses[0], info.Addresses);
        Assert.Equal(connection.LocalAddress, info.ObservedAddress);
        await TestHosts.EventuallyAsync(() => server.PeerStore.Get(client.PeerId)?.IdentifiedAt is not null, ct, "server identified client");
    }

    [Fact]
    public async Task Concurrent_dials_to_one_peer_share_one_connection()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost server = await TestHosts.StartAsync();
        await using MeshHost client = await TestHosts.StartAsync();
        Multiaddr address = TestHosts.AddressOf(server);
        MeshConnection[] connections = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.ConnectAsync(address, ct).AsTask()));
        Assert.All(connections, c => Assert.Same(connections[0], c));
        Assert.Equal(1, client.ConnectionCount);
        await TestHosts.EventuallyAsync(() => server.ConnectionCount == 1, ct, "server has one connection");
    }

    [Fact]
    public async Task A_graceful_disconnect_delivers_its_GoAway_before_the_socket_closes()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost server = await TestHosts.StartAsync();
        await using MeshHost client = await TestHosts.StartAsync();
        for (int round = 0; round < 20; round++)
        {
            await client.ConnectAsync(TestHosts.AddressOf(server), ct);
            await TestHosts.EventuallyAsync(() => server.GetConnection(client.PeerId) is not null, ct, "the server has the connection");
            MeshConnection onServer = server.GetConnection(client.PeerId)!;
            await client.DisconnectAsync(server.PeerId, ct);
            await onServer.Closed.WaitAsync(ct);
            // The GoAway is yamux's last frame: the socket must not close under the secure channel still sending it.
            Assert.Equal(YamuxSessionEndReason.RemoteGoAway, ((YamuxSession)onServer.Muxed).EndReason);
            await TestHosts.EventuallyAsync(() => server.ConnectionCount == 0 && client.ConnectionCount == 0, ct, "both ends let go");
        }
    }

    [Fact]
    public async Task A_reconnect_while_the_old_connection_drains_is_kept_by_both_ends()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost server = await TestHosts.StartAsync();
        server.SetHandler(Echo, EchoHandler);
        await using MeshHost client = await TestHosts.StartAsync();
        client.SetHandler(Echo, EchoHandler);
        MeshConnection first = await client.ConnectAsync(TestHosts.AddressOf(server), ct);

        // A stream left open keeps the closing connection draining.
        await using MeshStream draining = await client.OpenStreamAsync(server.PeerId, [Echo], ct);
        await draining.Output.WriteAsync(new byte[] { 1 }, ct);
        ReadResult echoed = await draining.Input.ReadAsync(ct);
        Assert.Equal(1, echoed.Buffer.Length);
        draining.Input.AdvanceTo(echoed.Buffer.End);
        Task closing = first.CloseAsync(ct).AsTask();

        // A closing connection is neither listed nor handed out.
        Assert.Empty(client.Connections);
        Assert.Null(client.GetConnection(server.PeerId));
        Assert.False(closing.IsCompleted);

        // Dialling again while it drains (the server has not heard of the close: GoAway comes last): the server keeps
        // the new connection and makes it its primary one, instead of closing it as a duplicate of the old.
        MeshConnection second = await client.ConnectAsync(TestHosts.AddressOf(server), ct);
        Assert.NotSame(first, second);
        await using (MeshStream echo = await client.OpenStreamAsync(server.PeerId, [Echo], ct))
        {
            Assert.Equal(new byte[] { 7, 8, 9 }, await EchoRoundTripAsync(echo, [7, 8, 9], ct));
        }
        await TestHosts.EventuallyAsync(() => server.GetConnection(client.PeerId)?.RemoteAddress == second.LocalAddress, ct, "the server uses the new connection");
        await using (MeshStream back = await server.OpenStreamAsync(client.PeerId, [Echo], ct))
        {
            Assert.Equal(new byte[] { 4, 5 }, await EchoRoundTripAsync(back, [4, 5], ct));
        }

        // The old stream finishes, then the old connection ends; the new one stays on both ends.
        await draining.Output.CompleteAsync();
        Assert.Empty(await ReadToEndAsync(draining.Input, ct));
        await closing.WaitAsync(ct);
        Assert.False(second.IsClosed);
        Assert.Same(second, client.GetConnection(server.PeerId));
        await TestHosts.EventuallyAsync(() => server.ConnectionCount == 1 && client.ConnectionCount == 1, ct, "one connection each");
        Assert.Equal(second.LocalAddress, server.GetConnection(client.PeerId)!.RemoteAddress);
    }

    [Fact]
    public async Task Simultaneous_dials_both_ways_settle_on_the_same_single_connection()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost a = await TestHosts.StartAsync();
        await using MeshHost b = await TestHosts.StartAsync();
        for (int round = 0; round < 5; round++)
        {
            Task<MeshConnection> ab = a.ConnectAsync(TestHosts.AddressOf(b), ct).AsTask();
            Task<MeshConnection> ba = b.ConnectAsync(TestHosts.AddressOf(a), ct).AsTask();
            await Task.WhenAll(ab, ba);
            // Each dial may return the connection that loses the tie-break (its own outbound, before the other
            // side's dial arrived); within moments both ends converge on the same single connection.
            await TestHosts.EventuallyAsync(() =>
                a.ConnectionCount == 1 && b.ConnectionCount == 1
                && a.GetConnection(b.PeerId) is { } x && b.GetConnection(a.PeerId) is { } y
                && x.LocalAddress == y.RemoteAddress && x.RemoteAddress == y.LocalAddress, ct, "one shared connection");
            MeshConnection onA = a.GetConnection(b.PeerId)!;
            PeerId expectedDialer = a.PeerId.CompareTo(b.PeerId) < 0 ? a.PeerId : b.PeerId;
            Assert.Equal(expectedDialer == a.PeerId ? ConnectionDirection.Outbound : ConnectionDirection.Inbound, onA.Direction);
            await a.DisconnectAsync(b.PeerId, ct);
            await TestHosts.EventuallyAsync(() => a.ConnectionCount == 0 && b.ConnectionCount == 0, ct, "disconnected");
        }
    }

    [Fact]
    public async Task A_throwing_handler_resets_its_stream_only()
    {
        CancellationToken ct = TestHosts.Timeout();
        var logs = new LogCapture();
        await using MeshHost server = await TestHosts.StartAsync(logs);
        server.SetHandler("/boom/1.0.0", (_, _) => throw new InvalidOperationException("handler bug"));
        server.SetHandler(Echo, EchoHandler);
        await using MeshHost client = await TestHosts.StartAsync();

        await using MeshStream boom = await client.OpenStreamAsync(TestHosts.AddressOf(server), ["/boom/1.0.0"], ct);
        await boom.Output.WriteAsync(new byte[] { 1 }, ct);
        await Assert.ThrowsAnyAsync<Exception>(async () => await ReadToEndAsync(boom.Input, ct));
        Assert.True(logs.Has(207, m => m.Contains("/boom/1.0.0")));

        await using MeshStream echo = await client.OpenStreamAsync(server.PeerId, [Echo], ct);
        Assert.Equal(new byte[] { 7, 8, 9 }, await EchoRoundTripAsync(echo, [7, 8, 9], ct));
        Assert.Equal(1, client.ConnectionCount);
    }

    [Fact]
    public async Task Unsupported_protocols_fail_the_open_and_the_first_supported_one_is_chosen()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost server = await TestHosts.StartAsync();
        server.SetHandler(Echo, EchoHandler);
        await using MeshHost client = await TestHosts.StartAsync();
        Multiaddr address = TestHosts.AddressOf(server);

        await using MeshStream chosen = await client.OpenStreamAsync(address, ["/nope/1.0.0", Echo], ct);
        Assert.Equal(Echo, chosen.Protocol);
        Assert.Equal(new byte[] { 1, 2 }, await EchoRoundTripAsync(chosen, [1, 2], ct));

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using MeshStream s = await client.OpenStreamAsync(address, ["/nope/1.0.0", "/nope/2.0.0"], ct);
        });
        // A single unsupported protocol is proposed optimistically: the refusal shows on the first read.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using MeshStream s = await client.OpenStreamAsync(address, ["/nope/1.0.0"], ct);
            await EchoRoundTripAsync(s, [1], ct);
        });
    }

    [Fact]
    public async Task Per_protocol_inbound_limit_resets_the_extra_stream()
    {
        CancellationToken ct = TestHosts.Timeout();
        var logs = new LogCapture();
        var release = new TaskCompletionSource();
        await using MeshHost server = await TestHosts.StartAsync(logs);
        server.SetHandler("/slow/1.0.0", async (s, c) => await release.Task.WaitAsync(c), new StreamHandlerOptions { MaxInboundStreamsPerConnection = 1 });
        await using MeshHost client = await TestHosts.StartAsync(configure: o => o.DefaultMaxOutboundStreamsPerProtocol = 8);
        Multiaddr address = TestHosts.AddressOf(server);

        await using MeshStream first = await client.OpenStreamAsync(address, ["/slow/1.0.0"], ct);
        await first.Output.FlushAsync(ct);
        await TestHosts.EventuallyAsync(() => server.GetConnection(client.PeerId)?.GetStreamCount("/slow/1.0.0").Inbound == 1, ct, "first stream admitted");
        await using MeshStream second = await client.OpenStreamAsync(address, ["/slow/1.0.0"], ct);
        await second.Output.FlushAsync(ct);
        await Assert.ThrowsAnyAsync<Exception>(async () => await ReadToEndAsync(second.Input, ct));
        Assert.True(logs.Has(206, m => m.Contains("/slow/1.0.0")));
        release.SetResult();
    }

    [Fact]
    public async Task Per_connection_outbound_limit_is_enforced_before_opening()
    {
        CancellationToken ct = TestHosts.Timeout();
        // Identify off: its stream would count against the tiny limit.
        await using MeshHost server = await TestHosts.StartAsync(configure: o => o.EnableIdentify = false);
        server.SetHandler(Echo, EchoHandler);
        await using MeshHost client = await TestHosts.StartAsync(configure: o =>
        {
            o.MaxOutboundStreamsPerConnection = 2;
            o.EnableIdentify = false;
        });
        Multiaddr address = TestHosts.AddressOf(server);
        MeshConnection connection = await client.ConnectAsync(address, ct);
        await using MeshStream s1 = await connection.OpenStreamAsync([Echo], ct);
        await using MeshStream s2 = await connection.OpenStreamAsync([Echo], ct);
        await Assert.ThrowsAsync<ResourceLimitExceededException>(async () => await connection.OpenStreamAsync([Echo], ct));
        await s1.DisposeAsync();
        await using MeshStream s3 = await connection.OpenStreamAsync([Echo], ct);
        Assert.Equal(2, connection.OutboundStreamCount);
    }

    [Fact]
    public async Task Connection_limit_refuses_extra_peers_and_keeps_serving_the_first()
    {
        CancellationToken ct = TestHosts.Timeout();
        var logs = new LogCapture();
        await using MeshHost server = await TestHosts.StartAsync(logs, o => o.MaxConnections = 1);
        await using MeshHost first = await TestHosts.StartAsync();
        await using MeshHost second = await TestHosts.StartAsync();
        await first.ConnectAsync(TestHosts.AddressOf(server), ct);
        await TestHosts.EventuallyAsync(() => server.ConnectionCount == 1, ct, "first admitted");
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            MeshConnection c = await second.ConnectAsync(TestHosts.AddressOf(server), ct);
            await second.Ping.PingAsync(c, ct);
        });
        Assert.True(logs.Has(204));
        Assert.True(await first.Ping.PingAsync(server.PeerId, ct) > TimeSpan.Zero);
    }

    [Fact]
    public async Task Dialing_with_the_wrong_peer_id_fails_with_PeerIdMismatch()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost server = await TestHosts.StartAsync();
        await using MeshHost client = await TestHosts.StartAsync();
        PeerId someoneElse = PrivateKey.Generate(KeyType.Ed25519).PeerId;
        Multiaddr wrong = server.ListenAddresses[0].WithPeerId(someoneElse.Bytes);
        DialException ex = await Assert.ThrowsAsync<DialException>(async () => await client.ConnectAsync(wrong, ct));
        Assert.Equal(DialFailure.PeerIdMismatch, ex.Reason);
        Assert.Equal(0, client.ConnectionCount);
    }

    [Fact]
    public async Task Unreachable_and_unsupported_addresses_fail_with_readable_reasons()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost client = await TestHosts.StartAsync();
        int closedPort;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closedPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        DialException refused = await Assert.ThrowsAsync<DialException>(async () => await client.ConnectAsync(Multiaddr.Parse($"/ip4/127.0.0.1/tcp/{closedPort}"), ct));
        Assert.Equal(DialFailure.Refused, refused.Reason);
        Assert.Contains(closedPort.ToString(), refused.Message);
        DialException unsupported = await Assert.ThrowsAsync<DialException>(async () => await client.ConnectAsync(Multiaddr.Parse("/ip4/127.0.0.1/udp/1/quic-v1"), ct));
        Assert.Equal(DialFailure.UnsupportedAddress, unsupported.Reason);
        DialException unknown = await Assert.ThrowsAsync<DialException>(async () => await client.ConnectAsync(PrivateKey.Generate(KeyType.Ed25519).PeerId, ct));
        Assert.Equal(DialFailure.NoAddresses, unknown.Reason);
    }

    [Fact]
    public async Task Listen_addresses_report_the_bound_port_and_expand_the_wildcard()
    {
        await using MeshHost host = await TestHosts.StartAsync(configure: o =>
        {
            o.ListenAddresses.Clear();
            o.ListenAddresses.Add(Multiaddr.Parse("/ip4/0.0.0.0/tcp/0"));
        });
        Assert.NotEmpty(host.ListenAddresses);
        Assert.All(host.ListenAddresses, a => Assert.DoesNotContain("0.0.0.0", a.ToString()));
        Multiaddr loopback = host.ListenAddresses.Single(a => a.ToString().StartsWith("/ip4/127.0.0.1/tcp/", StringComparison.Ordinal));
        Assert.DoesNotContain("/tcp/0", loopback.ToString());
        Assert.All(host.GetFullListenAddresses(), a => Assert.EndsWith("/p2p/" + host.PeerId, a.ToString()));
    }

    [Fact]
    public async Task A_taken_listen_port_throws_AddressInUseException()
    {
        await using MeshHost first = await TestHosts.StartAsync();
        var options = new HostOptions();
        options.ListenAddresses.Add(first.ListenAddresses[0]);
        await using var second = new MeshHost(options);
        await Assert.ThrowsAsync<AddressInUseException>(() => second.StartAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Connected_and_Disconnected_fire_once_per_peer()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost server = await TestHosts.StartAsync();
        await using MeshHost client = await TestHosts.StartAsync();
        int connected = 0, disconnected = 0;
        var gone = new TaskCompletionSource();
        client.Connected += c => Interlocked.Increment(ref connected);
        client.Disconnected += c =>
        {
            Interlocked.Increment(ref disconnected);
            gone.TrySetResult();
        };
        MeshConnection connection = await client.ConnectAsync(TestHosts.AddressOf(server), ct);
        await client.ConnectAsync(server.PeerId, ct);
        await connection.CloseAsync(ct);
        await gone.Task.WaitAsync(ct);
        Assert.Equal(1, connected);
        Assert.Equal(1, disconnected);
        Assert.False(client.IsConnected(server.PeerId));
        // The address was remembered: dialing by peer id alone works.
        MeshConnection again = await client.ConnectAsync(server.PeerId, ct);
        Assert.NotSame(connection, again);
    }

    [Fact]
    public async Task Stop_drains_a_running_handler_then_refuses_new_work()
    {
        CancellationToken ct = TestHosts.Timeout();
        var entered = new TaskCompletionSource();
        await using MeshHost server = await TestHosts.StartAsync(configure: o => o.GracefulCloseTimeout = TimeSpan.FromSeconds(10));
        server.SetHandler("/slow-echo/1.0.0", async (s, c) =>
        {
            entered.TrySetResult();
            await Task.Delay(200, c);
            await EchoAsync(s, c);
        });
        await using MeshHost client = await TestHosts.StartAsync();
        await using MeshStream stream = await client.OpenStreamAsync(TestHosts.AddressOf(server), ["/slow-echo/1.0.0"], ct);
        await stream.Output.WriteAsync(new byte[] { 42 }, ct);
        await entered.Task.WaitAsync(ct);
        Task stopping = server.StopAsync(ct);
        await stream.Output.CompleteAsync();
        Assert.Equal(new byte[] { 42 }, await ReadToEndAsync(stream.Input, ct));
        await stopping;
        Assert.Empty(server.ListenAddresses);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await server.ConnectAsync(client.PeerId, ct));
        await TestHosts.EventuallyAsync(() => client.ConnectionCount == 0, ct, "client saw the close");
    }

    [Fact]
    public async Task Announce_addresses_replace_the_listen_addresses_in_identify()
    {
        CancellationToken ct = TestHosts.Timeout();
        var identity = PrivateKey.Generate(KeyType.Ed25519);
        Multiaddr publicTcp = Multiaddr.Parse("/ip4/203.0.113.7/tcp/31331");
        Multiaddr named = Multiaddr.Parse("/dns4/node.example.org/tcp/31331").WithPeerId(identity.PeerId.Bytes);
        await using MeshHost announcer = await TestHosts.StartAsync(configure: o =>
        {
            o.Identity = identity;
            o.AnnounceAddresses.Add(publicTcp);
            o.AnnounceAddresses.Add(named);   // its own /p2p/ is accepted and dropped
            o.AnnounceAddresses.Add(publicTcp); // duplicates collapse
        });
        Multiaddr dnsBare = Multiaddr.Parse("/dns4/node.example.org/tcp/31331");
        Assert.Equal([publicTcp, dnsBare], announcer.AdvertisedAddresses);
        Assert.Equal([publicTcp.WithPeerId(identity.PeerId.Bytes), named], announcer.GetFullAdvertisedAddresses());
        Assert.Single(announcer.ListenAddresses); // it still listens where it was told to
        Assert.DoesNotContain(announcer.ListenAddresses[0], announcer.AdvertisedAddresses);

        // The announcer dials out, so the other side learns its addresses from identify alone: exactly the announced ones.
        await using MeshHost other = await TestHosts.StartAsync();
        await announcer.ConnectAsync(TestHosts.AddressOf(other), ct);
        await TestHosts.EventuallyAsync(() => other.PeerStore.Get(announcer.PeerId)?.IdentifiedAt is not null, ct, "identified the announcer");
        Assert.Equal(new HashSet<Multiaddr> { publicTcp, dnsBare }, other.PeerStore.Get(announcer.PeerId)!.Addresses.ToHashSet());

        // Without announce addresses a host advertises where it listens.
        Assert.Equal(other.ListenAddresses, other.AdvertisedAddresses);
        Assert.Equal(other.GetFullListenAddresses(), other.GetFullAdvertisedAddresses());
        await TestHosts.EventuallyAsync(() => announcer.PeerStore.Get(other.PeerId)?.IdentifiedAt is not null, ct, "identified back");
        Assert.Contains(other.ListenAddresses[0], announcer.PeerStore.Get(other.PeerId)!.Addresses);
    }

    [Fact]
    public void Announce_addresses_naming_another_peer_or_nothing_are_refused()
    {
        var options = new HostOptions { Identity = PrivateKey.Generate(KeyType.Ed25519) };
        options.AnnounceAddresses.Add(Multiaddr.Parse("/ip4/203.0.113.7/tcp/1").WithPeerId(PrivateKey.Generate(KeyType.Ed25519).PeerId.Bytes));
        ArgumentException wrongPeer = Assert.Throws<ArgumentException>(() => new MeshHost(options));
        Assert.Contains("not this host", wrongPeer.Message);

        var bare = new HostOptions { Identity = PrivateKey.Generate(KeyType.Ed25519) };
        bare.AnnounceAddresses.Add(Multiaddr.Empty.WithPeerId(bare.Identity.PeerId.Bytes));
        ArgumentException empty = Assert.Throws<ArgumentException>(() => new MeshHost(bare));
        Assert.Contains("no transport part", empty.Message);
    }

    [Fact]
    public async Task Identify_push_tells_connected_peers_about_new_protocols()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost server = await TestHosts.StartAsync();
        await using MeshHost client = await TestHosts.StartAsync();
        await client.ConnectAsync(TestHosts.AddressOf(server), ct);
        await TestHosts.EventuallyAsync(() => client.PeerStore.Get(server.PeerId)?.IdentifiedAt is not null, ct, "identified");
        await TestHosts.EventuallyAsync(() => server.PeerStore.Get(client.PeerId)?.IdentifiedAt is not null, ct, "identified back");
        server.SetHandler("/late/1.0.0", EchoHandler);
        await TestHosts.EventuallyAsync(() => client.PeerStore.Get(server.PeerId)!.SupportsProtocol("/late/1.0.0"), ct, "push arrived");
        server.RemoveHandler("/late/1.0.0");
        await TestHosts.EventuallyAsync(() => !client.PeerStore.Get(server.PeerId)!.SupportsProtocol("/late/1.0.0"), ct, "removal pushed");
    }

    [Fact]
    public async Task Many_concurrent_streams_on_one_connection()
    {
        CancellationToken ct = TestHosts.Timeout();
        await using MeshHost server = await TestHosts.StartAsync();
        server.SetHandler(Echo, EchoHandler, new StreamHandlerOptions { MaxInboundStreamsPerConnection = 512 });
        await using MeshHost client = await TestHosts.StartAsync(configure: o => o.DefaultMaxOutboundStreamsPerProtocol = 512);
        Multiaddr address = TestHosts.AddressOf(server);
        await client.ConnectAsync(address, ct);
        byte[][] results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            await using MeshStream s = await client.OpenStreamAsync(server.PeerId, [Echo], ct);
            byte[] data = new byte[1000 + i];
            data.AsSpan().Fill((byte)i);
            byte[] back = await EchoRoundTripAsync(s, data, ct);
            Assert.Equal(data, back);
            return back;
        }));
        Assert.Equal(200, results.Length);
        Assert.Equal(1, client.ConnectionCount);
    }
}
