using System.CommandLine;
using Mesh.Multistream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Mesh.Node.Cli;

/// <summary>Pieces every verb shares: multiaddr arguments with readable errors, the --verbose logger.</summary>
internal static class CliSupport
{
    public static Option<bool> VerboseOption() => new("--verbose", "-v")
    {
        Description = "Log connection and protocol events to stderr.",
    };

    /// <summary>
    /// <c>--no_peer_routing</c>: do not run the libp2p Kademlia DHT next to the mesh DHT (then peers that the mesh
    /// DHT names by id only, and that this node was not given, cannot be dialed).
    /// </summary>
    public static Option<bool> NoPeerRoutingOption() =>
        CliOption.Flag("--no-peer-routing", "Do not run the libp2p Kademlia DHT (/ipfs/kad/1.0.0) that finds the addresses of peers the mesh DHT names by id only.");

    /// <summary>Parses a multiaddr argument; on failure prints "mesh VERB: invalid multiaddr ..." and returns null.</summary>
    public static Multiaddr? ParseMultiaddr(string verb, string text)
    {
        try
        {
            return Multiaddr.Parse(text);
        }
        catch (MeshProtocolException ex)
        {
            Console.Error.WriteLine($"mesh {verb}: invalid multiaddr '{text}': {ex.Message}");
            return null;
        }
    }

    public static ILoggerFactory CreateLoggerFactory(bool verbose) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
            // Logs go to stderr so stdout stays machine-readable.
            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        });

    /// <summary>One line for an error a user can act on: the message, without a stack trace.</summary>
    public static int Fail(string verb, Exception ex)
    {
        Console.Error.WriteLine($"mesh {verb}: {Describe(ex)}");
        return 1;
    }

    private static string Describe(Exception ex) => ex switch
    {
        OperationCanceledException => "cancelled",
        AggregateException { InnerExceptions.Count: 1 } agg => Describe(agg.InnerExceptions[0]),
        _ => ex.Message,
    };
}
