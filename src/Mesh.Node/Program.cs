using Mesh.Node.Cli;

namespace Mesh.Node;

public static class Program
{
    public static Task<int> Main(string[] args) => MeshCli.RunAsync(args);
}
