using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Validation;
using Mesh.Multistream;
using Mesh.Node.App;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Consensus;
using Mesh.Node.Hosting;
using Mesh.Node.Metrics;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Servicer;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Subnet;

/// <summary>The DHT a <see cref="SubnetServer"/> runs: the subnet services' view plus its lifetime.</summary>
public interface ISubnetDhtNode : ISubnetDht, IAsyncDisposable
{
}

/// <summary>Everything the DHT of a subnet node is built from.</summary>
public sealed record SubnetDhtSetup(
    MeshHost Host,
    IRpcTransport Transport,
    PrivateKey Identity,
    IReadOnlyList<IRecordValidator> Validators,
    IRpcAuthorizer Authorizer,
    IReadOnlyList<Multiaddr> InitialPeers,
    ILoggerFactory LoggerFactory)
{
    /// <summary>
    /// Finds the addresses of peers the DHT names by id only (the server's kad DHT, <see cref="KadPeerRouting"/>); null
    /// when peer routing is off.
    /// </summary>
    public IPeerAddressResolver? PeerAddressResolver { get; init; }

    /// <summary>The DHT's per-RPC timeout (mesh's <c>wait_timeout</c>); null: the DHT default (3 s).</summary>
    public TimeSpan? WaitTimeout { get; init; }
}

/// <summary>Creates and bootstraps the DHT node of a subnet server.</summary>
public delegate Task<ISubnetDhtNode> SubnetDhtFactory(SubnetDhtSetup setup, CancellationToken cancellationToken);

/// <summary>Settings of <see cref="SubnetServer"/> (the <c>mesh server</c> flags).</summary>
public sealed record SubnetServerOptions
{
    public required PrivateKey Identity { get; init; }

    public required uint SubnetId { get; init; }

    /// <summary>The node's id on the chain; null runs no consensus (a node that is not registered, or a bootnode).</summary>
    public uint? SubnetNodeId { get; init; }

    public IReadOnlyList<Multiaddr> ListenAddresses { get; init; } = [];

    /// <summary>
    /// Addresses to advertise (identify) and print instead of the listen addresses (<c>--announce_maddrs</c>); a
    /// trailing <c>/p2p/</c> must name this node.
    /// </summary>
    public IReadOnlyList<Multiaddr> AnnounceAddresses { get; init; } = [];

    /// <summary>
    /// Run the libp2p Kademlia DHT in server mode next to the mesh DHT, as mesh's p2pd does, and resolve the peer ids
    /// of the mesh DHT's replies through it (default true; <c>--no_peer_routing</c> turns it off).
    /// </summary>
    public bool PeerRouting { get; init; } = true;

    public IReadOnlyList<Multiaddr> InitialPeers { get; init; } = [];

    public HeartbeatOptions Heartbeat { get; init; } = new();

    /// <summary>Chain polling for the epoch clock and consensus (one block of the chain).</summary>
    public TimeSpan ChainPollInterval { get; init; } = TimeSpan.FromSeconds(6);

    public double AttestDeadline { get; init; } = 0.25;

    /// <summary>The DHT's per-RPC timeout, bootstrap ping included (hidden <c>--wait_timeout</c>); null: 3 s as mesh.</summary>
    public TimeSpan? DhtWaitTimeout { get; init; }

    /// <summary>Proof-of-stake minimum class for peers' RPCs (<c>--min_class</c>).</summary>
    public NodeClass MinClass { get; init; } = NodeClass.Registered;

    /// <summary>How long a failed proof of stake is remembered (template MT: 20 s).</summary>
    public TimeSpan ProofOfStakeFailureCooldown { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Prometheus endpoint port on 127.0.0.1 (null: none).</summary>
    public int? MetricsPort { get; init; }
}

/// <summary>
/// A subnet node (the template's <c>Server</c>, <c>mesh server</c>): a libp2p host; the libp2p Kademlia DHT for peer
/// routing (<see cref="KadPeerRouting"/>, unless <see cref="SubnetServerOptions.PeerRouting"/> is off); the mesh DHT with the signature and
/// subnet predicate validators and a signature authorizer whose signer policy is proof of stake; the heartbeat; the
/// consensus loop; the sample <see cref="MathProtocol"/> served with the signature authorizer; an epoch clock kept
/// fresh from the chain for the predicate; metrics and an optional Prometheus endpoint. <see cref="StartAsync"/> brings
/// it up in that order and logs the <c>Running a DHT instance…</c> line; <see cref="DisposeAsync"/> stops the loops,
/// announces OFFLINE, and closes the DHT, the host and the endpoint.
/// </summary>
public sealed partial class SubnetServer : IAsyncDisposable
{
    private readonly SubnetServerOptions _options;
    private readonly IHypertensorChain _chain;
    private readonly SubnetDhtFactory _dhtFactory;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private PrometheusExporter? _exporter;
    private MetricsEndpoint? _endpoint;
    private KadPeerRouting? _routing;
    private ISubnetDhtNode? _dht;
    private RpcServicer? _app;
    private HeartbeatService? _heartbeat;
    private int _disposed;

    public SubnetServer(SubnetServerOptions options, IHypertensorChain chain, SubnetDhtFactory dhtFactory, ILoggerFactory loggers, TimeProvider? time = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _chain = chain ?? throw new ArgumentNullException(nameof(chain));
        _dhtFactory = dhtFactory ?? throw new ArgumentNullException(nameof(dhtFactory));
        _loggers = loggers ?? throw new ArgumentNullException(nameof(loggers));
        _logger = loggers.CreateLogger("Mesh.Node.Server");
        _time = time ?? TimeProvider.System;
        Metrics = new NodeMetrics();
        var hostOptions = new HostOptions { Identity = options.Identity };
        foreach (Multiaddr a in options.ListenAddresses)
        {
            hostOptions.ListenAddresses.Add(a);
        }
        foreach (Multiaddr a in options.AnnounceAddresses)
        {
            hostOptions.AnnounceAddresses.Add(a);
        }
        Host = new MeshHost(hostOptions, loggers);
        Predicate = new SubnetRecordPredicate(EpochClock, time: _time);
        ProofOfStake = new ProofOfStake(chain, options.SubnetId, options.MinClass, options.ProofOfStakeFailureCooldown, time: _time,
            logger: loggers.CreateLogger("Mesh.Node.ProofOfStake"));
    }

    public MeshHost Host { get; }

    public NodeMetrics Metrics { get; }

    public SubnetEpochClock EpochClock { get; } = new();

    public SubnetRecordPredicate Predicate { get; }

    public ProofOfStake ProofOfStake { get; }

    public ConsensusLoop? Consensus { get; private set; }

    public ISubnetDht Dht => _dht ?? throw new InvalidOperationException("the server is not started");

    /// <summary>The kad DHT that resolves peer ids for the mesh DHT; null before start or with peer routing off.</summary>
    public KadDht? PeerRouting => _routing?.Dht;

    public HeartbeatService Heartbeat => _heartbeat ?? throw new InvalidOperationException("the server is not started");

    /// <summary>The Prometheus endpoint, when <see cref="SubnetServerOptions.MetricsPort"/> is set.</summary>
    public MetricsEndpoint? MetricsEndpoint => _endpoint;

    /// <summary>The addresses other peers should use (the host's advertised addresses), each ending in <c>/p2p/&lt;id&gt;</c>.</summary>
    public IReadOnlyList<Multiaddr> VisibleAddresses => Host.GetFullAdvertisedAddresses();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObserveHost();
        if (_options.MetricsPort is int port)
        {
            _exporter = new PrometheusExporter(NodeMetrics.MeterName);
            _endpoint = MetricsEndpoint.Start(port, _exporter, _logger);
            Log.Metrics(_logger, _endpoint.Url.ToString());
        }
        await Host.StartAsync(cancellationToken).ConfigureAwait(false);

        // The first epoch sample, so the predicate judges the first stores with the chain's epoch; a chain that does not
        // answer yet is retried by the clock loop below while the node already serves.
        try
        {
            EpochClock.Update(await _chain.GetClockAsync(_options.SubnetId, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ConsensusLoop.IsTransient(ex))
        {
            Log.ChainDown(_logger, ex.Message);
        }
        _loops.Add(RunClockAsync(_stop.Token));

        var signatureOnly = new SignatureAuthorizer(_options.Identity, new SignatureAuthorizerOptions { TimeProvider = _time });
        var withStake = new SignatureAuthorizer(_options.Identity, new SignatureAuthorizerOptions
        {
            TimeProvider = _time,
            SignerPolicy = new ProofOfStakePolicy(ProofOfStake, Metrics),
        });
        var transport = new MeteredRpcTransport(new MeshHostRpcTransport(Host), Metrics);
        IRecordValidator[] validators = [new SignatureValidator(_options.Identity), new PredicateValidator(Predicate)];
        if (_options.PeerRouting)
        {
            // Before the mesh DHT, as p2pd's DHT is up before hivemind's DHTNode.create (see KadPeerRouting).
            _routing = await KadPeerRouting.StartAsync(Host, KadDhtMode.Server, _options.InitialPeers, _loggers, cancellationToken).ConfigureAwait(false);
        }
        _dht = await _dhtFactory(new SubnetDhtSetup(Host, transport, _options.Identity, validators, withStake, _options.InitialPeers, _loggers)
        {
            PeerAddressResolver = _routing?.Resolver,
            WaitTimeout = _options.DhtWaitTimeout,
        }, cancellationToken).ConfigureAwait(false);

        _app = new RpcServicer(transport, loggerFactory: _loggers);
        MathProtocol.Serve(_app, signatureOnly, DescribeNode);

        foreach (Multiaddr address in VisibleAddresses)
        {
            Log.Running(_logger, address.ToString());
        }

        _heartbeat = new HeartbeatService(_dht, _options.Identity.PublicKey, _options.Heartbeat, PingAsync, Metrics,
            _loggers.CreateLogger("Mesh.Node.Heartbeat"), _time);
        _loops.Add(_heartbeat.RunAsync(_stop.Token));
        if (_options.SubnetNodeId is uint nodeId)
        {
            Consensus = new ConsensusLoop(_chain, _dht, new ConsensusOptions
            {
                SubnetId = _options.SubnetId,
                SubnetNodeId = nodeId,
                PollInterval = _options.ChainPollInterval,
                AttestDeadline = _options.AttestDeadline,
            }, Metrics, _loggers.CreateLogger("Mesh.Node.Consensus"), _time, EpochClock);
            _loops.Add(Consensus.RunAsync(_stop.Token));
        }
        else
        {
            Log.NoConsensus(_logger, _options.SubnetId);
        }
    }

    private MsgValue DescribeNode() => MsgValue.Map(
        new MsgMapEntry("peer_id", Host.PeerId.ToString()),
        new MsgMapEntry("subnet_id", (long)_options.SubnetId),
        new MsgMapEntry("subnet_node_id", _options.SubnetNodeId is uint id ? (long)id : MsgValue.Nil),
        new MsgMapEntry("public_name", _options.Heartbeat.PublicName is string n ? n : MsgValue.Nil),
        new MsgMapEntry("version", _options.Heartbeat.Version));

    private async ValueTask<TimeSpan?> PingAsync(PeerId peer, CancellationToken cancellationToken)
    {
        MeshConnection? connection = Host.GetConnection(peer);
        if (connection is null)
        {
            return null;
        }
        await using PingSession session = await Host.Ping.OpenSessionAsync(connection, cancellationToken).ConfigureAwait(false);
        return await session.PingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Keeps <see cref="EpochClock"/> fresh; while the chain is down, retries with backoff and a status line.</summary>
    private async Task RunClockAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = _options.ChainPollInterval;
        bool down = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    EpochClock.Update(await _chain.GetClockAsync(_options.SubnetId, cancellationToken).ConfigureAwait(false));
                    if (down)
                    {
                        Log.ChainBack(_logger);
                        down = false;
                    }
                    delay = _options.ChainPollInterval;
                }
                catch (Exception ex) when (ConsensusLoop.IsTransient(ex) && !cancellationToken.IsCancellationRequested)
                {
                    Metrics.ChainErrors.Add(1);
                    Log.ChainRetry(_logger, ex.Message, delay.TotalSeconds);
                    down = true;
                    delay = delay * 2 > TimeSpan.FromSeconds(60) ? TimeSpan.FromSeconds(60) : delay * 2;
                }
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: a chain call cancelled under us may fail with its connection's or database's error.
        }
    }

    private void ObserveHost()
    {
        Host.Connected += _ => Metrics.ConnectionsOpened.Add(1);
        Host.Disconnected += _ => Metrics.ConnectionsClosed.Add(1);
        Metrics.ObserveGauge("mesh.connections", "{connection}", "Open connections", () => Host.ConnectionCount);
        Metrics.ObserveGauge("mesh.streams", "{stream}", "Open streams on all connections",
            () => Host.Connections.Sum(c => (long)c.InboundStreamCount + c.OutboundStreamCount));
        Metrics.ObserveGauge("mesh.subnet.epoch", "{epoch}", "The subnet epoch the node sees", () => EpochClock.SubnetEpoch);
        Metrics.ObserveGauge("mesh.pos.lookups", "{lookup}", "Proof-of-stake chain lookups (cache misses)", () => ProofOfStake.ChainLookups);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Log.Stopping(_logger);
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (Task loop in _loops)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // A loop that failed must not keep the rest from closing (the DHT, the host, the endpoint).
                Log.LoopFailed(_logger, ex);
            }
        }
        if (_heartbeat is not null)
        {
            await _heartbeat.AnnounceOfflineAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        if (_dht is not null)
        {
            await _dht.DisposeAsync().ConfigureAwait(false);
        }
        if (_routing is not null)
        {
            await _routing.DisposeAsync().ConfigureAwait(false);
        }
        await Host.DisposeAsync().ConfigureAwait(false);
        if (_endpoint is not null)
        {
            await _endpoint.DisposeAsync().ConfigureAwait(false);
        }
        _exporter?.Dispose();
        Metrics.Dispose();
        _stop.Dispose();
        Log.Stopped(_logger);
    }

    private static partial class Log
    {
        // The seed README's line, word for word (operators copy the address from it).
        [LoggerMessage(1, LogLevel.Information, "Running a DHT instance. To connect other peers to this one, use --initial_peers {Address}")]
        public static partial void Running(ILogger logger, string address);

        [LoggerMessage(2, LogLevel.Information, "Metrics at {Url}")]
        public static partial void Metrics(ILogger logger, string url);

        [LoggerMessage(3, LogLevel.Warning, "The chain does not answer yet ({Reason}); the node serves and keeps trying")]
        public static partial void ChainDown(ILogger logger, string reason);

        [LoggerMessage(4, LogLevel.Warning, "Cannot reach the chain: {Reason}; retrying in {Seconds:0.#} s")]
        public static partial void ChainRetry(ILogger logger, string reason, double seconds);

        [LoggerMessage(5, LogLevel.Information, "The chain answers again")]
        public static partial void ChainBack(ILogger logger);

        [LoggerMessage(6, LogLevel.Information, "No --subnet_node_id: serving the subnet's DHT without taking part in consensus (subnet {SubnetId})")]
        public static partial void NoConsensus(ILogger logger, uint subnetId);

        [LoggerMessage(7, LogLevel.Information, "Shutting down the server, waiting for it to stop properly")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(8, LogLevel.Information, "Server stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(9, LogLevel.Error, "A background loop of the server failed")]
        public static partial void LoopFailed(ILogger logger, Exception error);
    }
}
