using System.CommandLine;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Node;
using Mesh.Node.Hosting;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh get --initial_peers A... --key KEY [--latest] [--json] [--no_auth] [--no_peer_routing]</c>: joins the DHT as
/// a client (with a client-mode kad DHT for peer routing, bootstrapped from the same peers), gets the
/// value of the string key <c>KEY</c> and prints it. A str value prints as its text, any other value as a Python-like
/// rendering of the msgpack value (<c>[1, 'a']</c>, <c>b'\x00'</c>, <c>(2, 'validator', 1.5, {...})</c>), followed by
/// <c>expires &lt;unix time&gt;</c>; a dictionary prints one <c>subkey TAB value TAB expires T</c> line per subkey.
/// <c>--json</c> prints one JSON object instead (bytes as <c>{"hex": …}</c>, maps as [key, value] pairs). Exit 0 when
/// found, 1 when not found or the DHT cannot be reached.
/// </summary>
internal static class GetCommand
{
    public static Command Create()
    {
        Option<string[]> initialPeers = CliOption.List("--initial-peers", "Multiaddrs with /p2p/ of DHT nodes to join through.");
        initialPeers.Required = true;
        Option<string> key = CliOption.Create<string>("--key", "The key (a string, as mesh stores string keys).");
        key.Required = true;
        Option<bool> latest = CliOption.Flag("--latest", "Search the whole beam for the value that expires last (otherwise the first unexpired one).");
        Option<bool> json = CliOption.Flag("--json", "Print the result as one JSON object.");
        Option<bool> noAuth = CliOption.Flag("--no-auth", "Do not sign RPCs (for DHTs run with --no_auth / mesh-dht).");
        Option<double> waitTimeout = CliOption.Create<double>("--wait-timeout", "Seconds to wait for an RPC reply.");
        waitTimeout.DefaultValueFactory = _ => 3;
        Option<bool> noPeerRouting = CliSupport.NoPeerRoutingOption();
        Option<bool> verbose = CliSupport.VerboseOption();
        var command = new Command("get", "Get a value from the mesh DHT.") { initialPeers, key, latest, json, noAuth, noPeerRouting, waitTimeout, verbose };
        CliOption.SetAction(command, async (parse, ct) =>
        {
            string keyText = parse.GetRequiredValue(key);
            await using DhtClient client = await DhtClient.JoinAsync(parse, parse.GetValue(initialPeers), parse.GetValue(noAuth), !parse.GetValue(noPeerRouting),
                parse.GetValue(waitTimeout), parse.GetValue(verbose), ct);
            DhtValue? value = await client.Node.GetAsync(keyText, parse.GetValue(latest), ct);
            if (value is null)
            {
                CliOption.Error(parse).WriteLine($"mesh get: key '{keyText}' not found");
                return CliExit.Failure;
            }
            DhtCliSupport.PrintValue(CliOption.Out(parse), keyText, value, parse.GetValue(json));
            return CliExit.Success;
        });
        return command;
    }
}

/// <summary>A dial-only host, a client-mode kad DHT for peer routing (unless turned off) and a client-mode DHT node, for one operation.</summary>
internal sealed class DhtClient : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly MeshHost _host;
    private readonly KadPeerRouting? _routing;

    private DhtClient(ILoggerFactory loggers, MeshHost host, KadPeerRouting? routing, DhtNode node)
    {
        _loggers = loggers;
        _host = host;
        _routing = routing;
        Node = node;
    }

    public DhtNode Node { get; }

    public static async Task<DhtClient> JoinAsync(ParseResult parse, string[]? initialPeers, bool noAuth, bool peerRouting, double waitTimeout, bool verbose,
        CancellationToken cancellationToken)
    {
        if (!(waitTimeout > 0))
        {
            throw new CliUsageException("--wait_timeout must be positive");
        }
        var peers = DhtCliSupport.ParseAddresses("--initial_peers", initialPeers, requirePeerId: true);
        ILoggerFactory loggers = DhtCliSupport.CreateLoggers(parse, verbose, LogLevel.Warning);
        MeshHost? host = null;
        KadPeerRouting? routing = null;
        try
        {
            host = await DhtCliSupport.StartHostAsync(Ed25519PrivateKey.Generate(), [], loggers, loggers.CreateLogger("Mesh.Node.Dht"), cancellationToken);
            // A one-shot client asks the kad DHT but serves nothing, as its mesh DHT node does.
            routing = peerRouting ? await KadPeerRouting.StartAsync(host, KadDhtMode.Client, peers, loggers, cancellationToken) : null;
            DhtNode node = await DhtNode.CreateAsync(host, new DhtNodeOptions
            {
                InitialPeers = peers,
                PeerAddressResolver = routing?.Resolver,
                ClientMode = true,
                Authorization = noAuth ? DhtAuthorization.None : DhtAuthorization.Signature,
                WaitTimeout = TimeSpan.FromSeconds(waitTimeout),
                CacheRefreshBeforeExpiry = TimeSpan.Zero,
            }, loggers, cancellationToken);
            return new DhtClient(loggers, host, routing, node);
        }
        catch
        {
            if (routing is not null)
            {
                await routing.DisposeAsync();
            }
            if (host is not null)
            {
                await host.DisposeAsync();
            }
            loggers.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        if (_routing is not null)
        {
            await _routing.DisposeAsync();
        }
        await _host.DisposeAsync();
        _loggers.Dispose();
    }
}
