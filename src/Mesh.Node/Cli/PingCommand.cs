using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh ping MULTIADDR [--count N] [--interval S] [--timeout S]</c>: dials the peer (TCP, Noise, yamux) and runs
/// <c>/ipfs/ping/1.0.0</c> N times on one stream, printing one round trip per line and a summary like ping(8).
/// Exit code 0 when at least one reply arrived, 1 otherwise (or on a dial error).
/// </summary>
internal static class PingCommand
{
    public static Command Create()
    {
        var address = new Argument<string>("MULTIADDR")
        {
            Description = "Peer to ping, e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW… (the /p2p/ part makes the peer prove its identity).",
        };
        var count = new Option<int>("--count", "-c")
        {
            Description = "Number of pings.",
            DefaultValueFactory = _ => 5,
        };
        var interval = new Option<double>("--interval", "-i")
        {
            Description = "Seconds between pings.",
            DefaultValueFactory = _ => 1.0,
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "Seconds to wait for the connection and for each reply.",
            DefaultValueFactory = _ => 10.0,
        };
        Option<bool> verbose = CliSupport.VerboseOption();
        var command = new Command("ping", "Measure round trips to a libp2p peer with /ipfs/ping/1.0.0.")
        {
            address, count, interval, timeout, verbose,
        };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetRequiredValue(address), parse.GetValue(count), parse.GetValue(interval), parse.GetValue(timeout), parse.GetValue(verbose), ct));
        return command;
    }

    private static async Task<int> RunAsync(string addressText, int count, double intervalSeconds, double timeoutSeconds, bool verbose, CancellationToken cancellationToken)
    {
        if (count < 1 || intervalSeconds < 0 || timeoutSeconds <= 0)
        {
            Console.Error.WriteLine("mesh ping: --count must be ≥ 1, --interval ≥ 0 and --timeout > 0");
            return 2;
        }
        Multiaddr? address = CliSupport.ParseMultiaddr("ping", addressText);
        if (address is null)
        {
            return 2;
        }
        using ILoggerFactory loggers = CliSupport.CreateLoggerFactory(verbose);
        TimeSpan timeout = TimeSpan.FromSeconds(timeoutSeconds);
        await using var host = new MeshHost(new HostOptions { HandshakeTimeout = timeout }, loggers);
        MeshConnection connection;
        try
        {
            using var dialTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            dialTimeout.CancelAfter(timeout);
            connection = await host.ConnectAsync(address, dialTimeout.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return CliSupport.Fail("ping", ex is OperationCanceledException ? new TimeoutException($"no connection to {address} within {timeoutSeconds:0.#} s") : ex);
        }
        Console.WriteLine($"PING {connection.RemotePeer} ({connection.RemoteAddress})");
        PingSession? session = null;
        var rtts = new List<double>(count);
        int sent = 0;
        for (int seq = 1; seq <= count && !cancellationToken.IsCancellationRequested; seq++)
        {
            long started = Stopwatch.GetTimestamp();
            sent++;
            try
            {
                using var pingTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                pingTimeout.CancelAfter(timeout);
                session ??= await host.Ping.OpenSessionAsync(connection, pingTimeout.Token);
                TimeSpan rtt = await session.PingAsync(pingTimeout.Token);
                rtts.Add(rtt.TotalMilliseconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seq={seq} time={rtt.TotalMilliseconds:0.###} ms"));
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Console.WriteLine($"seq={seq} error: {(ex is OperationCanceledException ? "timed out" : ex.Message)}");
                if (session is not null)
                {
                    // A failed ping poisons its stream: the next one opens a fresh stream.
                    await session.DisposeAsync();
                    session = null;
                }
                if (connection.IsClosed)
                {
                    break;
                }
            }
            if (seq < count)
            {
                TimeSpan wait = TimeSpan.FromSeconds(intervalSeconds) - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        if (session is not null)
        {
            await session.DisposeAsync();
        }
        Console.WriteLine($"--- {connection.RemotePeer} ping statistics ---");
        double loss = sent == 0 ? 100 : 100.0 * (sent - rtts.Count) / sent;
        Console.Write(string.Create(CultureInfo.InvariantCulture, $"{sent} sent, {rtts.Count} received, {loss:0.#}% loss"));
        if (rtts.Count > 0)
        {
            Console.Write(string.Create(CultureInfo.InvariantCulture, $", rtt min/avg/max = {rtts.Min():0.###}/{rtts.Average():0.###}/{rtts.Max():0.###} ms"));
        }
        Console.WriteLine();
        return rtts.Count > 0 ? 0 : 1;
    }
}
