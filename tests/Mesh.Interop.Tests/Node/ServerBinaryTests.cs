using Mesh.Transport.Identity;

namespace Mesh.Interop.Tests.Node;

/// <summary>
/// The built <c>mesh</c> binary as an operator meets it: the README's first command on an empty directory, and the
/// one-line failures of a node that cannot join (an initial peer nobody answers at).
/// </summary>
public sealed class ServerBinaryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mesh-binary-" + Guid.NewGuid().ToString("N")[..10]);

    public ServerBinaryTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task The_readme_command_starts_a_node_on_a_fresh_directory_and_stops_on_sigterm()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using var node = MeshProcess.Start("readme", _dir, "server", "--no_blockchain_rpc", "--new_swarm");
        await node.WaitForLineAsync(@"Running a DHT instance\. To connect other peers to this one, use --initial_peers /ip4/127\.0\.0\.1/tcp/\d+/p2p/12D3KooW\w+",
            TimeSpan.FromSeconds(90), ct);
        await node.WaitForLineAsync(@"Declared node \[Heartbeat\]", TimeSpan.FromSeconds(60), ct);
        Assert.True(File.Exists(Path.Combine(_dir, "mock_hypertensor.db")));
        Assert.Equal(0, await node.StopAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Server stopped", node.Log);
    }

    [Fact]
    public async Task An_initial_peer_nobody_answers_at_is_one_line_and_exit_1()
    {
        string nobody = $"/ip4/127.0.0.1/tcp/1/p2p/{PrivateKey.Generate(KeyType.Ed25519).PeerId}";
        await using var node = MeshProcess.Start("lonely", _dir, "server", "--no_blockchain_rpc", "--initial_peers", nobody);
        int exit = await node.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.True(exit == 1, node.Log);
        string last = node.Log.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("mesh server: none of the --initial_peers answered (/ip4/127.0.0.1/tcp/1/p2p/", last);
        Assert.Contains("--new_swarm", last);
        Assert.DoesNotContain("   at ", node.Log);
    }

    [Fact]
    public async Task The_seeds_dotenv_names_are_read_from_the_working_directory()
    {
        string nobody = $"/ip4/127.0.0.1/tcp/1/p2p/{PrivateKey.Generate(KeyType.Ed25519).PeerId}";
        File.WriteAllText(Path.Combine(_dir, ".env"), $"""
            # the seed's .env.example names
            PUBLIC_INITIAL_PEERS={nobody}
            DEV_RPC=ws://127.0.0.1:1
            LOCAL_RPC="ws://127.0.0.1:2"
            LIVE_RPC=ws://127.0.0.1:3
            """);
        (int exit, string log) = await RunAsync("server", "--no_blockchain_rpc");
        Assert.Equal(1, exit);
        Assert.Contains($"none of the --initial_peers answered ({nobody})", log);
        (exit, log) = await RunAsync("subnet", "info", "--subnet_id", "1");
        Assert.Equal(1, exit);
        Assert.Contains("ws://127.0.0.1:1", log);
        (exit, log) = await RunAsync("subnet", "info", "--subnet_id", "1", "--local_rpc");
        Assert.Contains("ws://127.0.0.1:2", log);
        (exit, log) = await RunAsync("subnet", "info", "--subnet_id", "1", "--live_rpc");
        Assert.Contains("ws://127.0.0.1:3", log);
        File.AppendAllText(Path.Combine(_dir, ".env"), "\nPHRASE='not a mnemonic'\n");
        (exit, log) = await RunAsync("stake", "remove", "--subnet_id", "1", "--hotkey", "0x317D7a5a2ba5787A99BE4693Eb340a10C71d680b", "--stake_to_be_removed", "1",
            "--no_blockchain_rpc");
        Assert.Equal(2, exit);
        Assert.Contains("the phrase is not a valid BIP39 mnemonic", log);
    }

    private async Task<(int Exit, string Log)> RunAsync(params string[] args)
    {
        await using var process = MeshProcess.Start(args[0], _dir, args);
        int exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(120));
        return (exit, process.Log);
    }
}
