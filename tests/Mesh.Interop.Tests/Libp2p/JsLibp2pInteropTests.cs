using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json.Nodes;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport.Protocols.Perf;
using Mesh.Transport.Protocols.Ping;

namespace Mesh.Interop.Tests.Libp2p;

/// <summary>
/// MeshCore against js-libp2p 3.x (TCP, Noise, yamux, identify, ping, perf), each peer its own process, in both
/// directions. Skipped with a message when interop/js/node_modules is not installed.
/// </summary>
public sealed class JsLibp2pInteropTests
{
    private const string Echo = "/meshcore/interop/echo/1.0.0";

    private static CancellationToken Timeout(int seconds = 120)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    private static async Task<MeshHost> StartHostAsync()
    {
        var options = new HostOptions { EnablePerf = true, DefaultMaxInboundStreamsPerProtocol = 1024, DefaultMaxOutboundStreamsPerProtocol = 1024 };
        options.ListenAddresses.Add(Multiaddr.Parse("/ip4/127.0.0.1/tcp/0"));
        var host = new MeshHost(options);
        host.SetHandler(Echo, async (s, ct) => await EchoAsync(s, ct));
        host.SetHandler(BlobProtocol.Id, (s, ct) => BlobProtocol.ServeAsync(s, null, ct));
        await host.StartAsync();
        return host;
    }

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

    private static string Address(MeshHost host) => host.GetFullListenAddresses()[0].ToString();

    private static JsonObject Command(string cmd, params (string Key, JsonNode? Value)[] fields)
    {
        var o = new JsonObject { ["cmd"] = cmd };
        foreach ((string k, JsonNode? v) in fields)
        {
            o[k] = v;
        }
        return o;
    }

    [Fact]
    public async Task Js_dials_us_and_pings()
    {
        CancellationToken ct = Timeout();
        await using MeshHost host = await StartHostAsync();
        await using JsPeer js = await JsPeer.StartAsync(ct, "serve");
        JsonObject answer = await js.RunAsync(Command("ping", ("addr", Address(host)), ("count", 3)), ct);
        Assert.Equal(3, answer["rtts"]!.AsArray().Count);
        Assert.True(host.IsConnected(PeerId.Parse(js.PeerId)));
    }

    [Fact]
    public async Task We_dial_js_and_ping()
    {
        CancellationToken ct = Timeout();
        await using JsPeer js = await JsPeer.StartAsync(ct, "serve");
        await using var host = new MeshHost();
        MeshConnection connection = await host.ConnectAsync(Multiaddr.Parse(js.Addresses[0]), ct);
        Assert.Equal(js.PeerId, connection.RemotePeer.ToString());
        for (int i = 0; i < 3; i++)
        {
            Assert.True(await host.Ping.PingAsync(connection, ct) > TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task Identify_both_ways_shows_the_right_protocols_and_keys()
    {
        CancellationToken ct = Timeout();
        await using MeshHost host = await StartHostAsync();
        await using JsPeer js = await JsPeer.StartAsync(ct, "serve");
        PeerId jsPeer = PeerId.Parse(js.PeerId);

        // js identifies us (js dials, runs identify on the new connection).
        JsonObject ofUs = await js.RunAsync(Command("identify", ("addr", Address(host))), ct);
        Assert.Equal(host.PeerId.ToString(), (string)ofUs["peerId"]!);
        byte[] ourKey = new byte[host.PublicKey.GetProtobufLength()];
        host.PublicKey.WriteProtobuf(ourKey);
        Assert.Equal(Convert.ToHexStringLower(ourKey), (string)ofUs["publicKey"]!);
        Assert.StartsWith("meshcore/", (string)ofUs["agentVersion"]!);
        string[] ourProtocols = ofUs["protocols"]!.AsArray().Select(p => (string)p!).ToArray();
        Assert.Equal(host.Protocols.Order(StringComparer.Ordinal), ourProtocols.Order(StringComparer.Ordinal));
        Assert.Contains(PingProtocol.Id, ourProtocols);
        Assert.Contains(IdentifyService.PushProtocolId, ourProtocols);
        string[] ourListen = ofUs["listenAddrs"]!.AsArray().Select(p => (string)p!).ToArray();
        Assert.Contains(host.ListenAddresses[0].ToString(), ourListen);

        // We identified js on the same connection (identify runs on every new connection, both ends).
        using var identified = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (host.PeerStore.Get(jsPeer)?.IdentifiedAt is null)
        {
            await Task.Delay(20, identified.Token);
        }
        PeerInfo info = host.PeerStore.Get(jsPeer)!;
        Assert.StartsWith("js-libp2p/", info.AgentVersion);
        Assert.Equal(jsPeer, info.PublicKey!.PeerId);
        Assert.Equal(js.Protocols.Order(StringComparer.Ordinal), info.Protocols.Order(StringComparer.Ordinal));
        Assert.Contains(PerfProtocol.Id, info.Protocols);
        Assert.NotEmpty(info.Addresses);
    }

    [Fact]
    public async Task Sixty_four_MiB_streams_arrive_intact_both_ways()
    {
        CancellationToken ct = Timeout(240);
        const long Size = 64L * 1024 * 1024;
        await using MeshHost host = await StartHostAsync();
        await using JsPeer js = await JsPeer.StartAsync(ct, "serve");

        // We upload 64 MiB to js and download 64 MiB from it.
        await using (MeshStream s = await host.OpenStreamAsync(Multiaddr.Parse(js.Addresses[0]), [BlobProtocol.Id], ct))
        {
            (bool up, bool down, long length) = await BlobProtocol.RunClientAsync(s, Size, Size, 0, ct);
            Assert.True(up, "js hashed our 64 MiB upload differently");
            Assert.True(down, $"js's 64 MiB download arrived corrupted or short ({length} bytes)");
        }

        // js uploads 64 MiB to us and downloads 64 MiB from us.
        JsonObject answer = await js.RunAsync(Command("blob", ("addr", Address(host)), ("upload", Size), ("download", Size)), ct);
        Assert.True((bool)answer["uploadDigestOk"]!, "we hashed js's upload differently");
        Assert.True((bool)answer["downloadDigestOk"]!, "our download arrived corrupted at js");
    }

    [Fact]
    public async Task Two_hundred_concurrent_streams_on_one_connection_both_ways()
    {
        CancellationToken ct = Timeout();
        await using MeshHost host = await StartHostAsync();
        await using JsPeer js = await JsPeer.StartAsync(ct, "serve");

        JsonObject answer = await js.RunAsync(Command("echo-many", ("addr", Address(host)), ("streams", 200), ("bytes", 20_000)), ct);
        Assert.Equal(200, (int)answer["intact"]!);
        Assert.Equal(1, (int)answer["connections"]!);

        MeshConnection connection = await host.ConnectAsync(PeerId.Parse(js.PeerId), ct);
        bool[] ok = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            await using MeshStream s = await connection.OpenStreamAsync([Echo], ct);
            byte[] data = new byte[20_000];
            BlobProtocol.Fill((uint)(500 + i), 0, data);
            await s.Output.WriteAsync(data, ct);
            await s.Output.CompleteAsync();
            var back = new ArrayBufferWriter<byte>();
            while (true)
            {
                ReadResult r = await s.Input.ReadAsync(ct);
                foreach (ReadOnlyMemory<byte> m in r.Buffer)
                {
                    back.Write(m.Span);
                }
                s.Input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted)
                {
                    break;
                }
            }
            return back.WrittenSpan.SequenceEqual(data);
        }));
        Assert.All(ok, Assert.True);
        Assert.Equal(1, host.ConnectionCount);
    }

    [Fact]
    public async Task Yamux_windows_hold_under_slow_readers_and_js_64KiB_frames()
    {
        CancellationToken ct = Timeout(240);
        const long Size = 24L * 1024 * 1024;
        await using MeshHost host = await StartHostAsync();
        await using JsPeer js = await JsPeer.StartAsync(ct, "serve");

        // js writes fast (64 KiB frames) into our handler, which reads slowly (the request asks for 20 ms per MiB):
        // our window must hold js back.
        JsonObject answer = await js.RunAsync(Command("blob", ("addr", Address(host)), ("upload", Size), ("download", 0), ("pauseMs", 20)), ct);
        Assert.True((bool)answer["uploadDigestOk"]!);
        await using (MeshStream slow = await host.OpenStreamAsync(PeerId.Parse(js.PeerId), [BlobProtocol.Id], ct))
        {
            // We write fast into js, which pauses 20 ms per MiB: js's window must hold us back.
            (bool up, bool down, _) = await BlobProtocol.RunClientAsync(slow, Size, 0, 20, ct);
            Assert.True(up && down);
        }
        // And a slow reader on our side in the download direction.
        JsonObject slowDownload = await js.RunAsync(Command("blob", ("addr", Address(host)), ("upload", 0), ("download", Size), ("pauseMs", 20)), ct);
        Assert.True((bool)slowDownload["downloadDigestOk"]!);
    }

    [Fact]
    public async Task Perf_runs_both_ways()
    {
        CancellationToken ct = Timeout();
        const ulong Size = 16 * 1024 * 1024;
        await using MeshHost host = await StartHostAsync();
        await using JsPeer js = await JsPeer.StartAsync(ct, "serve");

        await using (MeshStream s = await host.OpenStreamAsync(Multiaddr.Parse(js.Addresses[0]), [PerfProtocol.Id], ct))
        {
            PerfResult r = await PerfProtocol.RunClientAsync(s, Size, Size, null, ct);
            Assert.Equal(Size, r.UploadBytes);
            Assert.Equal(Size, r.DownloadBytes);
        }
        JsonObject answer = await js.RunAsync(Command("perf", ("addr", Address(host)), ("upload", Size), ("download", Size)), ct);
        Assert.Equal(Size, (ulong)answer["downloadBytes"]!);
        Assert.Equal(Size, (ulong)answer["uploadBytes"]!);
    }
}
