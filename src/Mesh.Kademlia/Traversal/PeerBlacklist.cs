using System.Collections.Concurrent;

namespace Mesh.Kademlia.Traversal;

/// <summary>
/// hivemind's <c>Blacklist</c> (mesh-reference §1.5, <c>blacklist_time</c> / <c>backoff_rate</c>): a peer that does not
/// answer is banned for <c>base · rate^n</c>, n its failures since its last answer; while banned a failure does not
/// extend the ban; an answer clears both the ban and the count.
/// </summary>
/// <remarks>
/// <para>Thread-safe and lock-free for readers (<see cref="Contains"/> is one dictionary lookup and a clock read).</para>
/// <para>Differences from hivemind, deliberate: the ban is capped at <see cref="MaxBanTime"/> (hivemind's grows without
/// bound, so a peer that was down for an hour would stay banned for days after it came back), and at most
/// <see cref="MaxTrackedPeers"/> peers are tracked (anyone can make us fail calls to many made-up peers): when full,
/// peers whose ban has expired are forgotten first, and if every tracked peer is still banned a new failure is not
/// recorded.</para>
/// </remarks>
public sealed class PeerBlacklist<TPeer>
    where TPeer : notnull
{
    private readonly ConcurrentDictionary<TPeer, Entry> _entries;
    private readonly TimeProvider _time;
    private readonly long _baseTicks;

    /// <param name="baseTime"><c>blacklist_time</c> (hivemind: 5 s); zero disables the blacklist.</param>
    /// <param name="backoffRate"><c>backoff_rate</c> (hivemind: 2), at least 1.</param>
    /// <param name="timeProvider">The clock (monotonic timestamps); default the system clock.</param>
    /// <param name="maxTrackedPeers">Most peers remembered at once.</param>
    /// <param name="comparer">Peer equality (default: the peer type's).</param>
    public PeerBlacklist(TimeSpan baseTime, double backoffRate = 2.0, TimeProvider? timeProvider = null, int maxTrackedPeers = 16_384, IEqualityComparer<TPeer>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baseTime, TimeSpan.Zero);
        if (!(backoffRate >= 1.0) || double.IsInfinity(backoffRate))
        {
            throw new ArgumentOutOfRangeException(nameof(backoffRate), backoffRate, "must be a finite number of at least 1");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTrackedPeers, 1);
        BaseTime = baseTime;
        BackoffRate = backoffRate;
        MaxTrackedPeers = maxTrackedPeers;
        _time = timeProvider ?? TimeProvider.System;
        _baseTicks = baseTime.Ticks;
        _entries = new ConcurrentDictionary<TPeer, Entry>(comparer);
    }

    /// <summary>hivemind's defaults: 5 s, doubling.</summary>
    public static PeerBlacklist<TPeer> CreateDefault(TimeProvider? timeProvider = null) => new(TimeSpan.FromSeconds(5), 2.0, timeProvider);

    public TimeSpan BaseTime { get; }

    public double BackoffRate { get; }

    /// <summary>The longest ban, however many failures (1 hour).</summary>
    public TimeSpan MaxBanTime { get; } = TimeSpan.FromHours(1);

    public int MaxTrackedPeers { get; }

    /// <summary>Peers with a failure count (banned now or not).</summary>
    public int TrackedPeers => _entries.Count;

    /// <summary><c>peer in blacklist</c>: banned right now.</summary>
    public bool Contains(TPeer peer) =>
        _entries.TryGetValue(peer, out Entry? entry) && _time.GetTimestamp() < Volatile.Read(ref entry.BannedUntil);

    /// <summary><c>ban_counter[peer]</c>: failures since the peer last answered.</summary>
    public int GetFailureCount(TPeer peer) => _entries.TryGetValue(peer, out Entry? entry) ? Volatile.Read(ref entry.Failures) : 0;

    /// <summary><c>register_failure</c>: the peer did not answer.</summary>
    public void RegisterFailure(TPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (_baseTicks == 0)
        {
            return;
        }
        long now = _time.GetTimestamp();
        if (!_entries.TryGetValue(peer, out Entry? entry))
        {
            if (_entries.Count >= MaxTrackedPeers && !MakeRoom(now))
            {
                return;
            }
            entry = _entries.GetOrAdd(peer, static _ => new Entry());
        }
        lock (entry)
        {
            if (now < entry.BannedUntil)
            {
                return; // already banned: hivemind does not extend a running ban
            }
            double factor = Math.Pow(BackoffRate, entry.Failures);
            double ticks = Math.Min(_baseTicks * factor, MaxBanTime.Ticks);
            long duration = (long)(ticks * _time.TimestampFrequency / TimeSpan.TicksPerSecond);
            Volatile.Write(ref entry.BannedUntil, now + Math.Max(duration, 1));
            Volatile.Write(ref entry.Failures, entry.Failures + 1);
        }
    }

    /// <summary><c>register_success</c>: the peer answered; its ban and count are cleared.</summary>
    public void RegisterSuccess(TPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        _entries.TryRemove(peer, out _);
    }

    /// <summary>Forgets every peer.</summary>
    public void Clear() => _entries.Clear();

    public override string ToString() => $"PeerBlacklist(base_time={BaseTime.TotalSeconds}, backoff={BackoffRate}, tracked={TrackedPeers})";

    private bool MakeRoom(long now)
    {
        foreach (KeyValuePair<TPeer, Entry> e in _entries)
        {
            if (now >= Volatile.Read(ref e.Value.BannedUntil))
            {
                _entries.TryRemove(e);
            }
        }
        return _entries.Count < MaxTrackedPeers;
    }

    private sealed class Entry
    {
        public int Failures;
        public long BannedUntil = long.MinValue;
    }
}
