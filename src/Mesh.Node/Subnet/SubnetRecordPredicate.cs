using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Validation;
using Mesh.Transport.Identity;

namespace Mesh.Node.Subnet;

/// <summary>Limits of <see cref="SubnetRecordPredicate"/>.</summary>
public sealed record SubnetRecordLimits
{
    /// <summary>
    /// Longest heartbeat lifetime: the template's <c>MAX_HEART_BEAT_TIME = BLOCK_SECS · EPOCH_LENGTH · 1.1</c> with its
    /// constants 6 s and 300 blocks (1,980 s). The template uses the configured 300-block epoch, not the runtime's
    /// 20-block one, for every cap; we keep its numbers so that exactly the records a Python node accepts are accepted.
    /// </summary>
    public TimeSpan MaxHeartbeatLifetime { get; init; } = TimeSpan.FromSeconds(6 * 300 * 1.1);

    /// <summary><c>MAX_COMMIT_TIME</c> = 2 epochs of 300 blocks (3,600 s).</summary>
    public TimeSpan MaxCommitLifetime { get; init; } = TimeSpan.FromSeconds(6 * 300 * 2);

    /// <summary><c>MAX_REVEAL_TIME</c> = 2 epochs of 300 blocks (3,600 s).</summary>
    public TimeSpan MaxRevealLifetime { get; init; } = TimeSpan.FromSeconds(6 * 300 * 2);

    /// <summary>Stores per peer per subnet epoch: heartbeat 100 (template <c>per_peer_epoch_limits</c>).</summary>
    public int HeartbeatsPerEpoch { get; init; } = 100;

    public int CommitsPerEpoch { get; init; } = 1;

    public int RevealsPerEpoch { get; init; } = 1;

    /// <summary>Commits are accepted up to this epoch progress (<c>COMMIT_DEADLINE</c>).</summary>
    public double CommitDeadline { get; init; } = 0.5;

    /// <summary>Reveals are accepted after the commit deadline up to this progress (<c>REVEAL_DEADLINE</c>).</summary>
    public double RevealDeadline { get; init; } = 0.6;

    /// <summary>Epochs of store counts kept (<c>MAX_EPOCH_HISTORY</c>).</summary>
    public uint EpochHistory { get; init; } = 5;

    /// <summary>
    /// Distinct owners tracked per epoch (not in the template, whose tracker grows without bound: an owner is any key
    /// that signs a record, so a flood of fresh keys would grow it forever). Records of owners beyond it are refused.
    /// </summary>
    public int MaxTrackedOwnersPerEpoch { get; init; } = 65_536;
}

/// <summary>The kinds of record the subnet accepts.</summary>
public enum SubnetRecordKind
{
    Heartbeat,
    Commit,
    Reveal,
}

/// <summary>
/// The mesh template's record predicate (<c>MockHypertensorCommitReveal</c>, mesh-reference §2; runs in the DHT's
/// <see cref="PredicateValidator"/> after the signature validator has verified and stripped the signature):
/// <list type="bullet">
/// <item>the record must have an owner (<c>[owner:…]</c> in its subkey), else it is refused, for GET and POST;</item>
/// <item>GET: accepted;</item>
/// <item>POST: only the keys <c>heartbeat</c>, <c>commit_epoch_{e}</c> and <c>reveal_epoch_{e}</c> for the current
/// subnet epoch e; at most 100 heartbeats, 1 commit, 1 reveal per owner per epoch; expirations at most
/// <see cref="SubnetRecordLimits.MaxHeartbeatLifetime"/> (commit/reveal: 2 epochs) ahead; commits until 50 % of the
/// epoch, reveals in (50 %, 60 %].</item>
/// </list>
/// Like the template, a store is counted when it passes validation (before the DHT stores it). Thread-safe: the
/// counters are behind one short lock that is never held across I/O (the epoch comes from <see cref="SubnetEpochClock"/>).
/// </summary>
public sealed class SubnetRecordPredicate : IRecordPredicate
{
    private static readonly byte[] s_heartbeatKey = DhtId.Generate(HeartbeatRecord.Key).ToBytes();

    private readonly SubnetEpochClock _clock;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, EpochKeys> _keys = [];
    private readonly Dictionary<uint, Dictionary<(SubnetRecordKind, PeerId), int>> _counts = [];

    public SubnetRecordPredicate(SubnetEpochClock clock, SubnetRecordLimits? limits = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        Limits = limits ?? new SubnetRecordLimits();
        _time = time ?? TimeProvider.System;
    }

    public SubnetRecordLimits Limits { get; }

    /// <summary>The DHT key of a commit for <paramref name="epoch"/> (template <c>get_mock_commit_key</c>).</summary>
    public static string CommitKey(uint epoch) => $"commit_epoch_{epoch}";

    /// <summary>The DHT key of a reveal for <paramref name="epoch"/>.</summary>
    public static string RevealKey(uint epoch) => $"reveal_epoch_{epoch}";

    /// <summary>Records refused so far, by reason (for logs and tests).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private long _refused;

    public bool IsValid(in DhtRecord record, DhtRecordRequestType type)
    {
        if (!HeartbeatRecord.TryGetOwnerPeerId(record.Subkey.Span, out PeerId owner))
        {
            return Refuse();
        }
        if (type == DhtRecordRequestType.Get)
        {
            return true;
        }
        uint epoch = _clock.SubnetEpoch;
        double progress = _clock.Progress;
        double now = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        lock (_gate)
        {
            Forget(epoch);
            SubnetRecordKind? kind = KindOf(record.Key.Span, epoch);
            if (kind is not SubnetRecordKind k)
            {
                return Refuse();
            }
            (int limit, TimeSpan lifetime) = k switch
            {
                SubnetRecordKind.Heartbeat => (Limits.HeartbeatsPerEpoch, Limits.MaxHeartbeatLifetime),
                SubnetRecordKind.Commit => (Limits.CommitsPerEpoch, Limits.MaxCommitLifetime),
                _ => (Limits.RevealsPerEpoch, Limits.MaxRevealLifetime),
            };
            if (!_counts.TryGetValue(epoch, out Dictionary<(SubnetRecordKind, PeerId), int>? counts))
            {
                _counts[epoch] = counts = [];
            }
            counts.TryGetValue((k, owner), out int count);
            if (count >= limit || (count == 0 && counts.Count >= Limits.MaxTrackedOwnersPerEpoch))
            {
                return Refuse();
            }
            if (!(record.ExpirationTime <= now + lifetime.TotalSeconds))
            {
                return Refuse();
            }
            if (k == SubnetRecordKind.Commit && progress > Limits.CommitDeadline)
            {
                return Refuse();
            }
            if (k == SubnetRecordKind.Reveal && (progress <= Limits.CommitDeadline || progress > Limits.RevealDeadline))
            {
                return Refuse();
            }
            counts[(k, owner)] = count + 1;
            return true;
        }
    }

    /// <summary>The kind of record a key (20-byte DHTID) holds in <paramref name="epoch"/>, or null if not allowed.</summary>
    private SubnetRecordKind? KindOf(ReadOnlySpan<byte> key, uint epoch)
    {
        if (key.SequenceEqual(s_heartbeatKey))
        {
            return SubnetRecordKind.Heartbeat;
        }
        if (!_keys.TryGetValue(epoch, out EpochKeys? keys))
        {
            _keys[epoch] = keys = new EpochKeys(DhtId.Generate(CommitKey(epoch)).ToBytes(), DhtId.Generate(RevealKey(epoch)).ToBytes());
        }
        return key.SequenceEqual(keys.Commit) ? SubnetRecordKind.Commit
            : key.SequenceEqual(keys.Reveal) ? SubnetRecordKind.Reveal
            : null;
    }

    /// <summary>Drops the counts of epochs older than the history (template <c>_cleanup_old_epochs</c>).</summary>
    private void Forget(uint epoch)
    {
        foreach (uint old in _counts.Keys.Where(e => e + Limits.EpochHistory < epoch).ToArray())
        {
            _counts.Remove(old);
        }
        foreach (uint old in _keys.Keys.Where(e => e != epoch).ToArray())
        {
            _keys.Remove(old);
        }
    }

    private bool Refuse()
    {
        Interlocked.Increment(ref _refused);
        return false;
    }

    private sealed record EpochKeys(byte[] Commit, byte[] Reveal);
}
