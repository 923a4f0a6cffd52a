namespace Mesh.Transport.Rpc.Auth;

/// <summary>Outcome of <see cref="TokenBucketLimiter{TKey}.TryAcquire"/>.</summary>
internal enum RateDecision
{
    Allowed,
    RateLimited,
    Blocked,
}

/// <summary>
/// Per-client token buckets for <see cref="RateLimitAuthorizer"/>: three buckets per client (second: capacity
/// <see cref="RateLimitOptions.Burst"/>, refilled at <see cref="RateLimitOptions.RequestsPerSecond"/>; minute and hour:
/// capacity and refill from the per-minute and per-hour limits). A request takes one token from each; it is refused if
/// any is empty, and a client whose minute or hour bucket is empty is blocked for
/// <see cref="RateLimitOptions.BlockDuration"/>. Time comes from the monotonic timestamp of a <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>Thread-safety: one lock guards the client table; each critical section is one lookup and a few
/// arithmetic operations (plus, only when the table is full and at most once a second, one sweep).</remarks>
internal sealed class TokenBucketLimiter<TKey>
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, ClientBuckets> _clients = new();
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly double _perMinuteRate;
    private readonly double _perHourRate;
    private long _lastSweep;
    private bool _swept;

    public TokenBucketLimiter(RateLimitOptions options, TimeProvider time)
    {
        options.Validate();
        _options = options;
        _time = time;
        _perMinuteRate = options.RequestsPerMinute / 60.0;
        _perHourRate = options.RequestsPerHour / 3600.0;
    }

    public int TrackedClients
    {
        get
        {
            lock (_lock)
            {
                return _clients.Count;
            }
        }
    }

    public RateDecision TryAcquire(TKey key)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (!_clients.TryGetValue(key, out ClientBuckets? buckets))
            {
                if (_clients.Count >= _options.MaxTrackedClients && !TrySweep(now))
                {
                    return RateDecision.RateLimited;
                }
                buckets = new ClientBuckets(_options, now);
                _clients.Add(key, buckets);
            }
            if (buckets.BlockedUntil > now)
            {
                return RateDecision.Blocked;
            }
            Refill(buckets, now);
            if (buckets.Minute < 1 || buckets.Hour < 1)
            {
                buckets.BlockedUntil = now + (long)(_options.BlockDuration.TotalSeconds * _time.TimestampFrequency);
                return RateDecision.Blocked;
            }
            if (buckets.Second < 1)
            {
                return RateDecision.RateLimited;
            }
            buckets.Second -= 1;
            buckets.Minute -= 1;
            buckets.Hour -= 1;
            return RateDecision.Allowed;
        }
    }

    private void Refill(ClientBuckets b, long now)
    {
        double elapsed = (double)(now - b.LastRefill) / _time.TimestampFrequency;
        if (elapsed <= 0)
        {
            return;
        }
        b.LastRefill = now;
        b.Second = Math.Min(_options.Burst, b.Second + (elapsed * _options.RequestsPerSecond));
        b.Minute = Math.Min(_options.RequestsPerMinute, b.Minute + (elapsed * _perMinuteRate));
        b.Hour = Math.Min(_options.RequestsPerHour, b.Hour + (elapsed * _perHourRate));
    }

    // Forgets clients that are indistinguishable from new ones (buckets full again, not blocked). Runs at most once a
    // second so a flood of new keys cannot turn every request into a full scan.
    private bool TrySweep(long now)
    {
        if (_swept && now - _lastSweep < _time.TimestampFrequency)
        {
            return false;
        }
        _swept = true;
        _lastSweep = now;
        List<TKey>? idle = null;
        foreach ((TKey key, ClientBuckets b) in _clients)
        {
            if (b.BlockedUntil > now)
            {
                continue;
            }
            Refill(b, now);
            if (b.Second >= _options.Burst && b.Minute >= _options.RequestsPerMinute && b.Hour >= _options.RequestsPerHour)
            {
                (idle ??= []).Add(key);
            }
        }
        if (idle is not null)
        {
            foreach (TKey key in idle)
            {
                _clients.Remove(key);
            }
        }
        return _clients.Count < _options.MaxTrackedClients;
    }

    private sealed class ClientBuckets(RateLimitOptions options, long now)
    {
        public double Second = options.Burst;
        public double Minute = options.RequestsPerMinute;
        public double Hour = options.RequestsPerHour;
        public long LastRefill = now;
        public long BlockedUntil = long.MinValue;
    }
}
