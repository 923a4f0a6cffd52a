using System.CommandLine;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Hosting;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh activate-node</c>: the seed README's step "activate node". This runtime has no activation call (the Python
/// entry point points at a module that does not exist, mesh-reference §10 item 8): a node is activated by the chain
/// itself, at once while the subnet is registering, through the registration queue once it is active. So the verb
/// says where the node stands: its class, the subnet epoch it holds that class from, the current epoch, and whether
/// it passes proof of stake yet. Exit 0 when the node is active (class ≥ Idle from an epoch that has begun), 1 while
/// it is not yet.
/// </summary>
internal static class ActivateNodeCommand
{
    public static Command Create()
    {
        var chain = new ChainCommandOptions();
        Option<uint> subnetId = CliOption.Create<uint>("--subnet-id", "Subnet of the node.");
        subnetId.Required = true;
        Option<uint?> nodeId = CliOption.Create<uint?>("--subnet-node-id", "The node id (or give --hotkey).");
        Option<string?> hotkey = CliOption.Create<string?>("--hotkey", "The node's hotkey (when the id is not known).");
        var command = new Command("activate-node", "Report a node's activation: its class and the epoch it is active from (the runtime activates nodes itself).")
        {
            subnetId, nodeId, hotkey,
        };
        chain.AddTo(command);
        CliOption.SetAction(command, async (parse, ct) =>
        {
            EnvironmentSettings env = EnvironmentSettings.Load();
            uint subnet = parse.GetValue(subnetId);
            uint? id = parse.GetValue(nodeId);
            string? hot = parse.GetValue(hotkey);
            if (id is null == (hot is null))
            {
                throw new CliUsageException("give either --subnet_node_id or --hotkey");
            }
            await using ChainSession session = await chain.OpenAsync(parse, env, chain.Signer(parse, env, required: false), ct);
            id ??= await session.Chain.GetSubnetNodeIdAsync(subnet, ChainArguments.Account(hot, "--hotkey"), ct)
                ?? throw new CliUsageException($"hotkey {hot} has no node in subnet {subnet}");
            SubnetNode node = await session.Chain.GetSubnetNodeAsync(subnet, id.Value, ct)
                ?? throw new CliUsageException($"subnet {subnet} has no node {id}");
            ChainClock clock = await session.Chain.GetClockAsync(subnet, ct);
            bool active = node.HasClassification(NodeClass.Idle, clock.SubnetEpoch);
            bool staked = await session.Chain.ProofOfStakeAsync(subnet, node.PeerId, NodeClass.Idle, ct);
            TextWriter output = CliOption.Out(parse);
            output.WriteLine("This runtime has no activate_subnet_node call: the chain activates registered nodes itself.");
            output.WriteLine($"Subnet node {id}: class {node.Class} from subnet epoch {node.StartEpoch}; current subnet epoch {clock.SubnetEpoch} (block {clock.Block})");
            output.WriteLine(active
                ? $"Active: yes. Proof of stake (min class Idle): {(staked ? "passes" : "does not pass")}."
                : $"Active: not yet; it will be from subnet epoch {Math.Max(node.StartEpoch, clock.SubnetEpoch + (node.Class < NodeClass.Idle ? 1u : 0u))} (class Idle or better). Keep the node running; it joins on its own.");
            return active ? CliExit.Success : CliExit.Failure;
        });
        return command;
    }
}
