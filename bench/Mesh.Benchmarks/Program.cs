using BenchmarkDotNet.Running;

namespace Mesh.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "hold-connections")
        {
            return Transport.IdleConnectionHolder.RunAsync(args[1..]).GetAwaiter().GetResult();
        }
        if (args.Length > 0 && args[0] == "dht-lookups")
        {
            return Kademlia.DhtLookupRun.RunAsync(args[1..]).GetAwaiter().GetResult();
        }
        // "--full" selects BenchmarkDotNet's default (longer, tighter) job; the short job is the default here.
        bool full = args.Contains("--full");
        string[] rest = args.Where(a => a != "--full").ToArray();
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, new BenchConfig(shortRun: !full));
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
