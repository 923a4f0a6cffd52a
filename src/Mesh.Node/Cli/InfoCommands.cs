using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Hosting;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh subnet info --subnet_id S [--json]</c> and <c>mesh node info --subnet_id S --subnet_node_id N [--json]</c>:
/// chain reads an operator needs (state, slot, epochs, stakes, nodes with class and start epoch, the current elected
/// validator). Text by default; <c>--json</c> for scripts. Exit 1 when the subnet or node does not exist.
/// </summary>
internal static class InfoCommands
{
    public static Command CreateSubnet()
    {
        var chain = new ChainCommandOptions();
        Option<uint> subnetId = CliOption.Create<uint>("--subnet-id", "The subnet.");
        subnetId.Required = true;
        Option<bool> json = CliOption.Flag("--json", "Print one JSON object.");
        var info = new Command("info", "Show a subnet: state, slot, epoch, stake bounds and nodes.") { subnetId, json };
        chain.AddTo(info);
        CliOption.SetAction(info, async (parse, ct) =>
        {
            EnvironmentSettings env = EnvironmentSettings.Load();
            uint id = parse.GetValue(subnetId);
            await using ChainSession session = await chain.OpenAsync(parse, env, null, ct);
            SubnetInfo? subnet = await session.Chain.GetSubnetAsync(id, ct);
            TextWriter output = CliOption.Out(parse);
            if (subnet is null)
            {
                CliOption.Error(parse).WriteLine($"mesh subnet info: subnet {id} does not exist on {session.Description}");
                return CliExit.Failure;
            }
            ChainClock clock = await session.Chain.GetClockAsync(id, ct);
            IReadOnlyList<SubnetNode> nodes = await session.Chain.GetSubnetNodesAsync(id, ct);
            uint? elected = await session.Chain.GetElectedValidatorAsync(id, clock.SubnetEpoch, ct);
            var report = new SubnetReport(subnet.Id, subnet.Name, subnet.Repo, subnet.Description, subnet.State.ToString(),
                subnet.StartEpoch == uint.MaxValue ? null : subnet.StartEpoch, subnet.Owner?.ToString(), subnet.Slot, Tensor.Format(subnet.MinStake),
                Tensor.Format(subnet.MaxStake), clock.Block, clock.SubnetEpoch, Math.Round(clock.SubnetEpochProgress, 4), elected,
                [.. nodes.Select(NodeReport.From)]);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(report, InfoJsonContext.Default.SubnetReport));
                return CliExit.Success;
            }
            output.WriteLine($"Subnet {report.Id}: {report.Name} ({report.Repo})");
            output.WriteLine($"State: {report.State}{(report.StartEpoch is uint s ? $", active from subnet epoch {s}" : "")}");
            output.WriteLine($"Owner: {report.Owner}");
            output.WriteLine($"Slot: {report.Slot}; block {report.Block}, subnet epoch {report.SubnetEpoch} ({report.EpochProgress:P0} done)");
            output.WriteLine($"Stake per node: {report.MinStake} to {report.MaxStake} TENSOR");
            output.WriteLine($"Elected validator this epoch: {(elected is uint e ? e.ToString() : "none")}");
            output.WriteLine($"Nodes: {nodes.Count}");
            foreach (NodeReport n in report.Nodes)
            {
                output.WriteLine($"  {n.Id}  {n.Class,-10} from epoch {n.StartEpoch,-6} {n.PeerId}  hotkey {n.Hotkey}");
            }
            return CliExit.Success;
        });
        var subnetCommand = new Command("subnet", "Subnet reads.");
        subnetCommand.Subcommands.Add(info);
        return subnetCommand;
    }

    public static Command CreateNode()
    {
        var chain = new ChainCommandOptions();
        Option<uint> subnetId = CliOption.Create<uint>("--subnet-id", "The subnet.");
        subnetId.Required = true;
        Option<uint> nodeId = CliOption.Create<uint>("--subnet-node-id", "The node.");
        nodeId.Required = true;
        Option<bool> json = CliOption.Flag("--json", "Print one JSON object.");
        var info = new Command("info", "Show a subnet node: peer ids, class, start epoch, stake, proof of stake.") { subnetId, nodeId, json };
        chain.AddTo(info);
        CliOption.SetAction(info, async (parse, ct) =>
        {
            EnvironmentSettings env = EnvironmentSettings.Load();
            uint subnet = parse.GetValue(subnetId), id = parse.GetValue(nodeId);
            await using ChainSession session = await chain.OpenAsync(parse, env, null, ct);
            SubnetNode? node = await session.Chain.GetSubnetNodeAsync(subnet, id, ct);
            if (node is null)
            {
                CliOption.Error(parse).WriteLine($"mesh node info: subnet {subnet} has no node {id} on {session.Description}");
                return CliExit.Failure;
            }
            UInt128 stake = await session.Chain.GetStakeAsync(subnet, node.Hotkey, ct);
            bool staked = await session.Chain.ProofOfStakeAsync(subnet, node.PeerId, NodeClass.Registered, ct);
            NodeReport report = NodeReport.From(node) with { Stake = Tensor.Format(stake), ProofOfStake = staked };
            TextWriter output = CliOption.Out(parse);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(report, InfoJsonContext.Default.NodeReport));
                return CliExit.Success;
            }
            output.WriteLine($"Subnet node {report.Id} of subnet {subnet}");
            output.WriteLine($"Hotkey: {report.Hotkey}");
            output.WriteLine($"Peer ID: {report.PeerId}");
            output.WriteLine($"Bootnode peer ID: {report.BootnodePeerId}");
            output.WriteLine($"Client peer ID: {report.ClientPeerId}");
            output.WriteLine($"Bootnode: {report.Bootnode ?? "none"}");
            output.WriteLine($"Class: {report.Class} from subnet epoch {report.StartEpoch}");
            output.WriteLine($"Stake: {report.Stake} TENSOR; proof of stake: {(staked ? "yes" : "no")}");
            return CliExit.Success;
        });
        var nodeCommand = new Command("node", "Subnet node reads.");
        nodeCommand.Subcommands.Add(info);
        return nodeCommand;
    }
}

internal sealed record NodeReport(uint Id, string Hotkey, string PeerId, string BootnodePeerId, string ClientPeerId, string? Bootnode, string Class,
    uint StartEpoch, string? Stake = null, bool? ProofOfStake = null)
{
    public static NodeReport From(SubnetNode n) =>
        new(n.Id, n.Hotkey.ToString(), n.PeerId, n.BootnodePeerId, n.ClientPeerId, n.Bootnode, n.Class.ToString(), n.StartEpoch);
}

internal sealed record SubnetReport(uint Id, string Name, string Repo, string Description, string State, uint? StartEpoch, string? Owner, uint? Slot,
    string MinStake, string MaxStake, ulong Block, uint SubnetEpoch, double EpochProgress, uint? ElectedValidator, IReadOnlyList<NodeReport> Nodes);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SubnetReport))]
[JsonSerializable(typeof(NodeReport))]
internal sealed partial class InfoJsonContext : JsonSerializerContext;
