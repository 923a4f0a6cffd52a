using System.CommandLine;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Hosting;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh stake add --subnet_id S --subnet_node_id N --hotkey H --stake_to_be_added T</c> (<c>Network.add_stake</c>) and
/// <c>mesh stake remove --subnet_id S --hotkey H --stake_to_be_removed T</c> (<c>Network.remove_stake</c>; the stake
/// then unbonds), both signed by the node's coldkey; amounts in TENSOR. Each prints the hotkey's stake afterwards.
/// </summary>
internal static class StakeCommand
{
    public static Command Create()
    {
        var stake = new Command("stake", "Add or remove a subnet node's stake (signed by its coldkey).");
        stake.Subcommands.Add(CreateAdd());
        stake.Subcommands.Add(CreateRemove());
        return stake;
    }

    private static Command CreateAdd()
    {
        var chain = new ChainCommandOptions();
        Option<uint> subnetId = Uint("--subnet-id", "Subnet of the node.");
        Option<uint> nodeId = Uint("--subnet-node-id", "The node.");
        Option<string> hotkey = Text("--hotkey", "The node's hotkey.");
        Option<string> amount = Text("--stake-to-be-added", "TENSOR to add.");
        var command = new Command("add", "Network.add_stake: add stake to a node's hotkey.") { subnetId, nodeId, hotkey, amount };
        chain.AddTo(command);
        CliOption.SetAction(command, async (parse, ct) =>
        {
            EnvironmentSettings env = EnvironmentSettings.Load();
            EthereumKeyPair coldkey = chain.Signer(parse, env, required: true)!;
            AccountId20 hot = ChainArguments.Account(parse.GetValue(hotkey), "--hotkey");
            UInt128 wei = ChainArguments.Amount(parse.GetValue(amount), "--stake_to_be_added");
            await using ChainSession session = await chain.OpenAsync(parse, env, coldkey, ct);
            await session.Admin.AddStakeAsync(coldkey, parse.GetValue(subnetId), parse.GetValue(nodeId), hot, wei, ct);
            return await PrintStakeAsync(parse, session, parse.GetValue(subnetId), hot, ct);
        });
        return command;
    }

    private static Command CreateRemove()
    {
        var chain = new ChainCommandOptions();
        Option<uint> subnetId = Uint("--subnet-id", "Subnet of the stake.");
        Option<string> hotkey = Text("--hotkey", "The hotkey holding the stake.");
        Option<string> amount = Text("--stake-to-be-removed", "TENSOR to remove.");
        var command = new Command("remove", "Network.remove_stake: remove stake from a hotkey (it unbonds).") { subnetId, hotkey, amount };
        chain.AddTo(command);
        CliOption.SetAction(command, async (parse, ct) =>
        {
            EnvironmentSettings env = EnvironmentSettings.Load();
            EthereumKeyPair coldkey = chain.Signer(parse, env, required: true)!;
            AccountId20 hot = ChainArguments.Account(parse.GetValue(hotkey), "--hotkey");
            UInt128 wei = ChainArguments.Amount(parse.GetValue(amount), "--stake_to_be_removed");
            await using ChainSession session = await chain.OpenAsync(parse, env, coldkey, ct);
            await session.Admin.RemoveStakeAsync(coldkey, parse.GetValue(subnetId), hot, wei, ct);
            return await PrintStakeAsync(parse, session, parse.GetValue(subnetId), hot, ct);
        });
        return command;
    }

    private static async Task<int> PrintStakeAsync(ParseResult parse, ChainSession session, uint subnetId, AccountId20 hotkey, CancellationToken ct)
    {
        UInt128 now = await session.Chain.GetStakeAsync(subnetId, hotkey, ct);
        CliOption.Out(parse).WriteLine($"Stake of {hotkey} in subnet {subnetId}: {Tensor.Format(now)} TENSOR");
        return CliExit.Success;
    }

    private static Option<uint> Uint(string name, string description)
    {
        Option<uint> o = CliOption.Create<uint>(name, description);
        o.Required = true;
        return o;
    }

    private static Option<string> Text(string name, string description)
    {
        Option<string> o = CliOption.Create<string>(name, description);
        o.Required = true;
        return o;
    }
}
