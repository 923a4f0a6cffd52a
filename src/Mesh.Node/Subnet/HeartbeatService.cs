using Mesh.Kademlia.Serialization;
using Mesh.Node.Metrics;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Node.Subnet;

/// <summary>Settings of <see cref="HeartbeatService"/>.</summary>
public sealed record HeartbeatOptions
{
    /// <summary><c>--update_period</c>: how often the heartbeat is published (template default 120 s).</summary>
    public TimeSpan UpdatePeriod { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary><c>--public_name</c>.</summary>
    public string? PublicName { get; init; }

    /// <summary>The version reported in the heartbeat.</summary>
    public string Version { get; init; } = typeof(HeartbeatService).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Peers pinged per heartbeat for <c>next_pings</c> (template <c>max_pinged</c> = 5).</summary>
    public int MaxPinged { get; init; } = 5;
}

/// <summary>Measures the round trip to a peer, or null when it does not answer.</summary>
public delegate ValueTask<TimeSpan?> PeerPinger(PeerId peer, CancellationToken cancellationToken);

/// <summary>
/// The template's <c>ModuleHeartbeatThread</c> (mesh-reference §7.6): every update period it pings up to five other
/// live nodes and publishes this node's signed <see cref="HeartbeatRecord"/> (state ONLINE, role validator,
/// throughput 1.0, public name, version, next pings) with expiration max(2 · period, 3 s); on a graceful stop it
/// publishes state OFFLINE once. A failed publication is logged and counted and the next period tries again.
/// </summary>
public sealed partial class HeartbeatService
{
    private readonly ISubnetDht _dht;
    private readonly PublicKey _publicKey;
    private readonly HeartbeatOptions _options;
    private readonly PeerPinger? _ping;
    private readonly NodeMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly MsgValue _subkey;
    private IReadOnlyDictionary<string, double>? _lastPings;

    public HeartbeatService(ISubnetDht dht, PublicKey publicKey, HeartbeatOptions options, PeerPinger? ping = null, NodeMetrics? metrics = null,
        ILogger? logger = null, TimeProvider? time = null)
    {
        _dht = dht ?? throw new ArgumentNullException(nameof(dht));
        _publicKey = publicKey ?? throw new ArgumentNullException(nameof(publicKey));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.UpdatePeriod <= TimeSpan.Zero)
        {
            throw new ArgumentException("the update period must be positive", nameof(options));
        }
        if (publicKey.PeerId != dht.LocalPeer)
        {
            throw new ArgumentException("the heartbeat key must be the DHT node's identity", nameof(publicKey));
        }
        _ping = ping;
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _subkey = MsgValue.FromBytes(HeartbeatRecord.Subkey(dht.LocalPeer, publicKey));
        Expiration = HeartbeatRecord.ExpirationFor(options.UpdatePeriod);
    }

    /// <summary>The lifetime each heartbeat is stored with.</summary>
    public TimeSpan Expiration { get; }

    /// <summary>Heartbeats published successfully so far.</summary>
    public long Published => Interlocked.Read(ref _published);

    private long _published;

    /// <summary>Publishes every update period until cancelled; then returns (publish OFFLINE with <see cref="AnnounceOfflineAsync"/>).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                long started = _time.GetTimestamp();
                _lastPings = await PingOthersAsync(cancellationToken).ConfigureAwait(false);
                await PublishAsync(ServerState.Online, cancellationToken).ConfigureAwait(false);
                TimeSpan left = _options.UpdatePeriod - _time.GetElapsedTime(started);
                if (left < TimeSpan.Zero)
                {
                    Log.Slow(_logger, _options.UpdatePeriod.TotalSeconds);
                    left = TimeSpan.Zero;
                }
                await Task.Delay(left, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Publishes one heartbeat in <paramref name="state"/>; true when a replica stored it.</summary>
    public async Task<bool> PublishAsync(ServerState state, CancellationToken cancellationToken)
    {
        var info = new ServerInfo(state, ServerInfo.ValidatorRole, 1.0, _options.PublicName, _options.Version, UsingRelay: false,
            NextPings: state == ServerState.Offline ? null : _lastPings);
        double expiration = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0 + Expiration.TotalSeconds;
        try
        {
            bool stored = await _dht.StoreAsync(HeartbeatRecord.Key, _subkey, info.ToTuple(), expiration, cancellationToken).ConfigureAwait(false);
            _metrics?.Heartbeats.Add(1, new KeyValuePair<string, object?>("result", stored ? "stored" : "rejected"));
            _metrics?.DhtOperations.Add(1, new KeyValuePair<string, object?>("operation", "store"), new KeyValuePair<string, object?>("result", stored ? "ok" : "failed"));
            if (stored)
            {
                Interlocked.Increment(ref _published);
                Log.Published(_logger, state.ToString(), Expiration.TotalSeconds);
            }
            else
            {
                Log.Rejected(_logger);
            }
            return stored;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _metrics?.Heartbeats.Add(1, new KeyValuePair<string, object?>("result", "failed"));
            _metrics?.DhtOperations.Add(1, new KeyValuePair<string, object?>("operation", "store"), new KeyValuePair<string, object?>("result", "failed"));
            Log.Failed(_logger, ex.Message);
            return false;
        }
    }

    /// <summary>The template's shutdown announcement: one OFFLINE heartbeat, bounded by <paramref name="timeout"/>.</summary>
    public async Task AnnounceOfflineAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout, _time);
        await PublishAsync(ServerState.Offline, cts.Token).ConfigureAwait(false);
    }

    private async Task<IReadOnlyDictionary<string, double>?> PingOthersAsync(CancellationToken cancellationToken)
    {
        if (_ping is null || _options.MaxPinged <= 0)
        {
            return null;
        }
        IReadOnlyList<NodeHeartbeat> others;
        try
        {
            others = HeartbeatRecord.Parse(await _dht.GetDictionaryAsync(HeartbeatRecord.Key, latest: false, cancellationToken).ConfigureAwait(false), out _);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        var pings = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (NodeHeartbeat peer in others.Where(h => h.PeerId != _dht.LocalPeer && h.Server.State != ServerState.Offline)
                     .OrderBy(_ => Random.Shared.Next()).Take(_options.MaxPinged))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                if (await _ping(peer.PeerId, timeout.Token).ConfigureAwait(false) is TimeSpan rtt)
                {
                    pings[peer.PeerId.ToString()] = rtt.TotalSeconds;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // An unreachable peer simply has no ping entry.
            }
        }
        return pings;
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "Declared node [Heartbeat] ({State}, expires in {Seconds:0.#} s)")]
        public static partial void Published(ILogger logger, string state, double seconds);

        [LoggerMessage(101, LogLevel.Warning, "Heartbeat was not stored by any replica; trying again next period")]
        public static partial void Rejected(ILogger logger);

        [LoggerMessage(102, LogLevel.Warning, "Heartbeat failed: {Reason}; trying again next period")]
        public static partial void Failed(ILogger logger, string reason);

        [LoggerMessage(103, LogLevel.Warning, "Declaring node to DHT takes more than --update_period, consider increasing it (currently {Seconds} s)")]
        public static partial void Slow(ILogger logger, double seconds);
    }
}
