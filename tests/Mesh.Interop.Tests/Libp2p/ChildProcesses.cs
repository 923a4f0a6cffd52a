using System.Diagnostics;

namespace Mesh.Interop.Tests.Libp2p;

/// <summary>
/// Every child process a test started, killed (with its whole tree) when the test host exits, so a test that failed
/// before its Dispose never leaves a node or a server behind.
/// </summary>
internal static class ChildProcesses
{
    private static readonly HashSet<Process> s_live = [];

    static ChildProcesses()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    public static void Track(Process process)
    {
        lock (s_live)
        {
            s_live.Add(process);
        }
    }

    public static void Untrack(Process process)
    {
        lock (s_live)
        {
            s_live.Remove(process);
        }
    }

    private static void KillAll()
    {
        Process[] all;
        lock (s_live)
        {
            all = [.. s_live];
        }
        foreach (Process p in all)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }
}
