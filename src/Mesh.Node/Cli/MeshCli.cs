using System.CommandLine;
using System.CommandLine.Help;
using Mesh.Node.Hosting;

namespace Mesh.Node.Cli;

/// <summary>
/// The <c>mesh</c> command line: one root command, one verb per file in this folder. Each verb's <c>Create()</c>
/// returns its <see cref="Command"/>; add new verbs to <see cref="CreateRootCommand"/> with one line.
/// </summary>
/// <remarks>
/// Exit codes: 0 success; 1 the operation failed (a file, the network or the chain said no); 2 the command line is
/// wrong (unknown or malformed flag, conflicting flags); 130 interrupted by SIGINT/SIGTERM before it finished. Long
/// running verbs (a node) exit 0 after a graceful shutdown on SIGINT/SIGTERM.
/// </remarks>
public static class MeshCli
{
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("MeshCore: libp2p host, Kademlia DHT and Hypertensor subnet node.")
        {
            PingCommand.Create(),
            PerfCommand.Create(),
            KeygenCommand.Create(),
            KeyviewCommand.Create(),
            KadCommand.Create(),
            DhtCommand.Create(),
            GetCommand.Create(),
            StoreCommand.Create(),
            RegisterSubnetCommand.Create(),
            RegisterNodeCommand.Create(),
            ActivateNodeCommand.Create(),
            StakeCommand.Create(),
            InfoCommands.CreateSubnet(),
            InfoCommands.CreateNode(),
            ServerCommand.Create(Subnet.MeshSubnetDht.CreateAsync),
        };
        return root;
    }

    /// <summary>
    /// Parses and runs one command line. Parse errors are printed as <c>mesh: …</c> lines (exit 2); SIGINT/SIGTERM
    /// cancel the token every verb receives (the first signal asks for a graceful stop, a second one kills the
    /// process).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        RootCommand root = CreateRootCommand();
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            // The full path of nested verbs ("mesh kad get"), so the hint names a command that exists.
            string verb = string.Join(' ', ["mesh", .. CommandPath(parse.CommandResult).Skip(1)]);
            foreach (System.CommandLine.Parsing.ParseError e in parse.Errors)
            {
                await error.WriteLineAsync($"{verb}: {e.Message}");
            }
            await error.WriteLineAsync($"Run '{verb} --help' for usage.");
            return CliExit.Usage;
        }
        using var shutdown = ShutdownSignal.Register();
        // Our own SIGINT/SIGTERM handling (ShutdownSignal) replaces System.CommandLine's, which would force an exit
        // after 2 s: a node needs the time to leave the swarm cleanly.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null, Output = output, Error = error };
        return await parse.InvokeAsync(invocation, shutdown.Token);
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result) =>
        result.Parent is System.CommandLine.Parsing.CommandResult parent ? [.. CommandPath(parent), result.Command.Name] : [result.Command.Name];
}
