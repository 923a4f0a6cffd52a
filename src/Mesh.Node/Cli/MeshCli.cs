using System.CommandLine;

namespace Mesh.Node.Cli;

/// <summary>
/// The <c>mesh</c> command line: one root command, one verb per file in this folder. Each verb's <c>Create()</c>
/// returns its <see cref="Command"/>; add new verbs to <see cref="CreateRootCommand"/> with one line.
/// </summary>
public static class MeshCli
{
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("MeshCore: libp2p host, Kademlia DHT and Hypertensor subnet node.")
        {
            PingCommand.Create(),
            PerfCommand.Create(),
        };
        return root;
    }
}
