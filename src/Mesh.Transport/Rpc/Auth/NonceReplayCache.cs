using System.Buffers.Binary;
using Google.Protobuf;

namespace Mesh.Transport.Rpc.Auth;

/// <summary>Outcome of <see cref="NonceReplayCache.TryRemember"/>.</summary>
internal enum NonceCheck
{
    Fresh,
    Replayed,
    Full,
}

/// <summary>
/// The request nonces a servicer has accepted (mesh <c>SignatureAuthorizer._recent_nonces</c>: a TimedStorage with
/// entries living 180 s from acceptance), with bounded memory.
/// </summary>
/// <remarks>
/// <para>Eviction by time: entries are queued in acceptance order and dropped once their retention has passed (an
/// expired entry also reads as absent, as in TimedStorage). Eviction by size: when <see cref="Capacity"/> entries are
/// live, the oldest is dropped only if its request can no longer pass the clock check anyway (its <c>auth.time</c>
/// plus the allowed skew is in the past), so forgetting it cannot enable a replay; otherwise the new request is
/// refused (<see cref="NonceCheck.Full"/>). Failing closed under a flood of distinct valid requests is the safe side.</para>
/// <para>Nonces are 8 bytes from every known client and are stored as a <see cref="ulong"/> without allocation; other
/// lengths (Python accepts any) go to a second map keyed by the immutable <see cref="ByteString"/>.</para>
/// <para>Thread-safety: one lock guards both maps and the queue; every critical section is a few dictionary
/// operations, no I/O and no awaits, so contention stays far below the cost of the signature check around it.</para>
/// </remarks>
internal sealed class NonceReplayCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, double> _short = new();
    private readonly Dictionary<ByteString, double> _other = new();
    private readonly Queue<Entry> _order = new();

    public NonceReplayCache(int capacity, double retentionSeconds, double maxClockSkewSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        RetentionSeconds = retentionSeconds;
        MaxClockSkewSeconds = maxClockSkewSeconds;
    }

    public int Capacity { get; }

    public double RetentionSeconds { get; }

    public double MaxClockSkewSeconds { get; }

    /// <summary>Live entries (after purging those whose retention has passed).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _short.Count + _other.Count;
            }
        }
    }

    /// <summary>True if <paramref name="nonce"/> was accepted within its retention (a replay).</summary>
    public bool Contains(ByteString nonce, double now)
    {
        lock (_lock)
        {
            return TryGet(nonce, out double forgetAt) && forgetAt > now;
        }
    }

    /// <summary>
    /// Atomically checks and records <paramref name="nonce"/> as accepted at <paramref name="now"/> for a request
    /// stamped <paramref name="requestTime"/>.
    /// </summary>
    public NonceCheck TryRemember(ByteString nonce, double now, double requestTime)
    {
        lock (_lock)
        {
            Purge(now);
            if (TryGet(nonce, out double forgetAt) && forgetAt > now)
            {
                return NonceCheck.Replayed;
            }
            if (_short.Count + _other.Count >= Capacity)
            {
                Entry oldest = _order.Peek();
                if (oldest.SafeToForgetAt > now)
                {
                    return NonceCheck.Full;
                }
                _order.Dequeue();
                RemoveIfCurrent(oldest);
            }
            double forget = now + RetentionSeconds;
            var entry = new Entry(nonce.Length == sizeof(ulong) ? null : nonce, Key(nonce), forget, requestTime + MaxClockSkewSeconds);
            if (entry.Other is null)
            {
                _short[entry.Short] = forget;
            }
            else
            {
                _other[entry.Other] = forget;
            }
            _order.Enqueue(entry);
            return NonceCheck.Fresh;
        }
    }

    private void Purge(double now)
    {
        while (_order.TryPeek(out Entry head) && head.ForgetAt <= now)
        {
            _order.Dequeue();
            RemoveIfCurrent(head);
        }
    }

    // A nonce re-accepted after its entry expired has a newer queue entry; only the entry that wrote the map value removes it.
    private void RemoveIfCurrent(Entry entry)
    {
        if (entry.Other is null)
        {
            if (_short.TryGetValue(entry.Short, out double forget) && forget == entry.ForgetAt)
            {
                _short.Remove(entry.Short);
            }
        }
        else if (_other.TryGetValue(entry.Other, out double forget) && forget == entry.ForgetAt)
        {
            _other.Remove(entry.Other);
        }
    }

    private bool TryGet(ByteString nonce, out double forgetAt) =>
        nonce.Length == sizeof(ulong) ? _short.TryGetValue(Key(nonce), out forgetAt) : _other.TryGetValue(nonce, out forgetAt);

    private static ulong Key(ByteString nonce) => nonce.Length == sizeof(ulong) ? BinaryPrimitives.ReadUInt64LittleEndian(nonce.Span) : 0;

    private readonly record struct Entry(ByteString? Other, ulong Short, double ForgetAt, double SafeToForgetAt);
}
