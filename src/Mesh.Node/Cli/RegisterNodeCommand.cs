using System.CommandLine;
using System.Text;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Hosting;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh register-node</c> (the seed README's <c>register-node</c>): <c>Network.register_subnet_node</c> signed by the
/// coldkey, with the node's hotkey, its three peer ids (main, bootnode, client), optional bootnode multiaddr, delegate
/// reward rate (a fraction) and stake (TENSOR). Prints <c>Subnet node ID: N</c> and the class the node starts with.
/// </summary>
internal static class RegisterNodeCommand
{
    public static Command Create()
    {
        var chain = new ChainCommandOptions();
        Option<uint> subnetId = CliOption.Create<uint>("--subnet-id", "Subnet to join.");
        subnetId.Required = true;
        Option<string> hotkey = CliOption.Create<string>("--hotkey", "The node's hotkey account (signs its consensus transactions).");
        hotkey.Required = true;
        Option<string> peerId = CliOption.Create<string>("--peer-id", "The node's peer id.");
        peerId.Required = true;
        Option<string> bootnodePeerId = CliOption.Create<string>("--bootnode-peer-id", "The node's bootnode peer id.");
        bootnodePeerId.Required = true;
        Option<string> clientPeerId = CliOption.Create<string>("--client-peer-id", "The node's client peer id.");
        clientPeerId.Required = true;
        Option<string?> bootnode = CliOption.Create<string?>("--bootnode", "The node's bootnode multiaddr (optional).");
        Option<string> rewardRate = CliOption.Create<string>("--delegate-reward-rate", "Share of the node's rewards to its delegators, 0..1.");
        rewardRate.DefaultValueFactory = _ => "0";
        Option<string> stake = CliOption.Create<string>("--stake-to-be-added", "Stake in TENSOR (at least the subnet's minimum).");
        stake.Required = true;
        Option<string> maxBurn = CliOption.Create<string>("--max-burn-amount", "Most TENSOR the registration may burn.");
        maxBurn.DefaultValueFactory = _ => "100";
        Option<string?> unique = CliOption.Create<string?>("--unique", "A value unique to this node in the subnet (optional).");
        Option<string?> nonUnique = CliOption.Create<string?>("--non-unique", "Any value (optional).");
        var command = new Command("register-node", "Register and stake a subnet node on Hypertensor (Network.register_subnet_node), signed by the coldkey.")
        {
            subnetId, hotkey, peerId, bootnodePeerId, clientPeerId, bootnode, rewardRate, stake, maxBurn, unique, nonUnique,
        };
        chain.AddTo(command);
        CliOption.SetAction(command, async (parse, ct) =>
        {
            EnvironmentSettings env = EnvironmentSettings.Load();
            EthereumKeyPair coldkey = chain.Signer(parse, env, required: true)!;
            var registration = new SubnetNodeRegistration(
                parse.GetValue(subnetId),
                ChainArguments.Account(parse.GetValue(hotkey), "--hotkey"),
                ChainArguments.PeerIdText(parse.GetValue(peerId), "--peer_id"),
                ChainArguments.PeerIdText(parse.GetValue(bootnodePeerId), "--bootnode_peer_id"),
                ChainArguments.PeerIdText(parse.GetValue(clientPeerId), "--client_peer_id"),
                ChainArguments.Amount(parse.GetValue(stake), "--stake_to_be_added"),
                ChainArguments.Amount(parse.GetValue(maxBurn), "--max_burn_amount"),
                parse.GetValue(bootnode),
                ChainArguments.Fraction(parse.GetValue(rewardRate), "--delegate_reward_rate"),
                parse.GetValue(unique) is string u ? Encoding.UTF8.GetBytes(u) : null,
                parse.GetValue(nonUnique) is string n ? Encoding.UTF8.GetBytes(n) : null);
            await using ChainSession session = await chain.OpenAsync(parse, env, coldkey, ct);
            uint id = await session.Admin.RegisterSubnetNodeAsync(coldkey, registration, ct);
            SubnetNode? node = await session.Chain.GetSubnetNodeAsync(registration.SubnetId, id, ct);
            TextWriter output = CliOption.Out(parse);
            output.WriteLine($"Subnet node ID: {id}");
            if (node is not null)
            {
                output.WriteLine($"Class: {node.Class} from subnet epoch {node.StartEpoch}");
            }
            output.WriteLine($"Stake: {Tensor.Format(await session.Chain.GetStakeAsync(registration.SubnetId, registration.Hotkey, ct))} TENSOR");
            return CliExit.Success;
        });
        return command;
    }
}
