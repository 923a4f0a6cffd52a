namespace Mesh.Node.Cli;

/// <summary>The exit codes every verb uses (see <see cref="MeshCli"/>).</summary>
public static class CliExit
{
    public const int Success = 0;

    /// <summary>The operation failed: a file, the network or the chain said no.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: an unknown, malformed or conflicting flag.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted by SIGINT/SIGTERM before the operation finished (128 + SIGINT).</summary>
    public const int Interrupted = 130;
}
