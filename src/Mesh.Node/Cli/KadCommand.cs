using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh kad VERB</c>: the libp2p Kademlia DHT (<c>/ipfs/kad/1.0.0</c>) from the command line. Each query verb starts
/// a short-lived node, joins the DHT through <c>--bootstrap</c> peers, runs one operation and prints the result as
/// lines (or one JSON object with <c>--json</c>):
/// <code>
///   mesh kad find-peer PEERID --bootstrap MADDR...      addresses of the peer, one per line
///   mesh kad get KEY --bootstrap MADDR...               the best value (UTF-8 when printable, else 0x-hex)
///   mesh kad put KEY VALUE --bootstrap MADDR...         how many of the nearest peers stored it
///   mesh kad provide KEY --bootstrap MADDR...           how many of the nearest peers took the provider record
///   mesh kad find-providers KEY --bootstrap MADDR...    "PEERID ADDR..." per provider
///   mesh kad serve [--listen MADDR] [--bootstrap MADDR...]   a DHT server node until SIGINT/SIGTERM
///   mesh kad bench --bootstrap MADDR --count N           sequential put+get latencies (bench/kad/run.sh)
/// </code>
/// Record keys are text (<c>/pk/…</c>, <c>/ipns/…</c>, or a namespace given with <c>--accept-namespace</c>, whose
/// values are then accepted unvalidated) or <c>0x</c>-hex; provider keys are a CID or a <c>0x</c>-hex multihash.
/// Exit codes as every verb: 0 found/stored, 1 not found or refused by every peer, 2 bad command line, 130 interrupted.
/// </summary>
internal static class KadCommand
{
    public static Command Create()
    {
        var command = new Command("kad", "Query and publish on the libp2p Kademlia DHT (/ipfs/kad/1.0.0).");
        command.Subcommands.Add(Verb("find-peer", "Find the addresses of a peer.", "PEERID", "Peer id (12D3KooW…, Qm…, or a bafz… CID)."));
        command.Subcommands.Add(Verb("get", "Get the best value stored under a key.", "KEY", "Record key: text such as /pk/… or /v/name, or 0x-hex."));
        command.Subcommands.Add(Verb("put", "Store a value under a key on the nearest peers.", "KEY", "Record key: text or 0x-hex.", "VALUE", "The value: text or 0x-hex."));
        command.Subcommands.Add(Verb("provide", "Announce that this node provides a key (for as long as it runs).", "KEY", "A CID or a 0x-hex multihash."));
        command.Subcommands.Add(Verb("find-providers", "Find the providers of a key.", "KEY", "A CID or a 0x-hex multihash."));
        command.Subcommands.Add(ServeVerb());
        command.Subcommands.Add(BenchVerb());
        return command;
    }

    private sealed record Common(
        Option<string[]> Bootstrap, Option<string[]> Listen, Option<bool> Json, Option<double> Timeout,
        Option<string[]> AcceptNamespaces, Option<string?> ProtocolPrefix, Option<bool> Verbose);

    private static Common AddCommon(Command command, bool requireBootstrap)
    {
        Option<string[]> bootstrap = CliOption.List("--bootstrap", "Multiaddrs (with /p2p/) of DHT peers to join through.");
        bootstrap.Required = requireBootstrap;
        Option<string[]> listen = CliOption.List("--listen", "Listen multiaddrs (default /ip4/127.0.0.1/tcp/0).");
        Option<bool> json = CliOption.Flag("--json", "Print one JSON object instead of lines.");
        Option<double> timeout = CliOption.Create<double>("--timeout", "Seconds allowed for joining and for the operation.");
        timeout.DefaultValueFactory = _ => 60;
        Option<string[]> accept = CliOption.List("--accept-namespace", "Key namespaces (e.g. v) whose values are accepted without validation, as test swarms use.");
        Option<string?> prefix = CliOption.Create<string?>("--protocol-prefix", "Protocol prefix: the protocol is PREFIX/kad/1.0.0 (default /ipfs).");
        Option<bool> verbose = CliSupport.VerboseOption();
        foreach (Option o in new Option[] { bootstrap, listen, json, timeout, accept, prefix, verbose })
        {
            command.Options.Add(o);
        }
        return new Common(bootstrap, listen, json, timeout, accept, prefix, verbose);
    }

    private static Command Verb(string name, string description, string arg1, string arg1Description, string? arg2 = null, string? arg2Description = null)
    {
        var first = new Argument<string>(arg1) { Description = arg1Description };
        Argument<string>? second = arg2 is null ? null : new Argument<string>(arg2) { Description = arg2Description };
        var command = new Command(name, description) { first };
        if (second is not null)
        {
            command.Arguments.Add(second);
        }
        Common common = AddCommon(command, requireBootstrap: true);
        SetAction(command, (parse, ct) => RunQueryAsync(name, parse, common, parse.GetRequiredValue(first), second is null ? null : parse.GetRequiredValue(second), ct));
        return command;
    }

    private static async Task<int> RunQueryAsync(string verb, ParseResult parse, Common common, string arg1, string? arg2, CancellationToken cancellationToken)
    {
        TextWriter output = CliOption.Out(parse);
        bool json = parse.GetValue(common.Json);
        // Parse every argument before touching the network, so a typo is a usage error (exit 2).
        PeerId peer = default;
        byte[] key = [];
        byte[] value = [];
        switch (verb)
        {
            case "find-peer":
                if (!PeerId.TryParse(arg1, out peer))
                {
                    throw new CliUsageException($"'{arg1}' is not a peer id");
                }
                break;
            case "provide":
            case "find-providers":
                key = ParseProviderKey(arg1);
                break;
            default:
                key = ParseBytes(arg1, "KEY");
                value = arg2 is null ? [] : ParseBytes(arg2, "VALUE");
                break;
        }
        await using Node node = await StartNodeAsync(parse, common, KadDhtMode.Client, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(common.Timeout)));
        CancellationToken ct = timeout.Token;
        await JoinAsync(node, parse.GetValue(common.Bootstrap) ?? [], ct);
        switch (verb)
        {
            case "find-peer":
            {
                KadPeerInfo? found = await node.Dht.FindPeerAsync(peer, ct);
                if (found is null)
                {
                    CliOption.Error(parse).WriteLine($"mesh kad find-peer: {peer} not found");
                    return CliExit.Failure;
                }
                string[] addresses = [.. found.Addresses.Select(a => a.ToString())];
                if (json)
                {
                    output.WriteLine(JsonSerializer.Serialize(new KadPeerJson(peer.ToString(), addresses), KadJsonContext.Default.KadPeerJson));
                }
                else
                {
                    foreach (string a in addresses)
                    {
                        output.WriteLine(a);
                    }
                }
                return CliExit.Success;
            }
            case "get":
            {
                KadValueResult? got = await node.Dht.GetValueAsync(key, cancellationToken: ct);
                if (got is null)
                {
                    CliOption.Error(parse).WriteLine($"mesh kad get: no value for {KadRecordKey.Format(key)}");
                    return CliExit.Failure;
                }
                if (json)
                {
                    output.WriteLine(JsonSerializer.Serialize(new KadValueJson(KadRecordKey.Format(key), Convert.ToHexStringLower(got.Value.Span),
                        TryText(got.Value.Span), got.Responses, [.. got.From.Select(p => p.ToString())]), KadJsonContext.Default.KadValueJson));
                }
                else
                {
                    output.WriteLine(TryText(got.Value.Span) ?? "0x" + Convert.ToHexStringLower(got.Value.Span));
                }
                return CliExit.Success;
            }
            case "put":
            case "provide":
            {
                KadPublishResult result = verb == "put" ? await node.Dht.PutValueAsync(key, value, ct) : await node.Dht.ProvideAsync(key, ct);
                if (json)
                {
                    output.WriteLine(JsonSerializer.Serialize(new KadPublishJson([.. result.Peers.Select(p => p.ToString())], result.Succeeded), KadJsonContext.Default.KadPublishJson));
                }
                else
                {
                    output.WriteLine($"{(verb == "put" ? "stored" : "provider record stored")} on {result.Succeeded} of {result.Peers.Count} nearest peers");
                }
                return result.Succeeded > 0 ? CliExit.Success : CliExit.Failure;
            }
            default:
            {
                IReadOnlyList<KadPeerInfo> providers = await node.Dht.FindProvidersAsync(key, cancellationToken: ct);
                KadPeerJson[] list = [.. providers.Where(p => p.Peer != node.Host.PeerId).Select(p => new KadPeerJson(p.Peer.ToString(), [.. p.Addresses.Select(a => a.ToString())]))];
                if (json)
                {
                    output.WriteLine(JsonSerializer.Serialize(list, KadJsonContext.Default.KadPeerJsonArray));
                }
                else
                {
                    foreach (KadPeerJson p in list)
                    {
                        output.WriteLine(string.Join(' ', [p.Peer, .. p.Addrs]));
                    }
                }
                return list.Length > 0 ? CliExit.Success : CliExit.Failure;
            }
        }
    }

    private static Command ServeVerb()
    {
        var command = new Command("serve", "Run a DHT server node until interrupted; prints each listen address as …/p2p/<id>.");
        Common common = AddCommon(command, requireBootstrap: false);
        SetAction(command, async (parse, ct) =>
        {
            await using Node node = await StartNodeAsync(parse, common, KadDhtMode.Server, ct);
            foreach (Multiaddr a in node.Host.GetFullListenAddresses())
            {
                CliOption.Out(parse).WriteLine(a);
            }
            await CliOption.Out(parse).FlushAsync(ct);
            string[] bootstrap = parse.GetValue(common.Bootstrap) ?? [];
            if (bootstrap.Length > 0)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(common.Timeout)));
                await JoinAsync(node, bootstrap, timeout.Token);
            }
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return CliExit.Success;
        });
        return command;
    }

    private static Command BenchVerb()
    {
        var command = new Command("bench", "Join as a server and time COUNT sequential put+get pairs of /v/ keys; prints one JSON line.");
        Option<int> count = CliOption.Create<int>("--count", "Put+get pairs.");
        count.DefaultValueFactory = _ => 100;
        Option<int> valueBytes = CliOption.Create<int>("--value-bytes", "Bytes per value.");
        valueBytes.DefaultValueFactory = _ => 64;
        command.Options.Add(count);
        command.Options.Add(valueBytes);
        Common common = AddCommon(command, requireBootstrap: true);
        SetAction(command, async (parse, ct) =>
        {
            int n = parse.GetValue(count);
            int bytes = parse.GetValue(valueBytes);
            if (n < 1 || bytes < 1)
            {
                throw new CliUsageException("--count and --value-bytes must be at least 1");
            }
            await using Node node = await StartNodeAsync(parse, common, KadDhtMode.Server, ct, acceptV: true);
            using (var joinTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                joinTimeout.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(common.Timeout)));
                await JoinAsync(node, parse.GetValue(common.Bootstrap) ?? [], joinTimeout.Token);
            }
            byte[] value = new byte[bytes];
            Array.Fill(value, (byte)7);
            var put = new double[n];
            var get = new double[n];
            string tag = node.Host.PeerId.ToString()[^8..];
            for (int i = 0; i < n; i++)
            {
                byte[] key = Encoding.UTF8.GetBytes($"/v/mesh-{tag}-{i}");
                long t = Stopwatch.GetTimestamp();
                await node.Dht.PutValueAsync(key, value, ct);
                put[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                // The GET must go to the network: drop our own copy first (a quorum of 1 then stops at the first
                // remote value, as js's get stops at its first VALUE event).
                node.Dht.Records.Remove(key);
                t = Stopwatch.GetTimestamp();
                KadValueResult? got = await node.Dht.GetValueAsync(key, quorum: 1, ct);
                get[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (got is null)
                {
                    throw new IOException($"value {i} was not found right after it was put");
                }
            }
            CliOption.Out(parse).WriteLine(JsonSerializer.Serialize(new KadBenchJson("kad-bench", put, get, node.Dht.RoutingTable.Count), KadJsonContext.Default.KadBenchJson));
            return CliExit.Success;
        });
        return command;
    }

    // CliOption.SetAction with the verb named "kad NAME" in error lines.
    private static void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> run) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await run(parse, cancellationToken);
            }
            catch (Exception ex) when (CliErrors.IsUserFacing(ex, cancellationToken))
            {
                return CliErrors.Report(CliOption.Error(parse), "kad " + command.Name, ex, cancellationToken);
            }
        });

    private sealed class Node(MeshHost host, KadDht dht, ILoggerFactory loggers) : IAsyncDisposable
    {
        public MeshHost Host { get; } = host;

        public KadDht Dht { get; } = dht;

        public async ValueTask DisposeAsync()
        {
            await Dht.DisposeAsync();
            await Host.DisposeAsync();
            loggers.Dispose();
        }
    }

    private static async Task<Node> StartNodeAsync(ParseResult parse, Common common, KadDhtMode mode, CancellationToken ct, bool acceptV = false)
    {
        var hostOptions = new HostOptions();
        string[] listen = parse.GetValue(common.Listen) ?? [];
        foreach (string text in listen.Length > 0 ? listen : ["/ip4/127.0.0.1/tcp/0"])
        {
            hostOptions.ListenAddresses.Add(ParseMultiaddr(text, "--listen"));
        }
        foreach (string text in parse.GetValue(common.Bootstrap) ?? [])
        {
            Multiaddr a = ParseMultiaddr(text, "--bootstrap");
            if (!a.Contains(MultiaddrProtocol.P2p))
            {
                throw new CliUsageException($"--bootstrap {text}: the address needs its /p2p/<peer id>");
            }
        }
        ILoggerFactory loggers = CliSupport.CreateLoggerFactory(parse.GetValue(common.Verbose));
        var host = new MeshHost(hostOptions, loggers);
        var options = new KadDhtOptions { Mode = mode };
        if (parse.GetValue(common.ProtocolPrefix) is { Length: > 0 } prefix)
        {
            options = options with { ProtocolPrefix = prefix };
        }
        KadDht dht;
        try
        {
            dht = new KadDht(host, options, loggers); // validates the options
        }
        catch (ArgumentException ex)
        {
            await host.DisposeAsync();
            throw new CliUsageException(ex.Message);
        }
        foreach (string ns in (parse.GetValue(common.AcceptNamespaces) ?? []).Concat(acceptV ? ["v"] : []))
        {
            dht.Validators.Register(ns.Trim('/'), AcceptAnyValidator.Instance);
        }
        try
        {
            await host.StartAsync(ct);
            await dht.StartAsync(ct);
        }
        catch
        {
            await dht.DisposeAsync();
            await host.DisposeAsync();
            throw;
        }
        return new Node(host, dht, loggers);
    }

    private static async Task JoinAsync(Node node, string[] bootstrap, CancellationToken ct)
    {
        int joined = await node.Dht.BootstrapAsync(bootstrap.Select(Multiaddr.Parse), ct);
        if (joined == 0)
        {
            throw new DialException(DialFailure.Other, $"none of the {bootstrap.Length} bootstrap peers could be reached as a DHT server");
        }
    }

    private static Multiaddr ParseMultiaddr(string text, string option) =>
        Multiaddr.TryParse(text, out Multiaddr? a) ? a : throw new CliUsageException($"{option}: '{text}' is not a multiaddr");

    /// <summary>Text as UTF-8, or <c>0x</c>-hex as bytes.</summary>
    internal static byte[] ParseBytes(string text, string what)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return Convert.FromHexString(text.AsSpan(2));
            }
            catch (FormatException)
            {
                throw new CliUsageException($"{what} '{text}' is not valid hex");
            }
        }
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>A CID (its multihash is the key, libp2p kad-dht spec) or a 0x-hex multihash.</summary>
    internal static byte[] ParseProviderKey(string text)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            byte[] bytes = ParseBytes(text, "KEY");
            return Multihash.IsValid(bytes) ? bytes : throw new CliUsageException($"KEY '{text}' is not a multihash");
        }
        if (Cid.TryParse(text, out Cid cid))
        {
            return cid.Multihash.ToArray();
        }
        throw new CliUsageException($"KEY '{text}' is neither a CID nor a 0x-hex multihash");
    }

    private static string? TryText(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if (b < 0x20 && b is not ((byte)'\n' or (byte)'\t') || b == 0x7f)
            {
                return null;
            }
        }
        try
        {
            return new UTF8Encoding(false, true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}

internal sealed record KadPeerJson(string Peer, string[] Addrs);

internal sealed record KadValueJson(string Key, string ValueHex, string? ValueUtf8, int Responses, string[] From);

internal sealed record KadPublishJson(string[] Peers, int Succeeded);

internal sealed record KadBenchJson(string Type, double[] Put, double[] Get, int RoutingTable);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(KadPeerJson))]
[JsonSerializable(typeof(KadPeerJson[]))]
[JsonSerializable(typeof(KadValueJson))]
[JsonSerializable(typeof(KadPublishJson))]
[JsonSerializable(typeof(KadBenchJson))]
internal sealed partial class KadJsonContext : JsonSerializerContext;
