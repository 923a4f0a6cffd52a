using Mesh.Interop.Tests.Chain;
using Mesh.Node.Cli;
using Mesh.Transport.Identity;

namespace Mesh.Interop.Tests.Node;

/// <summary>
/// The chain verbs against the real Hypertensor runtime under chopsticks, with the seed README's flags: register a
/// subnet, register three nodes with their coldkeys, read them back (text and JSON), report activation, add stake,
/// and see the runtime refuse an early stake removal by its error name.
/// </summary>
[Collection("chopsticks")]
public sealed class ChainVerbsOnRuntimeTests(ChopsticksFixture chain, ITestOutputHelper output)
{
    private async Task<(int Exit, string Out, string Err)> MeshAsync(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int exit = await MeshCli.RunAsync([.. args, "--rpc_url", chain.WebSocketUri.ToString()], o, e);
        output.WriteLine($"$ mesh {string.Join(' ', args)}\n{o}{e}exit {exit}");
        return (exit, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task Register_subnet_and_nodes_read_them_back_and_stake()
    {
        chain.Require();
        string name = "verbs-" + Guid.NewGuid().ToString("N")[..8];
        var reg = await MeshAsync("register-subnet", "--max_cost", "1000", "--name", name, "--repo", "https://example.invalid/" + name,
            "--description", "verbs test", "--min_stake", "100.00", "--max_stake", "1000", "--delegate_stake_percentage", "0.1",
            "--initial_coldkeys", RuntimeAccounts.Alith.Address.ToString(), RuntimeAccounts.Baltathar.Address.ToString(), RuntimeAccounts.Charleth.Address.ToString(),
            "--key_types", "Ed25519", "--bootnodes", "/ip4/127.0.0.1/tcp/31330/p2p/12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h",
            "--private_key", RuntimeAccounts.AlithKey);
        Assert.True(reg.Exit == 0, reg.Err);
        string subnetId = reg.Out.Split('\n')[0]["Subnet ID: ".Length..].Trim();
        Assert.Contains("State: Registered", reg.Out);

        string[] coldkeys = [RuntimeAccounts.AlithKey, RuntimeAccounts.BaltatharKey, RuntimeAccounts.CharlethKey];
        var hotkeys = new string[3];
        var ids = new string[3];
        string firstPeer = "";
        for (int i = 0; i < 3; i++)
        {
            hotkeys[i] = RuntimeAccounts.FreshKey().Address.ToString();
            string[] peers = [.. Enumerable.Range(0, 3).Select(_ => PrivateKey.Generate(KeyType.Ed25519).PeerId.ToString())];
            firstPeer = i == 0 ? peers[0] : firstPeer;
            var node = await MeshAsync("register-node", "--subnet_id", subnetId, "--hotkey", hotkeys[i], "--peer_id", peers[0], "--bootnode_peer_id", peers[1],
                "--client_peer_id", peers[2], "--delegate_reward_rate", "0.125", "--stake_to_be_added", "100.00", "--max_burn_amount", "100.00",
                "--private_key", coldkeys[i]);
            Assert.True(node.Exit == 0, node.Err);
            ids[i] = node.Out.Split('\n')[0]["Subnet node ID: ".Length..].Trim();
            Assert.Contains("Class: Validator", node.Out); // a registering subnet activates its nodes at once
            Assert.Contains("Stake: 100 TENSOR", node.Out);
        }

        var info = await MeshAsync("subnet", "info", "--subnet_id", subnetId);
        Assert.True(info.Exit == 0, info.Err);
        Assert.Contains($"{name} (https://example.invalid/{name})", info.Out);
        Assert.Contains("Nodes: 3", info.Out);
        var json = await MeshAsync("node", "info", "--subnet_id", subnetId, "--subnet_node_id", ids[0], "--json");
        Assert.True(json.Exit == 0, json.Err);
        Assert.Contains($"\"peer_id\":\"{firstPeer}\"", json.Out);
        Assert.Contains("\"proof_of_stake\":true", json.Out);
        var activate = await MeshAsync("activate-node", "--subnet_id", subnetId, "--hotkey", hotkeys[0]);
        Assert.True(activate.Exit == 0, activate.Err + activate.Out);
        Assert.Contains("Active: yes", activate.Out);

        var add = await MeshAsync("stake", "add", "--subnet_id", subnetId, "--subnet_node_id", ids[2], "--hotkey", hotkeys[2], "--stake_to_be_added", "10",
            "--private_key", RuntimeAccounts.CharlethKey);
        Assert.True(add.Exit == 0, add.Err);
        Assert.Contains(": 110 TENSOR", add.Out);
        var remove = await MeshAsync("stake", "remove", "--subnet_id", subnetId, "--hotkey", hotkeys[2], "--stake_to_be_removed", "10",
            "--private_key", RuntimeAccounts.CharlethKey);
        Assert.Equal(1, remove.Exit);
        Assert.Contains("Network.MinActiveNodeStakeEpochs", remove.Err);
        var wrongOwner = await MeshAsync("stake", "add", "--subnet_id", subnetId, "--subnet_node_id", ids[2], "--hotkey", hotkeys[2], "--stake_to_be_added", "1",
            "--private_key", RuntimeAccounts.BaltatharKey);
        Assert.Equal(1, wrongOwner.Exit);
        Assert.Contains("the chain refused the transaction: Network.", wrongOwner.Err);
    }
}
