using System.CommandLine;
using System.Security.Cryptography;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Node;
using Mesh.Multistream;
using Mesh.Node.Hosting;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh dht [--host_maddrs A...] [--announce_maddrs A...] [--identity_path F] [--initial_peers A...]
/// [--refresh_period S] [--client_mode] [--no_auth] [--no_peer_routing] [--bucket_size K] [--num_replicas N]
/// [--wait_timeout S]</c>: runs a mesh DHT node (the Python <c>mesh-dht</c>, mesh-reference §6): logs
/// <c>Running a DHT instance. To connect other peers to this one, use --initial_peers &lt;multiaddr&gt;</c> once per
/// visible address, then every refresh period how many nodes its routing table holds and how many keys it stores,
/// and looks up a random key to keep the table fresh. Runs until SIGINT/SIGTERM (exit 0 after a graceful stop).
/// </summary>
/// <remarks>
/// Unlike <c>mesh-dht</c>, RPCs are signed and checked with the node's identity (mesh's <c>SignatureAuthorizer</c>) by
/// default, so the node can serve an authorized subnet; <c>--no_auth</c> runs without, as <c>mesh-dht</c> does. Like
/// mesh's p2pd, the node also runs the libp2p Kademlia DHT (<see cref="KadPeerRouting"/>: a server, a client with
/// <c>--client_mode</c>) to find the addresses of peers the mesh DHT names by id only; <c>--no_peer_routing</c> turns
/// it off. <c>--announce_maddrs</c> replaces the listen addresses in what the host advertises (identify) and prints.
/// </remarks>
internal static class DhtCommand
{
    public static Command Create()
    {
        Option<string[]> hostMaddrs = CliOption.List("--host-maddrs", "Multiaddrs to listen on (default /ip4/0.0.0.0/tcp/0).");
        Option<string[]> announceMaddrs = CliOption.List("--announce-maddrs", "Multiaddrs other nodes should use to reach this one (advertised through identify and printed with /p2p/).");
        Option<string> identityPath = CliOption.Create<string>("--identity-path", "Identity file (libp2p PrivateKey protobuf); created (Ed25519) if missing. Default: a fresh key.");
        Option<string[]> initialPeers = CliOption.List("--initial-peers", "Multiaddrs with /p2p/ of nodes already in the DHT (none: start a new DHT).");
        Option<double> refreshPeriod = CliOption.Create<double>("--refresh-period", "Seconds between status reports and table refresh lookups.");
        refreshPeriod.DefaultValueFactory = _ => 30;
        Option<bool> clientMode = CliOption.Flag("--client-mode", "Serve nothing and stay out of other nodes' routing tables.");
        Option<bool> noAuth = CliOption.Flag("--no-auth", "Do not sign or check RPCs (as mesh-dht; interoperates with unauthenticated DHTs only).");
        Option<bool> noPeerRouting = CliSupport.NoPeerRoutingOption();
        Option<int> bucketSize = CliOption.Create<int>("--bucket-size", "Kademlia k.");
        bucketSize.DefaultValueFactory = _ => 20;
        Option<int> numReplicas = CliOption.Create<int>("--num-replicas", "Nodes each value is stored on.");
        numReplicas.DefaultValueFactory = _ => 5;
        Option<double> waitTimeout = CliOption.Create<double>("--wait-timeout", "Seconds to wait for an RPC reply.");
        waitTimeout.DefaultValueFactory = _ => 3;
        Option<bool> verbose = CliSupport.VerboseOption();
        var command = new Command("dht", "Run a mesh DHT node (bootnode), like mesh-dht.")
        {
            hostMaddrs, announceMaddrs, identityPath, initialPeers, refreshPeriod, clientMode, noAuth, noPeerRouting, bucketSize, numReplicas, waitTimeout, verbose,
        };
        CliOption.SetAction(command, (parse, ct) =>
        {
            double refresh = parse.GetValue(refreshPeriod), wait = parse.GetValue(waitTimeout);
            if (!(refresh > 0) || !(wait > 0) || parse.GetValue(bucketSize) < 1 || parse.GetValue(numReplicas) < 1)
            {
                throw new CliUsageException("--refresh_period and --wait_timeout must be positive, --bucket_size and --num_replicas at least 1");
            }
            string[] listen = parse.GetValue(hostMaddrs) is { Length: > 0 } given ? given : ["/ip4/0.0.0.0/tcp/0"];
            return RunAsync(parse, new Settings(
                DhtCliSupport.ParseAddresses("--host_maddrs", listen, requirePeerId: false),
                DhtCliSupport.ParseAddresses("--announce_maddrs", parse.GetValue(announceMaddrs), requirePeerId: false),
                parse.GetValue(identityPath),
                DhtCliSupport.ParseAddresses("--initial_peers", parse.GetValue(initialPeers), requirePeerId: true),
                TimeSpan.FromSeconds(refresh),
                parse.GetValue(clientMode),
                parse.GetValue(noAuth),
                !parse.GetValue(noPeerRouting),
                parse.GetValue(bucketSize),
                parse.GetValue(numReplicas),
                TimeSpan.FromSeconds(wait),
                parse.GetValue(verbose)), ct);
        });
        return command;
    }

    private sealed record Settings(Multiaddr[] Listen, Multiaddr[] Announce, string? IdentityPath, Multiaddr[] InitialPeers, TimeSpan RefreshPeriod,
        bool ClientMode, bool NoAuth, bool PeerRouting, int BucketSize, int NumReplicas, TimeSpan WaitTimeout, bool Verbose);

    private static async Task<int> RunAsync(ParseResult parse, Settings settings, CancellationToken cancellationToken)
    {
        using ILoggerFactory loggers = DhtCliSupport.CreateLoggers(parse, settings.Verbose);
        ILogger log = loggers.CreateLogger("Mesh.Node.Dht");
        PrivateKey identity = settings.IdentityPath is { Length: > 0 } path ? IdentityFile.ReadOrCreate(path) : Ed25519PrivateKey.Generate();
        await using MeshHost host = await DhtCliSupport.StartHostAsync(identity, settings.Listen, loggers, log, cancellationToken, settings.Announce);
        await using KadPeerRouting? routing = settings.PeerRouting
            ? await KadPeerRouting.StartAsync(host, settings.ClientMode ? KadDhtMode.Client : KadDhtMode.Server, settings.InitialPeers, loggers, cancellationToken)
            : null;
        await using DhtNode node = await DhtNode.CreateAsync(host, new DhtNodeOptions
        {
            InitialPeers = settings.InitialPeers,
            PeerAddressResolver = routing?.Resolver,
            ClientMode = settings.ClientMode,
            Authorization = settings.NoAuth ? DhtAuthorization.None : DhtAuthorization.Signature,
            BucketSize = settings.BucketSize,
            NumReplicas = settings.NumReplicas,
            WaitTimeout = settings.WaitTimeout,
        }, loggers, cancellationToken);

        IReadOnlyList<Multiaddr> visible = host.GetFullAdvertisedAddresses();
        foreach (Multiaddr address in visible)
        {
            DhtCliLog.Running(log, address.ToString());
        }
        DhtCliLog.VisibleAddresses(log, string.Join(' ', visible));

        while (!cancellationToken.IsCancellationRequested)
        {
            // mesh-dht's report_status: the table size, the storage size, and a lookup that keeps the table healthy.
            DhtCliLog.RoutingTableSize(log, node.Protocol.RoutingTable.Count + 1);
            DhtCliLog.StorageSize(log, node.Protocol.Stores.Storage.Count);
            try
            {
                await node.GetAsync($"heartbeat_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}", latest: true, cancellationToken);
                await Task.Delay(settings.RefreshPeriod, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }
        DhtCliLog.ShuttingDown(log);
        return CliExit.Success;
    }
}
