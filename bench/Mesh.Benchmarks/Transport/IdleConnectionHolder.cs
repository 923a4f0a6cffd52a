using System.Diagnostics;
using Mesh.Multistream;
using Mesh.Transport.Host;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// <c>Mesh.Benchmarks hold-connections --server-address MULTIADDR --count N [--concurrency C]</c>: opens N connections
/// to one server, each from its own identity (the host keeps one connection per peer), prints
/// <c>{"type":"holding",…}</c> once all are up, and keeps them idle until stdin closes. bench/loopback/run.sh uses it
/// to measure the server's memory per idle connection.
/// </summary>
internal static class IdleConnectionHolder
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? server = null;
        int count = 5000, concurrency = 32;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--server-address": server = args[i + 1]; break;
                case "--count": count = int.Parse(args[i + 1]); break;
                case "--concurrency": concurrency = int.Parse(args[i + 1]); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        if (server is null)
        {
            Console.Error.WriteLine("usage: hold-connections --server-address MULTIADDR [--count N] [--concurrency C]");
            return 2;
        }
        Multiaddr address = Multiaddr.Parse(server);
        var hosts = new MeshHost[count];
        long start = Stopwatch.GetTimestamp();
        using var gate = new SemaphoreSlim(concurrency);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                hosts[i] = new MeshHost(new HostOptions { EnablePing = false });
                await hosts[i].ConnectAsync(address);
            }
            finally
            {
                gate.Release();
            }
        }));
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Console.WriteLine($"{{\"type\":\"holding\",\"connections\":{count},\"seconds\":{seconds:0.###}}}");
        Console.Out.Flush();
        // Idle until the script closes our stdin.
        await Console.In.ReadToEndAsync();
        await Task.WhenAll(hosts.Select(h => h.DisposeAsync().AsTask()));
        return 0;
    }
}
