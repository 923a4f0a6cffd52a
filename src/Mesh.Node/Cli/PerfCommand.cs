using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Multistream;
using Mesh.Transport;
using Mesh.Transport.Host;
using Mesh.Transport.Protocols.Perf;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh perf</c>: the libp2p perf tool (libp2p/test-plans perf CLI, perf spec <c>/perf/1.0.0</c>).
/// <list type="bullet">
/// <item><c>mesh perf --run-server --host-maddrs /ip4/0.0.0.0/tcp/4001</c> serves perf (and ping, identify) and prints
/// each listen address as a full multiaddr ending in <c>/p2p/&lt;id&gt;</c>, one per line, then runs until Ctrl+C.</item>
/// <item><c>mesh perf --server-address MULTIADDR --upload-bytes N --download-bytes N</c> runs one transfer and prints
/// <c>{"type":"intermediary",…}</c> once per second and <c>{"type":"final",…}</c> at the end.</item>
/// <item><c>mesh perf --server-address MULTIADDR --connections N</c> measures sequential connection setups
/// (TCP + Noise + yamux, then close) and prints <c>{"type":"conn-rate",…}</c>.</item>
/// </list>
/// </summary>
internal static class PerfCommand
{
    public static Command Create()
    {
        var runServer = new Option<bool>("--run-server") { Description = "Serve /perf/1.0.0 until interrupted." };
        var hostAddresses = new Option<string[]>("--host-maddrs")
        {
            Description = "Listen multiaddrs for --run-server (repeat or separate with commas).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => ["/ip4/0.0.0.0/tcp/4001"],
        };
        var serverAddress = new Option<string?>("--server-address") { Description = "Multiaddr of the perf server to measure against." };
        var upload = new Option<long>("--upload-bytes") { Description = "Bytes to send to the server.", DefaultValueFactory = _ => 0 };
        var download = new Option<long>("--download-bytes") { Description = "Bytes to ask the server for.", DefaultValueFactory = _ => 0 };
        var connections = new Option<int>("--connections") { Description = "Instead of a transfer: open and close this many connections one after another and report the rate." };
        var transport = new Option<string>("--transport")
        {
            Description = "Transport (test-plans perf compatibility); only tcp.",
            DefaultValueFactory = _ => "tcp",
        };
        transport.AcceptOnlyFromAmong("tcp");
        var stats = new Option<bool>("--stats") { Description = "With --run-server: print a JSON line with connections, working set and GC heap every second." };
        Option<bool> verbose = CliSupport.VerboseOption();
        var command = new Command("perf", "libp2p perf: serve or measure /perf/1.0.0 throughput and connection setup rate.")
        {
            runServer, hostAddresses, serverAddress, upload, download, connections, transport, stats, verbose,
        };
        command.SetAction((parse, ct) =>
        {
            bool isVerbose = parse.GetValue(verbose);
            if (parse.GetValue(runServer))
            {
                return RunServerAsync(parse.GetValue(hostAddresses) ?? [], parse.GetValue(stats), isVerbose, ct);
            }
            string? server = parse.GetValue(serverAddress);
            if (server is null)
            {
                Console.Error.WriteLine("mesh perf: give --run-server, or --server-address with --upload-bytes/--download-bytes or --connections");
                return Task.FromResult(2);
            }
            int count = parse.GetValue(connections);
            return count > 0
                ? RunConnectionRateAsync(server, count, isVerbose, ct)
                : RunClientAsync(server, parse.GetValue(upload), parse.GetValue(download), isVerbose, ct);
        });
        return command;
    }

    private static async Task<int> RunServerAsync(string[] listen, bool printStats, bool verbose, CancellationToken cancellationToken)
    {
        var options = new HostOptions { EnablePerf = true };
        foreach (string entry in listen.SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            Multiaddr? address = CliSupport.ParseMultiaddr("perf", entry);
            if (address is null)
            {
                return 2;
            }
            options.ListenAddresses.Add(address);
        }
        if (options.ListenAddresses.Count == 0)
        {
            Console.Error.WriteLine("mesh perf: --host-maddrs needs at least one multiaddr");
            return 2;
        }
        using ILoggerFactory loggers = CliSupport.CreateLoggerFactory(verbose);
        await using var host = new MeshHost(options, loggers);
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is AddressInUseException or IOException or ArgumentException)
        {
            return CliSupport.Fail("perf", ex);
        }
        foreach (Multiaddr a in host.GetFullListenAddresses())
        {
            Console.WriteLine(a.ToString());
        }
        Console.Out.Flush();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                if (printStats)
                {
                    // A full collection first, so the heap figure is live objects (this mode is a measurement, not production).
                    long live = GC.GetTotalMemory(forceFullCollection: true);
                    var report = new ServerStats(host.ConnectionCount, Environment.WorkingSet, live, GC.GetGCMemoryInfo().HeapSizeBytes);
                    Console.WriteLine(JsonSerializer.Serialize(report, PerfJsonContext.Default.ServerStats));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C / SIGTERM: graceful stop below.
        }
        await host.StopAsync(CancellationToken.None);
        return 0;
    }

    private static async Task<int> RunClientAsync(string serverText, long upload, long download, bool verbose, CancellationToken cancellationToken)
    {
        if (upload < 0 || download < 0)
        {
            Console.Error.WriteLine("mesh perf: --upload-bytes and --download-bytes must be ≥ 0");
            return 2;
        }
        Multiaddr? server = CliSupport.ParseMultiaddr("perf", serverText);
        if (server is null)
        {
            return 2;
        }
        using ILoggerFactory loggers = CliSupport.CreateLoggerFactory(verbose);
        await using var host = new MeshHost(new HostOptions(), loggers);
        var progress = new PerfProgress();
        Task<PerfResult> run;
        try
        {
            MeshStream stream = await host.OpenStreamAsync(server, [PerfProtocol.Id], cancellationToken);
            run = RunAndDisposeAsync(stream, (ulong)upload, (ulong)download, progress, cancellationToken);
        }
        catch (Exception ex)
        {
            return CliSupport.Fail("perf", ex);
        }
        long lastTick = Stopwatch.GetTimestamp();
        long lastUp = 0, lastDown = 0;
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
            if (run.IsCompleted)
            {
                break;
            }
            long now = Stopwatch.GetTimestamp();
            long up = progress.Uploaded, down = progress.Downloaded;
            Emit(new PerfReport("intermediary", Stopwatch.GetElapsedTime(lastTick, now).TotalSeconds, up - lastUp, down - lastDown));
            lastTick = now;
            lastUp = up;
            lastDown = down;
        }
        try
        {
            PerfResult result = await run;
            Emit(new PerfReport("final", result.Elapsed.TotalSeconds, (long)result.UploadBytes, (long)result.DownloadBytes));
            return 0;
        }
        catch (Exception ex)
        {
            return CliSupport.Fail("perf", ex);
        }
    }

    private static async Task<PerfResult> RunAndDisposeAsync(MeshStream stream, ulong upload, ulong download, PerfProgress progress, CancellationToken cancellationToken)
    {
        await using (stream)
        {
            return await PerfProtocol.RunClientAsync(stream, upload, download, progress, cancellationToken);
        }
    }

    private static async Task<int> RunConnectionRateAsync(string serverText, int count, bool verbose, CancellationToken cancellationToken)
    {
        Multiaddr? server = CliSupport.ParseMultiaddr("perf", serverText);
        if (server is null)
        {
            return 2;
        }
        using ILoggerFactory loggers = CliSupport.CreateLoggerFactory(verbose);
        // Identify is off so each iteration measures exactly TCP + multistream-select + Noise + yamux + close.
        await using var host = new MeshHost(new HostOptions { EnableIdentify = false, EnablePing = false }, loggers);
        long start = Stopwatch.GetTimestamp();
        try
        {
            for (int i = 0; i < count; i++)
            {
                MeshConnection connection = await host.ConnectAsync(server, cancellationToken);
                await connection.CloseAsync(cancellationToken);
                await connection.Closed.WaitAsync(cancellationToken);
            }
        }
        catch (Exception ex)
        {
            return CliSupport.Fail("perf", ex);
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new ConnectionRateReport("conn-rate", count, seconds, count / seconds), PerfJsonContext.Default.ConnectionRateReport));
        return 0;
    }

    private static void Emit(PerfReport report) =>
        Console.WriteLine(JsonSerializer.Serialize(report, PerfJsonContext.Default.PerfReport));
}

/// <summary>One line of the perf tool's output (<c>type</c> is <c>intermediary</c> or <c>final</c>).</summary>
internal sealed record PerfReport(string Type, double TimeSeconds, long UploadBytes, long DownloadBytes);

internal sealed record ConnectionRateReport(string Type, int Connections, double Seconds, double PerSecond);

internal sealed record ServerStats(int Connections, long WorkingSetBytes, long GcTotalMemoryBytes, long GcHeapSizeBytes)
{
    public string Type => "stats";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PerfReport))]
[JsonSerializable(typeof(ConnectionRateReport))]
[JsonSerializable(typeof(ServerStats))]
internal sealed partial class PerfJsonContext : JsonSerializerContext;
