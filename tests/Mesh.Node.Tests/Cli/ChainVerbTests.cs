using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.LocalChain;
using Mesh.Transport.Identity;

namespace Mesh.Node.Tests.Cli;

/// <summary>
/// The chain verbs end to end in-process against the local chain (the same verbs run against chopsticks in
/// Mesh.Interop.Tests): the seed README's register-subnet and register-node command lines, activate-node's report,
/// stake add/remove, subnet/node info (text and JSON), and a one-line error with exit 2 for every bad flag.
/// </summary>
public sealed class ChainVerbTests : IDisposable
{
    private const string Alith = "0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133";
    private const string Hotkey = "0x317D7a5a2ba5787A99BE4693Eb340a10C71d680b";
    private readonly CliRun.TempDirectory _dir = new();

    private string Db => _dir.File("chain.db");

    public void Dispose() => _dir.Dispose();

    private Task<CliRun.Result> Run(params string[] args) => CliRun.RunAsync([.. args, "--no_blockchain_rpc", "--local_chain_path", Db]);

    private Task<CliRun.Result> RegisterSubnetAsync() => Run("register-subnet",
        "--max_cost", "100.00", "--name", "subnet-1", "--repo", "github.com/subnet-1", "--description", "artificial intelligence", "--misc", "cool subnet",
        "--churn_limit", "64", "--min_stake", "100.00", "--max_stake", "1000.00", "--delegate_stake_percentage", "0.1",
        "--subnet_node_queue_epochs", "10", "--idle_classification_epochs", "10", "--included_classification_epochs", "10", "--max_node_penalties", "10",
        "--initial_coldkeys", "0xf24FF3a9CF04c71Dbc94D0b566f7A27B94566cac", "0x3Cd0A705a2DC65e5b1E1205896BaA2be8A07c6e0", "0x798d4Ba9baf0064Ec19eB4F0a1a45785ae9D6DFc",
        "0x773539d4Ac0e786233D90A233654ccEE26a613D9",
        "--max_registered_nodes", "10", "--key_types", "Rsa", "--bootnodes", "test_bootnode", "--private_key", Alith);

    private static string Peer() => PrivateKey.Generate(KeyType.Ed25519).PeerId.ToString();

    [Fact]
    public async Task Seed_readme_registration_flow_then_reads_and_stake()
    {
        CliRun.Result subnet = await RegisterSubnetAsync();
        Assert.True(subnet.ExitCode == 0, subnet.ToString());
        Assert.Contains("Subnet ID: 1", subnet.Output);
        Assert.Contains("--churn-limit is not part of this runtime's register_subnet", subnet.Error);

        string peer = Peer();
        CliRun.Result node = await Run("register-node", "--subnet_id", "1", "--hotkey", Hotkey, "--peer_id", peer, "--bootnode_peer_id", Peer(),
            "--bootnode", "/ip4/127.0.0.1/tcp/31330", "--client_peer_id", Peer(), "--delegate_reward_rate", "0.125", "--stake_to_be_added", "100.00",
            "--max_burn_amount", "100.00", "--private_key", Alith);
        Assert.True(node.ExitCode == 0, node.ToString());
        Assert.Contains("Subnet node ID: 1", node.Output);
        Assert.Contains("Class: Validator from subnet epoch 0", node.Output);

        CliRun.Result activate = await Run("activate-node", "--subnet_id", "1", "--hotkey", Hotkey);
        Assert.True(activate.ExitCode == 0, activate.ToString());
        Assert.Contains("no activate_subnet_node call", activate.Output);
        Assert.Contains("Active: yes", activate.Output);

        CliRun.Result add = await Run("stake", "add", "--subnet_id", "1", "--subnet_node_id", "1", "--hotkey", Hotkey, "--stake_to_be_added", "0.5", "--private_key", Alith);
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("100.5 TENSOR", add.Output);
        CliRun.Result remove = await Run("stake", "remove", "--subnet_id", "1", "--hotkey", Hotkey, "--stake_to_be_removed", "0.5", "--private_key", Alith);
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Contains(": 100 TENSOR", remove.Output);
        CliRun.Result tooMuch = await Run("stake", "remove", "--subnet_id", "1", "--hotkey", Hotkey, "--stake_to_be_removed", "50", "--private_key", Alith);
        Assert.Equal(1, tooMuch.ExitCode);
        Assert.Contains("Network.MinStakeNotReached", tooMuch.Error);

        CliRun.Result info = await Run("subnet", "info", "--subnet_id", "1");
        Assert.True(info.ExitCode == 0, info.ToString());
        Assert.Contains("Subnet 1: subnet-1 (github.com/subnet-1)", info.Output);
        Assert.Contains("State: Registered", info.Output);
        Assert.Contains(peer, info.Output);
        CliRun.Result json = await Run("node", "info", "--subnet_id", "1", "--subnet_node_id", "1", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Contains($"\"peer_id\":\"{peer}\"", json.Output);
        Assert.Contains("\"stake\":\"100\"", json.Output);
        Assert.Contains("\"proof_of_stake\":true", json.Output);
        Assert.Contains("\"bootnode\":\"/ip4/127.0.0.1/tcp/31330\"", json.Output);

        // The chain's refusals are one line with the pallet's error name, exit 1.
        CliRun.Result again = await RegisterSubnetAsync();
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("Network.SubnetNameExist", again.Error);
        CliRun.Result missing = await Run("node", "info", "--subnet_id", "1", "--subnet_node_id", "9");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("has no node 9", missing.Error);
    }

    [Fact]
    public async Task A_queued_node_is_reported_as_not_yet_active()
    {
        LocalHypertensor chain = LocalHypertensor.Open(new LocalChainOptions { DatabasePath = Db });
        chain.EnsureSubnet(1, Mesh.Node.Chain.Signing.EthereumKeyPair.FromPrivateKeyHex(Alith).Address);
        CliRun.Result node = await Run("register-node", "--subnet_id", "1", "--hotkey", Hotkey, "--peer_id", Peer(), "--bootnode_peer_id", Peer(),
            "--client_peer_id", Peer(), "--stake_to_be_added", "100", "--private_key", Alith);
        Assert.True(node.ExitCode == 0, node.ToString());
        Assert.Contains("Class: Registered", node.Output);
        CliRun.Result activate = await Run("activate-node", "--subnet_id", "1", "--subnet_node_id", "1");
        Assert.Equal(1, activate.ExitCode);
        Assert.Contains("Active: not yet", activate.Output);
        Assert.Equal(NodeClass.Registered, (await chain.GetSubnetNodeAsync(1, 1, TestContext.Current.CancellationToken))!.Class);
    }

    public static TheoryData<string[], string> BadLines => new()
    {
        { ["register-node", "--subnet_id", "1", "--hotkey", "0xbad", "--peer_id", "a", "--bootnode_peer_id", "b", "--client_peer_id", "c", "--stake_to_be_added", "1", "--private_key", Alith], "--hotkey '0xbad' is not an account" },
        { ["register-node", "--subnet_id", "1", "--hotkey", Hotkey, "--peer_id", "nope", "--bootnode_peer_id", "b", "--client_peer_id", "c", "--stake_to_be_added", "1", "--private_key", Alith], "--peer_id 'nope' is not a peer id" },
        { ["stake", "add", "--subnet_id", "1", "--subnet_node_id", "1", "--hotkey", Hotkey, "--stake_to_be_added", "1.0000000000000000001", "--private_key", Alith], "more than 18 decimals" },
        { ["stake", "add", "--subnet_id", "1", "--subnet_node_id", "1", "--hotkey", Hotkey, "--stake_to_be_added", "-1", "--private_key", Alith], "is not a TENSOR amount" },
        { ["stake", "remove", "--subnet_id", "1", "--hotkey", Hotkey, "--stake_to_be_removed", "1"], "give --private_key or --phrase" },
        { ["stake", "remove", "--subnet_id", "1", "--hotkey", Hotkey, "--stake_to_be_removed", "1", "--private_key", Alith, "--phrase", "a b c"], "either --private_key or --phrase" },
        { ["stake", "remove", "--subnet_id", "1", "--hotkey", Hotkey, "--stake_to_be_removed", "1", "--private_key", "0x1234"], "--private_key is not a secp256k1 private key" },
        { ["stake", "remove", "--subnet_id", "1", "--hotkey", Hotkey, "--stake_to_be_removed", "1", "--phrase", "not a mnemonic at all"], "not a valid BIP39 mnemonic" },
        { ["register-node", "--subnet_id", "1", "--hotkey", Hotkey, "--peer_id", "12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h", "--bootnode_peer_id", "12D3KooWEkevMFNjRRqyzbkSgujbrnSrExG9D2YERipcUaJMRsFk", "--client_peer_id", "12D3KooWM9Qtjr4JiW6CcxGUT8a184N84NpG81pwqHcGzS9K6mRb", "--stake_to_be_added", "1", "--delegate_reward_rate", "1.5", "--private_key", Alith], "must be between 0 and 1" },
        { ["activate-node", "--subnet_id", "1"], "either --subnet_node_id or --hotkey" },
        { ["register-subnet", "--max_cost", "1", "--name", "n", "--repo", "r", "--initial_coldkeys", "0x1", "--bootnodes", "b", "--private_key", Alith], "--initial_coldkeys '0x1' is not an account" },
        { ["subnet", "info"], "--subnet-id" },
        { ["register-subnet", "--max_cost", "1", "--name", "n", "--repo", "r", "--initial_coldkeys", "0xf24FF3a9CF04c71Dbc94D0b566f7A27B94566cac", "--bootnodes", "b", "--key_types", "Dsa", "--private_key", Alith], "is not a key type" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public async Task Every_bad_flag_is_one_readable_line_and_exit_2(string[] args, string expected)
    {
        CliRun.Result result = await Run(args);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Error);
        Assert.DoesNotContain("   at ", result.Error); // no stack trace
    }

    [Fact]
    public async Task Conflicting_chain_flags_and_bad_urls_are_usage_errors_and_an_unreachable_chain_is_one_line()
    {
        CliRun.Result both = await CliRun.RunAsync("subnet", "info", "--subnet_id", "1", "--rpc_url", "ws://127.0.0.1:9", "--local_rpc");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("only one of --rpc_url, --local_rpc, --live_rpc and --no_blockchain_rpc", both.Error);
        CliRun.Result url = await CliRun.RunAsync("subnet", "info", "--subnet_id", "1", "--rpc_url", "ftp://x");
        Assert.Equal(2, url.ExitCode);
        Assert.Contains("is not a chain endpoint", url.Error);
        CliRun.Result down = await CliRun.RunAsync("subnet", "info", "--subnet_id", "1", "--rpc_url", "ws://127.0.0.1:1");
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("cannot reach the chain", down.Error);
        Assert.Single(down.Error.Trim().Split('\n'));
    }
}
