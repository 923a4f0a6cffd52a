using Mesh.Kademlia.Keys;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p.Lookup;

/// <summary>What one peer told a lookup.</summary>
/// <param name="Closer">Peers the asked one knows nearer to the target (their addresses were already recorded).</param>
/// <param name="Stop">The lookup has what it wanted (a quorum of values, enough providers, the peer it looks for).</param>
internal readonly record struct KadLookupReply(IReadOnlyList<PeerId> Closer, bool Stop = false);

/// <summary>The outcome of a <see cref="KadLookup"/>.</summary>
/// <param name="Closest">The peers nearest to the target that answered, nearest first, at most k.</param>
/// <param name="Queried">How many peers were asked.</param>
/// <param name="Failed">How many of them did not answer.</param>
/// <param name="Stopped">A reply asked to stop before the lookup converged.</param>
/// <param name="Cancelled">The lookup's token fired (query timeout) before it converged.</param>
internal sealed record KadLookupResult(IReadOnlyList<PeerId> Closest, int Queried, int Failed, bool Stopped, bool Cancelled);

/// <summary>
/// The iterative lookup of the libp2p kad-dht spec ("Peer routing"): seeded with the k peers of the routing table
/// nearest the target, it keeps α requests in flight, always to the nearest peer heard of and not yet asked, and ends
/// when the k nearest peers it has heard of (not counting those that failed) have all answered, or when a reply says
/// it has what it wanted.
/// </summary>
/// <remarks>
/// <para>With <c>paths</c> &gt; 1 it runs S/Kademlia's disjoint paths: the seeds are dealt round-robin over the paths,
/// a peer belongs to the first path that hears of it and is never asked by another, each path keeps ⌈α/paths⌉
/// requests in flight and converges on its own k nearest; the result is the k nearest that answered on any path.</para>
/// <para>One loop owns all state; requests run concurrently and are awaited by it (nothing is left running when it
/// returns). A request that throws counts as a failure; the lookup itself never throws for a peer's behaviour. When
/// the token fires, in-flight requests are cancelled and the partial result is returned with
/// <see cref="KadLookupResult.Cancelled"/> set; the caller decides whether that is an error.</para>
/// <para>Why not the engine's <c>Traversal.BeamSearch</c> (hivemind <c>traverse_dht</c>, landed after this): its beam
/// holds the nearest nodes heard of whether or not they answered, so a dead peer among the k nearest stays in the beam,
/// narrows it, and the search ends with fewer than k answering peers, while the libp2p spec ends a lookup when the k
/// nearest peers that did not fail have all answered, and PUT_VALUE / ADD_PROVIDER go to exactly those. It has no
/// way to drop a failed node from the beam, and no disjoint paths; this loop is the small libp2p strategy, with the
/// same single-owner, bounded-concurrency shape.</para>
/// </remarks>
internal sealed class KadLookup
{
    private enum State
    {
        Heard,
        Waiting,
        Queried,
        Unreachable,
    }

    private sealed class Candidate(PeerId peer, KadKey256 distance, int path)
    {
        public PeerId Peer { get; } = peer;
        public KadKey256 Distance { get; } = distance;
        public int Path { get; } = path;
        public State State { get; set; }
    }

    private readonly record struct Outcome(Candidate Candidate, KadLookupReply? Reply);

    private readonly KadKey256 _target;
    private readonly PeerId _self;
    private readonly int _k;
    private readonly int _paths;
    private readonly int _perPath;
    private readonly Func<PeerId, CancellationToken, ValueTask<KadLookupReply>> _query;
    private readonly Action<PeerId, bool>? _onOutcome;
    private readonly List<Candidate> _sorted = []; // by distance to the target, nearest first
    private readonly Dictionary<PeerId, Candidate> _byPeer = [];
    private readonly int[] _inFlight;

    /// <param name="target">The key whose neighbourhood is searched (SHA-256 of the request key).</param>
    /// <param name="self">This node: never asked, never a result.</param>
    /// <param name="k">Replication parameter: how many nearest peers must answer.</param>
    /// <param name="alpha">Requests in flight (over all paths).</param>
    /// <param name="paths">Disjoint paths (0 or 1: one).</param>
    /// <param name="query">Asks one peer; its token fires on cancellation (the per-request timeout is the callee's).</param>
    /// <param name="onOutcome">Told, on the lookup's loop, whether each asked peer answered.</param>
    public KadLookup(KadKey256 target, PeerId self, int k, int alpha, int paths,
        Func<PeerId, CancellationToken, ValueTask<KadLookupReply>> query, Action<PeerId, bool>? onOutcome = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(alpha, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(paths);
        _target = target;
        _self = self;
        _k = k;
        _paths = Math.Max(1, paths);
        _perPath = (alpha + _paths - 1) / _paths;
        _query = query ?? throw new ArgumentNullException(nameof(query));
        _onOutcome = onOutcome;
        _inFlight = new int[_paths];
    }

    public async Task<KadLookupResult> RunAsync(IReadOnlyList<PeerId> seeds, CancellationToken cancellationToken)
    {
        int next = 0;
        foreach (PeerId seed in seeds)
        {
            if (Hear(seed, next % _paths))
            {
                next++;
            }
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new List<Task<Outcome>>();
        int queried = 0, failed = 0;
        bool stopped = false;
        while (true)
        {
            if (!stopped && !cancel.IsCancellationRequested)
            {
                for (int path = 0; path < _paths; path++)
                {
                    while (_inFlight[path] < _perPath && NextCandidate(path) is { } candidate)
                    {
                        candidate.State = State.Waiting;
                        _inFlight[path]++;
                        queried++;
                        running.Add(AskAsync(candidate, cancel.Token));
                    }
                }
            }
            if (running.Count == 0)
            {
                break;
            }
            Task<Outcome> finished = await Task.WhenAny(running).ConfigureAwait(false);
            running.Remove(finished);
            Outcome outcome = await finished.ConfigureAwait(false);
            Candidate asked = outcome.Candidate;
            _inFlight[asked.Path]--;
            if (outcome.Reply is not { } reply)
            {
                asked.State = State.Unreachable;
                // A request we cancelled (stop, timeout) says nothing about the peer.
                if (!cancel.IsCancellationRequested)
                {
                    failed++;
                    _onOutcome?.Invoke(asked.Peer, false);
                }
                continue;
            }
            asked.State = State.Queried;
            _onOutcome?.Invoke(asked.Peer, true);
            foreach (PeerId peer in reply.Closer)
            {
                Hear(peer, asked.Path);
            }
            if (reply.Stop && !stopped)
            {
                stopped = true;
                await cancel.CancelAsync().ConfigureAwait(false);
            }
        }
        var closest = new List<PeerId>(_k);
        foreach (Candidate c in _sorted)
        {
            if (c.State == State.Queried)
            {
                closest.Add(c.Peer);
                if (closest.Count == _k)
                {
                    break;
                }
            }
        }
        return new KadLookupResult(closest, queried, failed, stopped, !stopped && cancellationToken.IsCancellationRequested);
    }

    private bool Hear(PeerId peer, int path)
    {
        if (peer == _self || peer.IsEmpty || _byPeer.ContainsKey(peer))
        {
            return false;
        }
        var candidate = new Candidate(peer, _target ^ KadKey256.Hash(peer.Bytes), path);
        _byPeer.Add(peer, candidate);
        int lo = 0, hi = _sorted.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_sorted[mid].Distance.CompareTo(candidate.Distance) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        _sorted.Insert(lo, candidate);
        return true;
    }

    // The nearest not-yet-asked peer among the path's k nearest live peers; null when the path has converged (all of
    // those answered) or is waiting on its in-flight requests.
    private Candidate? NextCandidate(int path)
    {
        int live = 0;
        foreach (Candidate c in _sorted)
        {
            if (c.Path != path || c.State == State.Unreachable)
            {
                continue;
            }
            if (c.State == State.Heard)
            {
                return c;
            }
            if (++live == _k)
            {
                return null;
            }
        }
        return null;
    }

    private async Task<Outcome> AskAsync(Candidate candidate, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            KadLookupReply reply = await _query(candidate.Peer, cancellationToken).ConfigureAwait(false);
            return new Outcome(candidate, reply);
        }
        catch (Exception)
        {
            // Any failure of one peer (timeout, refused stream, bad answer, cancellation) is that peer's failure.
            return new Outcome(candidate, null);
        }
    }
}
