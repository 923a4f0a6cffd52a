using System.Diagnostics;
using System.Globalization;
using Mesh.Kademlia.Node;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// <c>dotnet run -c Release --project bench/Mesh.Benchmarks -- dht-lookups [--tcp-nodes 30] [--memory-nodes 1000]
/// [--lookups 500] [--allocation-types N]</c>: times every single lookup (Stopwatch, no averaging) in a loopback-TCP
/// swarm and an in-memory swarm and prints a markdown table of p50 / p99 latency and mean hops and RPCs per lookup,
/// for bench/RESULTS.md. With <c>--allocation-types N</c> each row is followed by the N types that took most of its
/// allocations (sampled, see <see cref="AllocationSampler"/>).
/// </summary>
internal static class DhtLookupRun
{
    public static async Task<int> RunAsync(string[] args)
    {
        int tcpNodes = Arg(args, "--tcp-nodes", 30), memoryNodes = Arg(args, "--memory-nodes", 1000), lookups = Arg(args, "--lookups", 500);
        int allocationTypes = Arg(args, "--allocation-types", 0);
        using AllocationSampler? sampler = allocationTypes > 0 ? new AllocationSampler() : null;
        var options = new DhtNodeOptions { CacheLocally = false, CacheNearest = 0, CacheRefreshBeforeExpiry = TimeSpan.Zero, ReuseGetRequests = false };
        Console.WriteLine("| swarm | operation | lookups | p50 | p99 | mean hops | RPCs per lookup | allocated per lookup (whole process) |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach ((int nodes, bool tcp) in new[] { (tcpNodes, true), (memoryNodes, false) })
        {
            if (nodes <= 1)
            {
                continue;
            }
            await using DhtBenchSwarm swarm = await DhtBenchSwarm.StartAsync(nodes, tcp, options: options);
            string name = tcp ? $"{nodes} nodes, loopback TCP" : $"{nodes} nodes, in memory";
            MsgValue[] keys = [.. Enumerable.Range(0, 64).Select(i => (MsgValue)$"key-{i}")];
            double expiration = DhtClock.System.Now + 3600;
            foreach (MsgValue key in keys)
            {
                await swarm.Nodes[0].StoreAsync(key, MsgValue.Tuple(1, "value", 1.5), expiration);
            }
            var random = new Random(3);
            for (int i = 0; i < Math.Min(lookups, 50); i++)
            {
                await swarm.Nodes[random.Next(1, nodes)].GetAsync(keys[random.Next(keys.Length)]); // warm connections
            }
            swarm.ResetCounters();
            Print(name, "get (existing key)", await TimeAsync(lookups, () => swarm.Nodes[random.Next(1, nodes)].GetAsync(keys[random.Next(keys.Length)]), sampler), swarm);
            sampler?.PrintAndReset(allocationTypes);
            swarm.ResetCounters();
            int n = 0;
            Print(name, "store (5 replicas)", await TimeAsync(lookups, () => swarm.Nodes[random.Next(1, nodes)].StoreAsync($"stored-{n++}", n, expiration + n * 0.001), sampler), swarm);
            sampler?.PrintAndReset(allocationTypes);
        }
        return 0;
    }

    private static async Task<(double[] Sorted, double AllocatedKb)> TimeAsync<T>(int count, Func<Task<T>> lookup, AllocationSampler? sampler)
    {
        var times = new double[count];
        sampler?.Sampling = true;
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await lookup();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        double kb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / count;
        sampler?.Sampling = false;
        Array.Sort(times);
        return (times, kb);
    }

    private static void Print(string swarm, string operation, (double[] Sorted, double AllocatedKb) run, DhtBenchSwarm counters)
    {
        double[] sorted = run.Sorted;
        double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {swarm} | {operation} | {sorted.Length} | {P(0.50):0.00} ms | {P(0.99):0.00} ms | {counters.MeanHops:0.00} | {counters.MeanCalls:0.0} | {run.AllocatedKb:0} KB |"));
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int value) ? value : fallback;
    }
}
