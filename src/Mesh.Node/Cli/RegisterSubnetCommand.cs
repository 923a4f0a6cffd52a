using System.CommandLine;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Hosting;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh register-subnet</c> (the seed README's <c>register-subnet</c>): <c>Network.register_subnet</c> signed by the
/// future owner. Amounts are TENSOR with 18 decimals (<c>--max_cost 100.00</c>), <c>--delegate_stake_percentage</c> a
/// fraction (<c>0.1</c>). The seed's <c>--churn_limit</c>, queue/classification epochs, <c>--max_node_penalties</c> and
/// <c>--max_registered_nodes</c> are accepted for compatibility; this runtime's <c>RegistrationSubnetData</c> has no
/// such fields (the owner sets them later with <c>owner_update_*</c>), so they are reported and not sent.
/// Prints <c>Subnet ID: N</c>.
/// </summary>
internal static class RegisterSubnetCommand
{
    public static Command Create()
    {
        var chain = new ChainCommandOptions();
        Option<string> maxCost = Required("--max-cost", "Most TENSOR the registration may cost.");
        Option<string> name = Required("--name", "Subnet name (unique).");
        Option<string> repo = Required("--repo", "Subnet repository (unique).");
        Option<string> description = CliOption.Create<string>("--description", "Description.");
        Option<string> misc = CliOption.Create<string>("--misc", "Anything else.");
        Option<string> minStake = CliOption.Create<string>("--min-stake", "Minimum node stake in TENSOR (at least 100).");
        minStake.DefaultValueFactory = _ => "100";
        Option<string> maxStake = CliOption.Create<string>("--max-stake", "Maximum node stake in TENSOR.");
        maxStake.DefaultValueFactory = _ => "1000";
        Option<string> delegatePercentage = CliOption.Create<string>("--delegate-stake-percentage", "Share of rewards to delegators, 0..1.");
        delegatePercentage.DefaultValueFactory = _ => "0.1";
        Option<string[]> coldkeys = CliOption.List("--initial-coldkeys", "Coldkeys allowed to register nodes before activation (at least 3).");
        coldkeys.Required = true;
        Option<string[]> keyTypes = CliOption.List("--key-types", "Peer key types nodes may use: Rsa, Ed25519.");
        Option<string[]> bootnodes = CliOption.List("--bootnodes", "The subnet's bootnode multiaddrs (at least one).");
        bootnodes.Required = true;
        Option<string?>[] ignored = [.. new[] { "--churn-limit", "--subnet-node-queue-epochs", "--idle-classification-epochs", "--included-classification-epochs",
            "--max-node-penalties", "--max-registered-nodes" }.Select(n => CliOption.Create<string?>(n, "Accepted for the seed CLI; not a register_subnet field on this runtime."))];
        var command = new Command("register-subnet", "Register a subnet on Hypertensor (Network.register_subnet), signed by the owner.")
        {
            maxCost, name, repo, description, misc, minStake, maxStake, delegatePercentage, coldkeys, keyTypes, bootnodes,
        };
        foreach (Option<string?> o in ignored)
        {
            command.Options.Add(o);
        }
        chain.AddTo(command);
        CliOption.SetAction(command, async (parse, ct) =>
        {
            EnvironmentSettings env = EnvironmentSettings.Load();
            EthereumKeyPair owner = chain.Signer(parse, env, required: true)!;
            var registration = new SubnetRegistration(
                parse.GetRequiredValue(name), parse.GetRequiredValue(repo), parse.GetValue(description) ?? "", parse.GetValue(misc) ?? "",
                ChainArguments.Amount(parse.GetValue(minStake), "--min_stake"), ChainArguments.Amount(parse.GetValue(maxStake), "--max_stake"),
                ChainArguments.Fraction(parse.GetValue(delegatePercentage), "--delegate_stake_percentage"),
                (parse.GetValue(coldkeys) ?? []).Select(c => ChainArguments.Account(c, "--initial_coldkeys")).Distinct().ToDictionary(a => a, _ => 1u),
                [.. (parse.GetValue(keyTypes) ?? ["Ed25519"]).Select(ParseKeyType)],
                [.. parse.GetValue(bootnodes) ?? []]);
            UInt128 cost = ChainArguments.Amount(parse.GetValue(maxCost), "--max_cost");
            TextWriter error = CliOption.Error(parse);
            foreach (Option<string?> o in ignored.Where(o => parse.GetValue(o) is not null))
            {
                error.WriteLine($"mesh register-subnet: note: {o.Name} is not part of this runtime's register_subnet; set it with the owner_update calls after registration");
            }
            await using ChainSession session = await chain.OpenAsync(parse, env, owner, ct);
            uint id = await session.Admin.RegisterSubnetAsync(owner, registration, cost, ct);
            SubnetInfo? subnet = await session.Chain.GetSubnetAsync(id, ct);
            TextWriter output = CliOption.Out(parse);
            output.WriteLine($"Subnet ID: {id}");
            output.WriteLine($"Owner: {owner.Address}");
            output.WriteLine($"State: {subnet?.State}, slot {subnet?.Slot}");
            return CliExit.Success;
        });
        return command;
    }

    private static Option<string> Required(string name, string description)
    {
        Option<string> option = CliOption.Create<string>(name, description);
        option.Required = true;
        return option;
    }

    private static SubnetKeyType ParseKeyType(string text) =>
        Enum.TryParse(text.Trim(), ignoreCase: true, out SubnetKeyType type) && Enum.IsDefined(type) ? type
            : throw new CliUsageException($"--key_types '{text}' is not a key type: use Rsa, Ed25519, Secp256k1 or Ecdsa");
}
