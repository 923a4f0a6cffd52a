using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Mesh.Multistream;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Rpc;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Hosting;
using Mesh.Node.LocalChain;
using Mesh.Node.Subnet;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh server</c>: a subnet node (the seed's <c>mesh-server-mock</c>, <see cref="SubnetServer"/>), with the seed's
/// flags in snake_case and kebab-case and the seed's <c>.env</c> (<c>PHRASE</c>, <c>LOCAL_RPC</c>, <c>DEV_RPC</c>,
/// <c>LIVE_RPC</c>, <c>PUBLIC_INITIAL_PEERS</c>). Defaults make the README's first command work on a fresh machine:
/// a fresh identity when none is given, TCP on 127.0.0.1, subnet 1, and with <c>--no_blockchain_rpc</c> the embedded
/// local chain, on which the node registers itself. Runs until SIGINT/SIGTERM, then shuts down gracefully (exit 0).
/// </summary>
internal static class ServerCommand
{
    public static Command Create(SubnetDhtFactory dhtFactory)
    {
        Option<string[]> hostMaddrs = CliOption.List("--host-maddrs", "Multiaddrs to listen on (default /ip4/127.0.0.1/tcp/0).");
        Option<string[]> announceMaddrs = CliOption.List("--announce-maddrs", "Multiaddrs other peers should dial, advertised through identify (default: the listen addresses).");
        Option<string?> identityPath = CliOption.Create<string?>("--identity-path", "Identity file (libp2p PrivateKey protobuf); a fresh Ed25519 key when absent.");
        Option<string[]> initialPeers = CliOption.List("--initial-peers", "Multiaddrs (with /p2p/) of peers of the swarm to join (default: PUBLIC_INITIAL_PEERS).");
        Option<bool> newSwarm = CliOption.Flag("--new-swarm", "Start a new swarm: join no initial peers (and reset the local chain).");
        Option<uint> subnetId = CliOption.Create<uint>("--subnet-id", "The subnet this node serves.");
        subnetId.DefaultValueFactory = _ => 1;
        Option<uint?> subnetNodeId = CliOption.Create<uint?>("--subnet-node-id", "This node's subnet node id (local chain: taken when absent).");
        Option<bool> noBlockchain = CliOption.Flag("--no-blockchain-rpc", "Run on the embedded local chain (a SQLite file shared by local nodes).");
        Option<bool> localRpc = CliOption.Flag("--local-rpc", "Use the LOCAL_RPC chain endpoint (default ws://127.0.0.1:9944).");
        Option<bool> liveRpc = CliOption.Flag("--live-rpc", "Use the LIVE_RPC chain endpoint (default wss://rpc.hypertensor.org:443).");
        Option<string?> rpcUrl = CliOption.Create<string?>("--rpc-url", "Chain endpoint (default DEV_RPC from .env).");
        Option<string?> privateKey = CliOption.Create<string?>("--private-key", "The node's hotkey private key (signs consensus transactions).");
        Option<string?> phrase = CliOption.Create<string?>("--phrase", "The node's hotkey mnemonic (default PHRASE from .env).");
        Option<double> updatePeriod = CliOption.Create<double>("--update-period", "Seconds between heartbeats.");
        updatePeriod.DefaultValueFactory = _ => 120;
        Option<string?> publicName = CliOption.Create<string?>("--public-name", "Name shown in the heartbeat.");
        Option<int?> metricsPort = CliOption.Create<int?>("--metrics-port", "Serve Prometheus metrics on 127.0.0.1:PORT/metrics.");
        Option<string> minClass = CliOption.Create<string>("--min-class", "Least node class a peer needs for proof of stake: registered, idle, included, validator.");
        minClass.DefaultValueFactory = _ => "registered";
        Option<string> localChainPath = CliOption.Create<string>("--local-chain-path", "The local chain's database file.");
        localChainPath.DefaultValueFactory = _ => LocalChainOptions.DefaultFileName;
        Option<string> logFormat = CliOption.Create<string>("--log-format", "text or json (structured logs on stderr).");
        logFormat.DefaultValueFactory = _ => "text";
        Option<bool> noPeerRouting = CliSupport.NoPeerRoutingOption();
        Option<bool> verbose = CliSupport.VerboseOption();
        // Test and tuning knobs, hidden from --help.
        Option<double?> blockTime = CliOption.Create<double?>("--local-block-time", "Seconds per block of a new local chain.");
        blockTime.Hidden = true;
        Option<double?> pollInterval = CliOption.Create<double?>("--chain-poll-interval", "Seconds between chain polls.");
        pollInterval.Hidden = true;
        Option<double> attestDeadline = CliOption.Create<double>("--attest-deadline", "Epoch progress after which attestors give up.");
        attestDeadline.Hidden = true;
        attestDeadline.DefaultValueFactory = _ => 0.25;
        // Hidden, for tests on loaded machines: the DHT's per-RPC timeout, which also bounds the bootstrap ping (dial,
        // handshake and the validating ping back); mesh's 3 s default otherwise.
        Option<double?> waitTimeout = CliOption.Create<double?>("--wait-timeout", "Seconds to wait for a DHT RPC reply (default 3).");
        waitTimeout.Hidden = true;
        var command = new Command("server", "Run a subnet node: DHT with proof of stake, heartbeat, consensus, sample app protocol.")
        {
            hostMaddrs, announceMaddrs, identityPath, initialPeers, newSwarm, subnetId, subnetNodeId, noBlockchain, localRpc, liveRpc, rpcUrl, privateKey,
            phrase, updatePeriod, publicName, metricsPort, minClass, localChainPath, logFormat, noPeerRouting, verbose, blockTime, pollInterval, attestDeadline,
            waitTimeout,
        };
        CliOption.SetAction(command, async (parse, ct) =>
        {
            EnvironmentSettings env = EnvironmentSettings.Load();
            TextWriter error = CliOption.Error(parse);

            // Flags first: every mistake is a one-line usage error before anything starts.
            TimeSpan period = Seconds(parse.GetValue(updatePeriod), "--update_period", 0.1, 86_400);
            TimeSpan? dhtWait = parse.GetValue(waitTimeout) is double w ? Seconds(w, "--wait_timeout", 0.1, 600) : null;
            var limits = new SubnetRecordLimits();
            if (HeartbeatRecord.ExpirationFor(period) > limits.MaxHeartbeatLifetime)
            {
                throw new CliUsageException($"--update_period {period.TotalSeconds:0.#} gives heartbeats a {HeartbeatRecord.ExpirationFor(period).TotalSeconds:0} s lifetime, " +
                    $"over the {limits.MaxHeartbeatLifetime.TotalSeconds:0} s the subnet's peers accept; use at most {limits.MaxHeartbeatLifetime.TotalSeconds / 2:0} s");
            }
            IReadOnlyList<Multiaddr> listen = Addresses(parse.GetValue(hostMaddrs), "--host_maddrs");
            IReadOnlyList<Multiaddr> announce = Addresses(parse.GetValue(announceMaddrs), "--announce_maddrs");
            if (announce.Any(a => a.ToString().Contains("/tcp/0", StringComparison.Ordinal) && a.ToString().EndsWith("/tcp/0", StringComparison.Ordinal)))
            {
                throw new CliUsageException("--announce_maddrs cannot use port 0: announce the port the node listens on");
            }
            string[]? peersGiven = parse.GetValue(initialPeers);
            bool fresh = parse.GetValue(newSwarm);
            if (fresh && peersGiven is { Length: > 0 })
            {
                throw new CliUsageException("--new_swarm and --initial_peers are exclusive: a new swarm joins nobody");
            }
            // The seed's default: --initial_peers falls back to PUBLIC_INITIAL_PEERS (an option given no value parses as empty).
            IReadOnlyList<Multiaddr> peers = fresh ? [] : Addresses(peersGiven is { Length: > 0 } ? peersGiven : SplitList(env.Get("PUBLIC_INITIAL_PEERS")), "--initial_peers");
            foreach (Multiaddr p in peers)
            {
                if (!p.TryGetPeerId(out _))
                {
                    throw new CliUsageException($"--initial_peers {p} has no /p2p/<peer id>: copy the whole address the other node printed");
                }
            }
            NodeClass minimum = ParseClass(parse.GetRequiredValue(minClass));
            bool embedded = parse.GetValue(noBlockchain);
            string? url = parse.GetValue(rpcUrl);
            if ((embedded ? 1 : 0) + (url is not null ? 1 : 0) + (parse.GetValue(localRpc) ? 1 : 0) + (parse.GetValue(liveRpc) ? 1 : 0) > 1)
            {
                throw new CliUsageException("give only one of --no_blockchain_rpc, --rpc_url, --local_rpc and --live_rpc");
            }
            if (parse.GetValue(privateKey) is not null && parse.GetValue(phrase) is not null)
            {
                throw new CliUsageException("give either --private_key or --phrase, not both");
            }
            LogFormat format = parse.GetRequiredValue(logFormat).ToLowerInvariant() switch
            {
                "text" => LogFormat.Text,
                "json" => LogFormat.Json,
                string other => throw new CliUsageException($"--log_format '{other}': use text or json"),
            };
            int? metrics = parse.GetValue(metricsPort);
            if (metrics is < 0 or > 65535)
            {
                throw new CliUsageException($"--metrics_port {metrics} is not a port (0-65535)");
            }
            uint subnet = parse.GetValue(subnetId);
            if (subnet == 0)
            {
                throw new CliUsageException("--subnet_id starts at 1");
            }

            PrivateKey identity = LoadIdentity(parse.GetValue(identityPath));
            foreach (Multiaddr a in announce)
            {
                if (a.TryGetPeerId(out ReadOnlySpan<byte> named) && !(PeerId.TryFromBytes(named, out PeerId namedPeer) && namedPeer == identity.PeerId))
                {
                    throw new CliUsageException($"--announce_maddrs {a} names another peer than this node ({identity.PeerId})");
                }
            }
            EthereumKeyPair? hotkey = HotkeyFrom(parse.GetValue(privateKey), parse.GetValue(phrase) ?? (parse.GetValue(privateKey) is null ? env.Get("PHRASE") : null));
            using ILoggerFactory loggers = NodeLogging.CreateFactory(new LoggingSettings(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information, format), error);
            ILogger log = loggers.CreateLogger("Mesh.Node.Server");
            log.LogInformation("Peer ID: {PeerId}", identity.PeerId);

            IHypertensorChain chain;
            IAsyncDisposable? chainOwner = null;
            uint? nodeId = parse.GetValue(subnetNodeId);
            TimeSpan poll;
            if (embedded)
            {
                double? bt = parse.GetValue(blockTime);
                // Without a hotkey, the local chain gets one derived from the identity (stable across restarts).
                hotkey ??= EthereumKeyPair.FromPrivateKey(SHA256.HashData([.. "mesh-local-hotkey:"u8, .. identity.PeerId.Bytes]));
                LocalHypertensor local = LocalHypertensor.Open(new LocalChainOptions
                {
                    DatabasePath = parse.GetRequiredValue(localChainPath),
                    Reset = fresh,
                    Signer = hotkey,
                    BlockTime = bt is double s ? Seconds(s, "--local_block_time", 0.01, 3600) : TimeSpan.FromSeconds(6),
                });
                local.EnsureSubnet(subnet, hotkey.Address);
                LocalNodeRegistration me = local.RegisterLocalNode(subnet, nodeId, identity.PeerId, hotkey.Address);
                if (me.PreviousPeerId is not null)
                {
                    log.LogWarning("Local chain: subnet node {NodeId} was peer {Previous}; it is now this node", me.SubnetNodeId, me.PreviousPeerId);
                }
                nodeId = me.SubnetNodeId;
                log.LogInformation("Local chain {Path}: subnet {SubnetId}, subnet node {NodeId} (block time {BlockTime} s){Reset}", local.DatabasePath, subnet,
                    nodeId, local.BlockTime.TotalSeconds, local.Created ? ", new chain" : "");
                chain = local;
                poll = local.BlockTime < TimeSpan.FromSeconds(1) ? local.BlockTime : TimeSpan.FromSeconds(1);
            }
            else
            {
                url ??= parse.GetValue(localRpc) ? env.Get("LOCAL_RPC") ?? ChainCommandOptions.DefaultLocalRpc
                    : parse.GetValue(liveRpc) ? env.Get("LIVE_RPC") ?? ChainCommandOptions.DefaultLiveRpc
                    : env.Get("DEV_RPC");
                if (url is null)
                {
                    throw new CliUsageException("no chain given: use --no_blockchain_rpc, --local_rpc (LOCAL_RPC), --rpc_url URL, or DEV_RPC in .env");
                }
                HypertensorClient client = await HypertensorClient.ConnectAsync(ChainCommandOptions.ParseEndpoint(url), hotkey,
                    new ChainRpcOptions { RequestTimeout = TimeSpan.FromSeconds(60) }, loggers.CreateLogger("Mesh.Node.Chain"), ct);
                chain = client;
                chainOwner = client;
                if (nodeId is null && hotkey is not null)
                {
                    nodeId = await client.GetSubnetNodeIdAsync(subnet, hotkey.Address, ct);
                }
                if (nodeId is not null && hotkey is null)
                {
                    log.LogWarning("No hotkey (--private_key/--phrase/PHRASE): the node cannot sign consensus transactions");
                }
                poll = TimeSpan.FromSeconds(6);
            }
            if (parse.GetValue(pollInterval) is double p2)
            {
                poll = Seconds(p2, "--chain_poll_interval", 0.05, 600);
            }
            try
            {
                var options = new SubnetServerOptions
                {
                    Identity = identity,
                    SubnetId = subnet,
                    SubnetNodeId = nodeId,
                    ListenAddresses = listen.Count > 0 ? listen : [Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")],
                    AnnounceAddresses = announce,
                    InitialPeers = peers,
                    Heartbeat = new HeartbeatOptions { UpdatePeriod = period, PublicName = parse.GetValue(publicName) },
                    ChainPollInterval = poll,
                    AttestDeadline = parse.GetValue(attestDeadline),
                    DhtWaitTimeout = dhtWait,
                    MinClass = minimum,
                    MetricsPort = metrics,
                    PeerRouting = !parse.GetValue(noPeerRouting),
                };
                await using var server = new SubnetServer(options, chain, dhtFactory, loggers);
                try
                {
                    await server.StartAsync(ct);
                }
                catch (Mesh.Kademlia.Node.DhtBootstrapException ex)
                {
                    throw new CliFailureException($"none of the --initial_peers answered ({string.Join(", ", peers)}): check that they run and that " +
                        "this node may reach them, or start a new swarm with --new_swarm", ex);
                }
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // SIGINT/SIGTERM: graceful shutdown in DisposeAsync.
                }
                return CliExit.Success;
            }
            finally
            {
                if (chainOwner is not null)
                {
                    await chainOwner.DisposeAsync();
                }
            }
        });
        return command;
    }

    internal static PrivateKey LoadIdentity(string? path)
    {
        if (path is null)
        {
            return PrivateKey.Generate(KeyType.Ed25519);
        }
        if (Directory.Exists(path))
        {
            throw new CliUsageException($"--identity_path '{path}' is a directory");
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(null, path);
        }
        PrivateKey key = IdentityFile.Read(path);
        if (!MeshSignatureScheme.IsSupported(key.Type))
        {
            throw new CliUsageException($"{path} holds a {key.Type} key: a mesh node signs with RSA or Ed25519 (make one with mesh keygen)");
        }
        return key;
    }

    private static EthereumKeyPair? HotkeyFrom(string? privateKey, string? phrase)
    {
        try
        {
            return privateKey is not null ? EthereumKeyPair.FromPrivateKeyHex(privateKey.Trim())
                : phrase is not null ? EthereumKeyPair.FromMnemonic(phrase.Trim())
                : null;
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException(privateKey is not null ? $"--private_key is not a secp256k1 private key: {ex.Message}" : $"the phrase is not a valid BIP39 mnemonic: {ex.Message}");
        }
    }

    private static NodeClass ParseClass(string text) =>
        Enum.TryParse(text.Trim(), ignoreCase: true, out NodeClass c) && Enum.IsDefined(c) ? c
            : throw new CliUsageException($"--min_class '{text}': use registered, idle, included or validator (or 0-3)");

    private static TimeSpan Seconds(double value, string flag, double min, double max) =>
        double.IsFinite(value) && value >= min && value <= max ? TimeSpan.FromSeconds(value)
            : throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"{flag} {value} must be between {min} and {max} seconds"));

    private static string[] SplitList(string? text) =>
        text?.Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    private static IReadOnlyList<Multiaddr> Addresses(string[]? texts, string flag)
    {
        var list = new List<Multiaddr>();
        foreach (string text in (texts ?? []).SelectMany(t => SplitList(t)))
        {
            try
            {
                list.Add(Multiaddr.Parse(text));
            }
            catch (MeshProtocolException ex)
            {
                throw new CliUsageException($"{flag} '{text}' is not a multiaddr: {ex.Message}");
            }
        }
        return list;
    }
}
