using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Cli;

/// <summary>
/// <c>mesh dht</c>, <c>mesh get</c>, <c>mesh store</c>: the port of mesh's test_cli_scripts (test_dht_connection_successful:
/// two <c>mesh dht</c> processes, the built <c>mesh</c> from the Mesh.Node project output), get/store as separate
/// processes against them, and the one-line errors for bad flags, unreachable peers and taken ports.
/// </summary>
public sealed partial class DhtCommandTests
{
    [GeneratedRegex(@"Running a DHT instance\. To connect other peers to this one, use (.+)$")]
    private static partial Regex DhtStartPattern();

    private static CancellationToken Timeout(int seconds = 120)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    /// <summary>src/Mesh.Node/bin/&lt;configuration of this test build&gt;/net10.0/mesh.dll.</summary>
    private static string MeshDll()
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        string dll = Path.Combine(SharedData.RepositoryRoot, "src", "Mesh.Node", "bin", configuration, "net10.0", "mesh.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build src/Mesh.Node -c {configuration} first");
        return dll;
    }

    /// <summary>A running <c>mesh</c> process whose stderr lines are collected as they come.</summary>
    private sealed class MeshProcess : IDisposable
    {
        private readonly Process _process;
        private readonly BlockingCollection<string> _lines = [];

        public MeshProcess(params string[] args)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add(MeshDll());
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }
            _process = Process.Start(start)!;
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    _lines.Add(e.Data);
                }
            };
            _process.BeginErrorReadLine();
        }

        /// <summary>The next stderr line (the test fails if none comes in time).</summary>
        public string ReadLine(CancellationToken cancellationToken) => _lines.Take(cancellationToken);

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            _process.Dispose();
        }
    }

    private static async Task<(int Exit, string Output, string Error)> RunProcessAsync(CancellationToken cancellationToken, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(MeshDll());
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Dht_connection_successful()
    {
        CancellationToken ct = Timeout();
        using var dht = new MeshProcess("dht", "--host_maddrs", "/ip4/127.0.0.1/tcp/0", "--refresh_period", "1");
        string firstLine = dht.ReadLine(ct);
        string secondLine = dht.ReadLine(ct);
        Match match = DhtStartPattern().Match(firstLine);
        Assert.True(match.Success, firstLine);
        Assert.Contains("Full list of visible multiaddresses:", secondLine);
        string[] initialPeers = match.Groups[1].Value.Split(' ');
        Assert.Equal("--initial_peers", initialPeers[0]);
        Assert.EndsWith("/p2p/" + initialPeers[1].Split("/p2p/")[1], initialPeers[1]);

        using var client = new MeshProcess(["dht", .. initialPeers, "--host_maddrs", "/ip4/127.0.0.1/tcp/0", "--refresh_period", "1"]);
        // skip the two lines with connectivity info
        client.ReadLine(ct);
        client.ReadLine(ct);
        string firstReport = client.ReadLine(ct);
        Assert.Contains("2 DHT nodes (including this one) are in the local routing table", firstReport);

        // one of the next reports of the first peer shows the new connection
        bool seen = false;
        for (int i = 0; i < 40 && !seen; i++)
        {
            string report = dht.ReadLine(ct);
            if (report.Contains("2 DHT nodes (including this one) are in the local routing table", StringComparison.Ordinal))
            {
                seen = dht.ReadLine(ct).Contains("Local storage contains 0 keys", StringComparison.Ordinal);
            }
        }
        Assert.True(seen, "the first node never reported 2 nodes in its routing table and 0 keys");

        // A client process stores, another gets it back: text, JSON, dictionaries, not found.
        string peer = initialPeers[1];
        (int exit, string output, string error) = await RunProcessAsync(ct, "store", "--initial_peers", peer, "--key", "greeting", "--value", "hello mesh", "--expiration", "60");
        Assert.True(exit == 0, error);
        Assert.Equal("stored", output.Trim());
        (exit, output, error) = await RunProcessAsync(ct, "get", "--initial-peers", peer, "--key", "greeting");
        Assert.True(exit == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("hello mesh", lines[0]);
        Assert.StartsWith("expires ", lines[1]);
        (exit, output, _) = await RunProcessAsync(ct, "get", "--initial-peers", peer, "--key", "greeting", "--json");
        Assert.Equal(0, exit);
        using (JsonDocument doc = JsonDocument.Parse(output))
        {
            Assert.Equal("hello mesh", doc.RootElement.GetProperty("value").GetString());
        }
        (exit, _, _) = await RunProcessAsync(ct, "store", "--initial-peers", peer, "--key", "hb", "--subkey", "node-a", "--value", "up", "--expiration", "60");
        Assert.Equal(0, exit);
        (exit, output, _) = await RunProcessAsync(ct, "get", "--initial-peers", peer, "--key", "hb", "--latest");
        Assert.Equal(0, exit);
        Assert.StartsWith("node-a\tup\texpires ", output.Trim());
        (exit, output, error) = await RunProcessAsync(ct, "get", "--initial-peers", peer, "--key", "no such key");
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Contains("mesh get: key 'no such key' not found", error);
    }

    /// <summary>Reads stderr lines until the <c>Running a DHT instance</c> line and returns the address it names.</summary>
    private static string WaitForAddress(MeshProcess process, CancellationToken ct)
    {
        for (int i = 0; i < 200; i++)
        {
            string line = process.ReadLine(ct);
            if (DhtStartPattern().Match(line) is { Success: true } match)
            {
                return match.Groups[1].Value.Split(' ')[1];
            }
        }
        Assert.Fail("no 'Running a DHT instance' line in the first 200 lines");
        return "";
    }

    /// <summary>
    /// Three <c>mesh dht</c> processes in a chain (B joined through A only, C through B only), so every node and
    /// every one-shot client meets most peers by id only in <c>rpc_find</c> replies: their addresses come from the
    /// kad DHT each process runs. A value stored through A's address alone is found through C's alone, and the
    /// reverse; with <c>--no_peer_routing</c> the client reaches only the node it was given, and the value stays there.
    /// </summary>
    [Fact]
    public async Task Values_stored_through_one_end_of_a_chain_are_found_through_the_other()
    {
        CancellationToken ct = Timeout(240);
        string[] common = ["dht", "--host_maddrs", "/ip4/127.0.0.1/tcp/0", "--refresh_period", "5"];
        using var a = new MeshProcess(common);
        string addressA = WaitForAddress(a, ct);
        using var b = new MeshProcess([.. common, "--initial_peers", addressA]);
        string addressB = WaitForAddress(b, ct);
        using var c = new MeshProcess([.. common, "--initial_peers", addressB]);
        string addressC = WaitForAddress(c, ct);

        // The kad protocol is in identify, as p2pd peers (dhtServer=1) expect.
        await using (var probe = new Mesh.Transport.Host.MeshHost(new Mesh.Transport.Host.HostOptions()))
        {
            await probe.StartAsync(ct);
            Mesh.Transport.Host.MeshConnection connection = await probe.ConnectAsync(Mesh.Multistream.Multiaddr.Parse(addressA), ct);
            Mesh.Transport.Host.PeerInfo? info;
            while ((info = probe.PeerStore.Get(connection.RemotePeer)) is not { IdentifiedAt: not null })
            {
                await Task.Delay(20, ct);
            }
            Assert.Contains("/ipfs/kad/1.0.0", info.Protocols);
        }

        (int exit, string output, string error) = await RunProcessAsync(ct, "store", "--initial_peers", addressA, "--key", "from-a", "--value", "stored through A", "--expiration", "120");
        Assert.True(exit == 0, error);
        (exit, output, error) = await RunProcessAsync(ct, "get", "--initial_peers", addressC, "--key", "from-a");
        Assert.True(exit == 0, $"get through C: {error}");
        Assert.Equal("stored through A", output.Split('\n')[0]);

        (exit, _, error) = await RunProcessAsync(ct, "store", "--initial_peers", addressC, "--key", "from-c", "--value", "stored through C", "--expiration", "120");
        Assert.True(exit == 0, error);
        (exit, output, error) = await RunProcessAsync(ct, "get", "--initial_peers", addressA, "--key", "from-c");
        Assert.True(exit == 0, $"get through A: {error}");
        Assert.Equal("stored through C", output.Split('\n')[0]);

        // Without peer routing a client reaches only its initial peer: the value lands on A alone, and a get through C
        // (which does not hold it) cannot follow C's reply to A.
        (exit, _, error) = await RunProcessAsync(ct, "store", "--initial_peers", addressA, "--key", "unrouted", "--value", "only on A", "--expiration", "120", "--no_peer_routing");
        Assert.True(exit == 0, error);
        (exit, output, error) = await RunProcessAsync(ct, "get", "--initial_peers", addressC, "--key", "unrouted", "--no_peer_routing");
        Assert.Equal(1, exit);
        Assert.Contains("mesh get: key 'unrouted' not found", error);
        (exit, output, error) = await RunProcessAsync(ct, "get", "--initial_peers", addressA, "--key", "unrouted", "--no_peer_routing");
        Assert.True(exit == 0, error);
        Assert.Equal("only on A", output.Split('\n')[0]);
    }

    [Fact]
    public async Task Bad_flags_are_usage_errors()
    {
        CliRun.Result missingKey = await CliRun.RunAsync("get", "--initial_peers", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWDL5T6RAT3xhZtwkQjEEaCN3eMVawoDp8cVaNFJ92bju8");
        Assert.Equal(2, missingKey.ExitCode);
        Assert.Contains("--key", missingKey.Error);

        CliRun.Result noPeerId = await CliRun.RunAsync("get", "--initial_peers", "/ip4/127.0.0.1/tcp/1", "--key", "k");
        Assert.Equal(2, noPeerId.ExitCode);
        Assert.Equal("mesh get: --initial_peers: '/ip4/127.0.0.1/tcp/1' has no /p2p/<peer id> part (the peer must be named)", noPeerId.Error.Trim());

        CliRun.Result badAddress = await CliRun.RunAsync("dht", "--host_maddrs", "/ip4/999.0.0.1/tcp/0");
        Assert.Equal(2, badAddress.ExitCode);
        Assert.StartsWith("mesh dht: --host_maddrs: '/ip4/999.0.0.1/tcp/0' is not a multiaddr", badAddress.Error.Trim());

        CliRun.Result foreignAnnounce = await CliRun.RunAsync("dht", "--host_maddrs", "/ip4/127.0.0.1/tcp/0",
            "--announce_maddrs", "/ip4/203.0.113.7/tcp/31330/p2p/12D3KooWDL5T6RAT3xhZtwkQjEEaCN3eMVawoDp8cVaNFJ92bju8");
        Assert.Equal(2, foreignAnnounce.ExitCode);
        Assert.StartsWith("mesh dht: --announce_maddrs: '/ip4/203.0.113.7/tcp/31330/p2p/12D3KooWDL5T6RAT3xhZtwkQjEEaCN3eMVawoDp8cVaNFJ92bju8' names another peer",
            foreignAnnounce.Error.Trim());

        CliRun.Result badExpiration = await CliRun.RunAsync("store", "--initial-peers", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWDL5T6RAT3xhZtwkQjEEaCN3eMVawoDp8cVaNFJ92bju8",
            "--key", "k", "--value", "v", "--expiration", "-5");
        Assert.Equal(2, badExpiration.ExitCode);
        Assert.Contains("--expiration must be a positive number", badExpiration.Error);
    }

    [Fact]
    public async Task Unreachable_peers_and_taken_ports_fail_with_one_line()
    {
        int port = FreePort();
        string nobody = $"/ip4/127.0.0.1/tcp/{port}/p2p/12D3KooWDL5T6RAT3xhZtwkQjEEaCN3eMVawoDp8cVaNFJ92bju8";
        CliRun.Result get = await CliRun.RunAsync("get", "--initial_peers", nobody, "--key", "k", "--wait_timeout", "2");
        Assert.Equal(1, get.ExitCode);
        string line = Assert.Single(get.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("mesh get: DHTNode bootstrap failed: none of the initial_peers responded to a ping", line);

        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Timeout());
        CliRun.Result dht = await CliRun.RunAsync("dht", "--host_maddrs", $"/ip4/127.0.0.1/tcp/{takenPort}");
        Assert.Equal(1, dht.ExitCode);
        Assert.Contains($"mesh dht: ", dht.Error);
        Assert.Contains("in use", dht.Error);
        Assert.Single(dht.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("mesh dht:", StringComparison.Ordinal));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
