using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Validation;
using Mesh.Node.Cli;
using Mesh.Node.Subnet;
using Mesh.Node.Tests.Subnet;
using Mesh.Transport.Identity;

namespace Mesh.Node.Tests.Cli;

/// <summary>
/// <c>mesh server</c> in-process: its flag checks (one line, exit 2), file and port errors (one line, exit 1), and a
/// whole node on the local chain with an in-memory DHT standing in for the mesh DHT: it prints the seed's
/// <c>Running a DHT instance</c> line, registers itself, publishes its heartbeat, serves metrics, and stops cleanly on
/// cancellation (exit 0, OFFLINE announced).
/// </summary>
public sealed partial class ServerCommandTests : IDisposable
{
    private readonly CliRun.TempDirectory _dir = new();
    private InMemorySubnetDht? _dht;
    private SubnetDhtSetup? _setup;

    public void Dispose() => _dir.Dispose();

    /// <summary>The DHT factory: one shared in-memory store, validated by the server's own validators.</summary>
    private Task<ISubnetDhtNode> Factory(SubnetDhtSetup setup, CancellationToken cancellationToken)
    {
        _setup = setup;
        _dht ??= new InMemorySubnetDht(new CompositeValidator(setup.Validators), TimeProvider.System);
        return Task.FromResult<ISubnetDhtNode>(new Node(_dht.For(setup.Identity, new CompositeValidator(setup.Validators))));
    }

    private async Task<CliRun.Result> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        var root = new RootCommand { ServerCommand.Create(Factory) };
        var output = new StringWriter();
        var error = new SynchronizedWriter();
        int exit = await root.Parse(["server", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
        return new CliRun.Result(exit, output.ToString(), error.ToString());
    }

    private Task<CliRun.Result> RunAsync(params string[] args) => RunAsync(TestContext.Current.CancellationToken, args);

    public static TheoryData<string[], string> UsageErrors => new()
    {
        { ["--update_period", "5000"], "over the 1980 s the subnet's peers accept" },
        { ["--update_period", "-1"], "--update_period -1 must be between" },
        { ["--new_swarm", "--initial_peers", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h"], "--new_swarm and --initial_peers are exclusive" },
        { ["--initial_peers", "/ip4/127.0.0.1/tcp/1"], "has no /p2p/<peer id>" },
        { ["--host_maddrs", "/ip4/999.0.0.1/tcp/1"], "--host_maddrs '/ip4/999.0.0.1/tcp/1' is not a multiaddr" },
        { ["--announce_maddrs", "/ip4/1.2.3.4/tcp/0"], "cannot use port 0" },
        { ["--announce_maddrs", "/ip4/1.2.3.4/tcp/1/p2p/12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h"], "names another peer than this node" },
        { ["--no_blockchain_rpc", "--rpc_url", "ws://127.0.0.1:1"], "only one of --no_blockchain_rpc, --rpc_url, --local_rpc and --live_rpc" },
        { ["--private_key", "0x01", "--phrase", "a b"], "either --private_key or --phrase" },
        { ["--min_class", "boss"], "--min_class 'boss'" },
        { ["--metrics_port", "70000"], "is not a port" },
        { ["--log_format", "xml"], "use text or json" },
        { ["--subnet_id", "0"], "--subnet_id starts at 1" },
        { ["--no_blockchain_rpc", "--private_key", "0x1234"], "--private_key is not a secp256k1 private key" },
        { ["--wait_timeout", "0"], "--wait_timeout 0 must be between" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task Bad_flags_are_one_line_and_exit_2(string[] args, string expected)
    {
        CliRun.Result result = await RunAsync([.. args, "--local_chain_path", _dir.File("c.db")]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Theory]
    [InlineData(new string[0], null)]
    [InlineData(new[] { "--wait_timeout", "15" }, 15.0)]
    public async Task The_hidden_wait_timeout_reaches_the_dht_setup(string[] args, double? seconds)
    {
        SubnetDhtSetup? seen = null;
        var root = new RootCommand
        {
            ServerCommand.Create((setup, _) =>
            {
                seen = setup;
                throw new Mesh.Kademlia.Node.DhtBootstrapException("nobody answered");
            }),
        };
        int exit = await root.Parse(["server", "--no_blockchain_rpc", "--local_chain_path", _dir.File("c.db"), "--initial_peers",
            "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h", .. args])
            .InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = new SynchronizedWriter() }, TestContext.Current.CancellationToken);
        Assert.Equal(1, exit); // "none of the --initial_peers answered"
        Assert.NotNull(seen);
        Assert.Equal(seconds is double s ? TimeSpan.FromSeconds(s) : null, seen.WaitTimeout);
    }

    [Fact]
    public async Task Missing_corrupted_and_wrong_type_identities_are_readable_errors()
    {
        CliRun.Result missing = await RunAsync("--identity_path", _dir.File("nope.id"), "--no_blockchain_rpc");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("nope.id does not exist", missing.Error);
        File.WriteAllBytes(_dir.File("bad.id"), [0x08, 0x01, 0x12, 0x05, 1, 2, 3]);
        CliRun.Result corrupted = await RunAsync("--identity_path", _dir.File("bad.id"), "--no_blockchain_rpc");
        Assert.Equal(1, corrupted.ExitCode);
        Assert.Contains("is not a usable identity file", corrupted.Error);
        IdentityFile.Write(_dir.File("secp.id"), PrivateKey.Generate(KeyType.Secp256k1));
        CliRun.Result secp = await RunAsync("--identity_path", _dir.File("secp.id"), "--no_blockchain_rpc", "--local_chain_path", _dir.File("c.db"));
        Assert.Equal(2, secp.ExitCode);
        Assert.Contains("holds a Secp256k1 key", secp.Error);
    }

    [Fact]
    public async Task A_taken_port_and_an_unreachable_chain_are_one_line_and_exit_1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        CliRun.Result busy = await RunAsync("--no_blockchain_rpc", "--new_swarm", "--local_chain_path", _dir.File("c.db"), "--host_maddrs", $"/ip4/127.0.0.1/tcp/{port}");
        Assert.Equal(1, busy.ExitCode);
        Assert.Contains("already in use", busy.Error);
        CliRun.Result down = await RunAsync("--rpc_url", "ws://127.0.0.1:1", "--new_swarm");
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("cannot reach the chain", down.Error);
    }

    [Fact]
    public async Task A_node_on_the_local_chain_runs_publishes_its_heartbeat_serves_metrics_and_stops_cleanly()
    {
        string identity = _dir.File("node.id");
        IdentityFile.Write(identity, PrivateKey.Generate(KeyType.Ed25519));
        PeerId peer = IdentityFile.Read(identity).PeerId;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var error = new SynchronizedWriter();
        var root = new RootCommand { ServerCommand.Create(Factory) };
        Task<int> run = root.Parse(["server", "--no_blockchain_rpc", "--new_swarm", "--local_chain_path", _dir.File("c.db"), "--identity_path", identity,
            "--subnet_id", "1", "--subnet_node_id", "4", "--update_period", "1", "--metrics_port", "0", "--local_block_time", "0.2", "--public_name", "alpha"])
            .InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = error }, stop.Token);
        string? metricsUrl = null;
        for (int i = 0; i < 600 && (metricsUrl is null || !error.ToString().Contains("Declared node [Heartbeat]")); i++)
        {
            Assert.False(run.IsCompleted, error.ToString());
            metricsUrl ??= MetricsUrl().Match(error.ToString()) is { Success: true } m ? m.Groups[1].Value : null;
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        string log = error.ToString();
        Assert.Contains($"Running a DHT instance. To connect other peers to this one, use --initial_peers /ip4/127.0.0.1/tcp/", log);
        Assert.Contains($"/p2p/{peer}", log);
        Assert.Contains("subnet node 4", log);
        Assert.NotNull(metricsUrl);
        NodeHeartbeat beat = Assert.Single(HeartbeatRecord.Parse(_dht!.Read(HeartbeatRecord.Key), out _));
        Assert.Equal((peer, "alpha", ServerState.Online), (beat.PeerId, beat.Server.PublicName, beat.Server.State));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string metrics = await http.GetStringAsync(metricsUrl, TestContext.Current.CancellationToken);
        Assert.Contains("mesh_heartbeats_total{result=\"stored\"}", metrics);
        Assert.Contains("mesh_connections 0", metrics);

        await stop.CancelAsync();
        int exit = await run.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.True(exit == 0, $"exit code {exit}; the node's log:\n{error}");
        Assert.Contains("Server stopped", error.ToString());
        Assert.Equal(ServerState.Offline, Assert.Single(HeartbeatRecord.Parse(_dht.Read(HeartbeatRecord.Key), out _)).Server.State);
    }

    /// <summary>Starts the server in-process until its DHT is up and the Running line is out, runs <paramref name="check"/>, stops it.</summary>
    private async Task<string> RunUntilRunningAsync(Action<SubnetDhtSetup, string> check, params string[] args)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var error = new SynchronizedWriter();
        var root = new RootCommand { ServerCommand.Create(Factory) };
        _setup = null;
        Task<int> run = root.Parse(["server", "--no_blockchain_rpc", "--new_swarm", "--local_chain_path", _dir.File("c.db"), .. args])
            .InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = error }, stop.Token);
        for (int i = 0; i < 600 && !error.ToString().Contains("Running a DHT instance"); i++)
        {
            Assert.False(run.IsCompleted, error.ToString());
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        string log = error.ToString();
        Assert.NotNull(_setup);
        check(_setup, log);
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));
        return log;
    }

    [Fact]
    public async Task Announce_addresses_are_advertised_and_the_kad_dht_runs_unless_turned_off()
    {
        PrivateKey key = PrivateKey.Generate(KeyType.Ed25519);
        string identity = _dir.File("node.id");
        IdentityFile.Write(identity, key);
        Mesh.Multistream.Multiaddr announced = Mesh.Multistream.Multiaddr.Parse("/ip4/203.0.113.7/tcp/31331");
        await RunUntilRunningAsync((setup, log) =>
        {
            // Printed, and what identify advertises: the announced address instead of the listen address.
            Assert.Contains($"use --initial_peers {announced}/p2p/{key.PeerId}", log);
            Assert.DoesNotContain("use --initial_peers /ip4/127.0.0.1/", log);
            Assert.Equal([announced], setup.Host.AdvertisedAddresses);
            // The kad DHT serves (so identify shows it) and the mesh DHT resolves peer ids through it.
            Assert.Contains(Mesh.Kademlia.Libp2p.KadDhtOptions.DefaultProtocolId, setup.Host.Protocols);
            Assert.IsType<Mesh.Kademlia.Libp2p.KadPeerAddressResolver>(setup.PeerAddressResolver);
        }, "--identity_path", identity, "--announce_maddrs", $"{announced}/p2p/{key.PeerId}", "--update_period", "1");

        await RunUntilRunningAsync((setup, log) =>
        {
            Assert.Contains("use --initial_peers /ip4/127.0.0.1/tcp/", log);
            Assert.DoesNotContain(Mesh.Kademlia.Libp2p.KadDhtOptions.DefaultProtocolId, setup.Host.Protocols);
            Assert.Null(setup.PeerAddressResolver);
        }, "--identity_path", identity, "--no_peer_routing", "--update_period", "1");
    }

    [GeneratedRegex(@"Metrics at (http://127\.0\.0\.1:\d+/metrics)")]
    private static partial Regex MetricsUrl();

    private sealed class Node(ISubnetDht inner) : ISubnetDhtNode
    {
        public PeerId LocalPeer => inner.LocalPeer;

        public ValueTask<bool> StoreAsync(string key, MsgValue subkey, MsgValue value, double expirationTime, CancellationToken cancellationToken) =>
            inner.StoreAsync(key, subkey, value, expirationTime, cancellationToken);

        public ValueTask<IReadOnlyList<DhtSubkeyEntry>> GetDictionaryAsync(string key, bool latest, CancellationToken cancellationToken) =>
            inner.GetDictionaryAsync(key, latest, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A StringWriter the logger (another thread) and the test can share.</summary>
    private sealed class SynchronizedWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return base.ToString();
            }
        }
    }
}
