using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Node.Chain.Hypertensor;

/// <summary>
/// Proof-of-stake gate for peers (mesh <c>ProofOfStake</c>, mesh-reference §6): a peer passes when the chain says it
/// is staked in the subnet with at least <see cref="MinClass"/>. Answers are cached per peer: a success for
/// <see cref="SuccessCooldown"/> (300 s, as the reference), a failure for <see cref="FailureCooldown"/> (configurable;
/// the reference servers use 300 s or 20 s), so a flood of requests from one peer costs one chain lookup per cooldown.
/// A chain error counts as a failure (the peer is refused, the node keeps running) and is logged. The cache is
/// bounded: past <see cref="MaxEntries"/> peers, expired entries are dropped, then the oldest.
/// Thread-safe: the cache is a dictionary under a short lock that is never held across the chain call.
/// </summary>
public sealed partial class ProofOfStake
{
    public static readonly TimeSpan DefaultSuccessCooldown = TimeSpan.FromSeconds(300);

    private readonly IHypertensorChain _chain;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<string, (bool Staked, long At)> _cache = new(StringComparer.Ordinal);

    public ProofOfStake(IHypertensorChain chain, uint subnetId, NodeClass minClass, TimeSpan? failureCooldown = null,
        TimeSpan? successCooldown = null, TimeProvider? time = null, ILogger? logger = null)
    {
        _chain = chain;
        SubnetId = subnetId;
        MinClass = minClass;
        FailureCooldown = failureCooldown ?? TimeSpan.FromSeconds(300);
        SuccessCooldown = successCooldown ?? DefaultSuccessCooldown;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public uint SubnetId { get; }

    public NodeClass MinClass { get; }

    public TimeSpan SuccessCooldown { get; }

    public TimeSpan FailureCooldown { get; }

    public int MaxEntries { get; init; } = 65_536;

    /// <summary>Chain lookups made so far (cache misses).</summary>
    public long ChainLookups => Interlocked.Read(ref _lookups);

    private long _lookups;

    /// <summary>True when <paramref name="peerId"/> (base58 text) has proof of stake, using the cached answer while fresh.</summary>
    public async Task<bool> IsStakedAsync(string peerId, CancellationToken cancellationToken = default)
    {
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_cache.TryGetValue(peerId, out (bool Staked, long At) entry)
                && _time.GetElapsedTime(entry.At, now) < (entry.Staked ? SuccessCooldown : FailureCooldown))
            {
                return entry.Staked;
            }
        }
        Interlocked.Increment(ref _lookups);
        bool staked;
        try
        {
            staked = await _chain.ProofOfStakeAsync(SubnetId, peerId, MinClass, cancellationToken).ConfigureAwait(false);
        }
        catch (ChainException ex)
        {
            Log.LookupFailed(_logger, peerId, SubnetId, ex.Message);
            staked = false;
        }
        lock (_gate)
        {
            if (_cache.Count >= MaxEntries && !_cache.ContainsKey(peerId))
            {
                Evict(now);
            }
            _cache[peerId] = (staked, _time.GetTimestamp());
        }
        return staked;
    }

    /// <summary>Forgets a peer's cached answer (e.g. after it registered).</summary>
    public void Invalidate(string peerId)
    {
        lock (_gate)
        {
            _cache.Remove(peerId);
        }
    }

    private void Evict(long now)
    {
        TimeSpan longest = SuccessCooldown > FailureCooldown ? SuccessCooldown : FailureCooldown;
        foreach (string key in _cache.Where(kv => _time.GetElapsedTime(kv.Value.At, now) >= longest).Select(kv => kv.Key).ToArray())
        {
            _cache.Remove(key);
        }
        if (_cache.Count >= MaxEntries)
        {
            foreach (string key in _cache.OrderBy(kv => kv.Value.At).Take(_cache.Count - MaxEntries + 1).Select(kv => kv.Key).ToArray())
            {
                _cache.Remove(key);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(40, LogLevel.Warning, "Proof-of-stake lookup of {PeerId} in subnet {SubnetId} failed: {Reason}; treated as not staked")]
        public static partial void LookupFailed(ILogger logger, string peerId, uint subnetId, string reason);
    }
}
