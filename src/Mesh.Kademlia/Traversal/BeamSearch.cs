using System.Collections.Immutable;
using System.Threading.Channels;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;

namespace Mesh.Kademlia.Traversal;

/// <summary>
/// hivemind's <c>traverse_dht</c> (mesh-reference §1.7, <c>mesh/dht/traverse.py</c>): a beam search for the nodes nearest
/// to several queries at once, sharing what each call learns between them. Generic over the keyspace and the peer
/// handle, with the network behind <see cref="INeighborSource{TKey, TPeer}"/>, so the mesh DHT (160-bit ids,
/// <c>rpc_find</c>), the libp2p Kademlia front-end (256-bit keys, <c>FIND_NODE</c>) and in-memory simulations all run
/// the same search.
/// </summary>
/// <remarks>
/// <para><b>The algorithm.</b> Every query keeps a min-heap of candidates (known, not yet asked) and a max-heap of the
/// <c>beam_size</c> nearest nodes found so far; a node farther than the farthest of a full beam is not worth asking.
/// Up to <c>num_workers</c> calls run at once. Each new call serves the unfinished query with the fewest calls in
/// flight (ties: the one whose best candidate is nearest), asks that query's nearest candidate, and packs up to
/// <c>queries_per_call − 1</c> other unfinished queries, those nearest to that peer. A query finishes when a reply says
/// <see cref="QueryNeighbors{TKey, TPeer}.ShouldStop"/>, or when it has no candidate inside its beam and no call in flight
/// for it; its <see cref="TraversalRequest{TKey, TPeer}.FoundCallback"/> runs exactly once, right then.</para>
/// <para><b>Concurrency.</b> One scheduling loop owns every heap and set; calls run concurrently and hand their replies
/// back through a channel, so nothing is locked and nothing is shared between threads except through it.</para>
/// <para><b>Deliberate differences from hivemind</b> (none changes a result hivemind's tests look at):</para>
/// <list type="bullet">
/// <item>A query finishes as soon as it can make no more progress (no candidate inside its beam, no call in flight for
/// it). hivemind notices that only when it pops a candidate beyond the beam, or when every query is stuck, so a
/// found callback (a store to the nearest nodes, say) could wait for unrelated queries.</item>
/// <item>Excluded and previously visited nodes are never returned among the nearest, as hivemind's docstring promises
/// (its code puts visited initial nodes into the nearest heap).</item>
/// <item>A call that throws counts as a failed call (no answer) instead of ending the traversal with the exception.</item>
/// <item>A blacklisted candidate is skipped without taking a worker (hivemind spends a worker on an immediate empty
/// reply).</item>
/// </list>
/// </remarks>
public static class BeamSearch
{
    /// <summary>Runs a traversal. Throws <see cref="OperationCanceledException"/> if cancelled (after in-flight calls stop).</summary>
    public static async Task<TraversalResult<TKey, TPeer>> TraverseAsync<TKey, TPeer>(
        INeighborSource<TKey, TPeer> network,
        TraversalRequest<TKey, TPeer> request,
        TraversalOptions? options = null,
        CancellationToken cancellationToken = default)
        where TKey : struct, IKadKey<TKey>
        where TPeer : notnull
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Queries);
        ArgumentNullException.ThrowIfNull(request.InitialNodes);
        options ??= new TraversalOptions();
        options.Validate();
        if (request.VisitedNodes is { } visited && visited.Count != request.Queries.Count)
        {
            throw new ArgumentException("VisitedNodes must be aligned with Queries.", nameof(request));
        }
        cancellationToken.ThrowIfCancellationRequested();
        var run = new Run<TKey, TPeer>(network, request, options, cancellationToken);
        return await run.ExecuteAsync().ConfigureAwait(false);
    }

    /// <summary>The state of one traversal, owned by its scheduling loop.</summary>
    private sealed class Run<TKey, TPeer>
        where TKey : struct, IKadKey<TKey>
        where TPeer : notnull
    {
        private readonly INeighborSource<TKey, TPeer> _network;
        private readonly TraversalRequest<TKey, TPeer> _request;
        private readonly TraversalOptions _options;
        private readonly CancellationToken _callerToken;
        private readonly CancellationTokenSource _cancel;
        private readonly QueryState[] _queries;
        private readonly Channel<CallOutcome> _outcomes = Channel.CreateUnbounded<CallOutcome>(new UnboundedChannelOptions { SingleReader = true });
        private readonly List<Task> _background = [];
        private readonly int _queriesPerCall;
        private int _unfinished;
        private int _inFlight;
        private int _calls;
        private int _failedCalls;
        private int _blacklistedSkips;

        public Run(INeighborSource<TKey, TPeer> network, TraversalRequest<TKey, TPeer> request, TraversalOptions options, CancellationToken cancellationToken)
        {
            _network = network;
            _request = request;
            _options = options;
            _callerToken = cancellationToken;
            _queriesPerCall = Math.Max(1, options.QueriesPerCall);
            IReadOnlyList<TKey> queries = request.Queries;
            _queries = new QueryState[queries.Count];
            var distinct = new HashSet<TKey>();
            for (int i = 0; i < queries.Count; i++)
            {
                if (!distinct.Add(queries[i]))
                {
                    throw new ArgumentException($"Query {KadKey.ToHex(queries[i])} appears twice; queries must be distinct.", nameof(request));
                }
                _queries[i] = new QueryState(queries[i], i, options.BeamSize, request.ExcludedNodes, request.VisitedNodes?[i]);
            }
            _unfinished = _queries.Length;

            PeerBlacklist<TPeer>? blacklist = request.Blacklist;
            foreach (RoutingEntry<TKey, TPeer> node in request.InitialNodes)
            {
                if (blacklist?.Contains(node.Peer) == true)
                {
                    continue; // hivemind filters blacklisted peers out of the initial nodes
                }
                foreach (QueryState q in _queries)
                {
                    q.AddInitial(node);
                }
            }
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        }

        public async Task<TraversalResult<TKey, TPeer>> ExecuteAsync()
        {
            try
            {
                while (_unfinished > 0)
                {
                    LaunchCalls();
                    FinishStuckQueries();
                    if (_unfinished == 0)
                    {
                        break;
                    }
                    if (_inFlight == 0)
                    {
                        // Nothing in flight and nothing to ask: no query can learn anything more.
                        foreach (QueryState q in _queries)
                        {
                            if (!q.Finished)
                            {
                                Finish(q, stopped: false);
                            }
                        }
                        break;
                    }
                    CallOutcome outcome = await _outcomes.Reader.ReadAsync(_cancel.Token).ConfigureAwait(false);
                    _inFlight--;
                    Process(outcome);
                }
            }
            catch (OperationCanceledException) when (_callerToken.IsCancellationRequested)
            {
                await _cancel.CancelAsync().ConfigureAwait(false);
                await WaitQuietlyAsync(_background).ConfigureAwait(false);
                _cancel.Dispose();
                throw;
            }

            Task completion = _background.Count == 0 ? Task.CompletedTask : Task.WhenAll(_background);
            if (_options.AwaitAllTasks)
            {
                try
                {
                    await completion.ConfigureAwait(false);
                }
                finally
                {
                    _cancel.Dispose();
                }
                completion = Task.CompletedTask;
            }
            else
            {
                // The stragglers keep their (caller-linked) token; the source is released once they are done.
                completion = DisposeAfterAsync(completion, _cancel);
            }
            ImmutableArray<TraversalQueryResult<TKey, TPeer>> results = [.. _queries.Select(q => q.Result!)];
            return new TraversalResult<TKey, TPeer>(results, new TraversalStatistics(_calls, _failedCalls, _blacklistedSkips), completion);
        }

        private static async Task DisposeAfterAsync(Task work, CancellationTokenSource source)
        {
            try
            {
                await work.ConfigureAwait(false);
            }
            finally
            {
                source.Dispose();
            }
        }

        private static async Task WaitQuietlyAsync(List<Task> tasks)
        {
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled calls and callbacks: the traversal reports the cancellation itself.
            }
        }

        /// <summary>Starts calls until every worker is busy or no unfinished query has a candidate worth asking.</summary>
        private void LaunchCalls()
        {
            while (_inFlight < _options.NumWorkers)
            {
                QueryState? chosen = ChooseQuery();
                if (chosen is null)
                {
                    return;
                }
                (RoutingEntry<TKey, TPeer> peer, TKey distance, int depth) = chosen.PopCandidate();
                if (chosen.Visited.Contains(peer.NodeId) || !chosen.IsWithinBeam(distance))
                {
                    continue;
                }
                if (_request.Blacklist?.Contains(peer.Peer) == true)
                {
                    chosen.Visited.Add(peer.NodeId);
                    _blacklistedSkips++;
                    continue;
                }
                TKey[] packed = PackQueries(chosen, peer.NodeId, out QueryState[] states);
                foreach (QueryState q in states)
                {
                    q.Active++;
                    q.Visited.Add(peer.NodeId);
                }
                _inFlight++;
                _calls++;
                _background.Add(CallAsync(new Call(peer, depth, packed, states)));
            }
        }

        /// <summary>The unfinished query with the fewest calls in flight among those with a candidate (ties: nearest candidate).</summary>
        private QueryState? ChooseQuery()
        {
            QueryState? best = null;
            TKey bestDistance = default;
            foreach (QueryState q in _queries)
            {
                if (q.Finished || !q.TryPeekCandidateWithinBeam(out TKey distance))
                {
                    continue;
                }
                if (best is null || q.Active < best.Active || (q.Active == best.Active && distance.CompareTo(bestDistance) < 0))
                {
                    best = q;
                    bestDistance = distance;
                }
            }
            return best;
        }

        /// <summary>The primary query plus up to <c>queries_per_call − 1</c> unfinished ones nearest to the peer that have not asked it yet.</summary>
        private TKey[] PackQueries(QueryState primary, TKey peer, out QueryState[] states)
        {
            if (_queriesPerCall == 1 || _unfinished == 1)
            {
                states = [primary];
                return [primary.Query];
            }
            var others = new List<(TKey Distance, QueryState State)>();
            foreach (QueryState q in _queries)
            {
                if (!q.Finished && !ReferenceEquals(q, primary) && !q.Visited.Contains(peer))
                {
                    others.Add((TKey.Xor(q.Query, peer), q));
                }
            }
            others.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
            int extra = Math.Min(others.Count, _queriesPerCall - 1);
            states = new QueryState[extra + 1];
            var keys = new TKey[extra + 1];
            states[0] = primary;
            keys[0] = primary.Query;
            for (int i = 0; i < extra; i++)
            {
                states[i + 1] = others[i].State;
                keys[i + 1] = others[i].State.Query;
            }
            return keys;
        }

        private async Task CallAsync(Call call)
        {
            // Yield first so that launching a call never runs network code on the scheduling loop.
            await Task.Yield();
            NeighborReply<TKey, TPeer> reply = NeighborReply<TKey, TPeer>.Failed;
            CancellationToken token = _cancel.Token;
            SemaphoreSlim? limit = _options.ConcurrencyLimit;
            bool entered = false;
            CancellationTokenSource? timeout = null;
            try
            {
                if (limit is not null)
                {
                    await limit.WaitAsync(token).ConfigureAwait(false);
                    entered = true;
                }
                if (_options.CallTimeout is { } callTimeout && callTimeout != Timeout.InfiniteTimeSpan)
                {
                    timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                    timeout.CancelAfter(callTimeout);
                    token = timeout.Token;
                }
                reply = await _network.GetNeighborsAsync(call.Peer, call.Queries, token).ConfigureAwait(false);
            }
            catch (Exception) when (!_callerToken.IsCancellationRequested)
            {
                reply = NeighborReply<TKey, TPeer>.Failed; // timeout, refused, broken: the peer did not answer
            }
            catch (OperationCanceledException)
            {
                // The traversal is being cancelled; the loop is not reading any more.
            }
            finally
            {
                if (entered)
                {
                    limit!.Release();
                }
                timeout?.Dispose();
            }
            _outcomes.Writer.TryWrite(new CallOutcome(call, reply));
        }

        private void Process(CallOutcome outcome)
        {
            Call call = outcome.Call;
            NeighborReply<TKey, TPeer> reply = outcome.Reply;
            PeerBlacklist<TPeer>? blacklist = _request.Blacklist;
            if (reply.Responded)
            {
                blacklist?.RegisterSuccess(call.Peer.Peer);
            }
            else
            {
                _failedCalls++;
                blacklist?.RegisterFailure(call.Peer.Peer);
            }
            ReadOnlySpan<QueryNeighbors<TKey, TPeer>> results = reply.Results.Span;
            for (int i = 0; i < call.States.Length; i++)
            {
                QueryState q = call.States[i];
                q.Active--;
                if (i >= results.Length || !reply.Responded)
                {
                    continue;
                }
                QueryNeighbors<TKey, TPeer> result = results[i];
                if (q.Finished)
                {
                    continue; // finished by another call (or stopped) while this one was in flight
                }
                q.NoteReply(call.Depth + 1);
                foreach (RoutingEntry<TKey, TPeer> neighbor in result.Neighbors.Span)
                {
                    if (blacklist?.Contains(neighbor.Peer) == true)
                    {
                        continue;
                    }
                    q.AddNeighbor(neighbor, call.Depth + 1);
                }
                if (result.ShouldStop)
                {
                    q.StopHops = call.Depth + 1;
                    Finish(q, stopped: true);
                }
            }
        }

        /// <summary>Finishes every unfinished query that has no candidate inside its beam and no call in flight.</summary>
        private void FinishStuckQueries()
        {
            foreach (QueryState q in _queries)
            {
                if (!q.Finished && q.Active == 0 && !q.TryPeekCandidateWithinBeam(out _))
                {
                    Finish(q, stopped: false);
                }
            }
        }

        private void Finish(QueryState q, bool stopped)
        {
            q.Finished = true;
            _unfinished--;
            // A finished query's visited set is never written again (calls only mark unfinished queries), so it is handed out as is.
            var result = new TraversalQueryResult<TKey, TPeer>(q.Query, q.Index, q.GetNearest(), q.Visited, stopped, stopped ? q.StopHops : q.MaxHops);
            q.Result = result;
            if (_request.FoundCallback is { } callback)
            {
                _background.Add(InvokeCallbackAsync(callback, result));
            }
        }

        private async Task InvokeCallbackAsync(TraversalFoundCallback<TKey, TPeer> callback, TraversalQueryResult<TKey, TPeer> result) =>
            await callback(result, _cancel.Token).ConfigureAwait(false);

        private sealed record Call(RoutingEntry<TKey, TPeer> Peer, int Depth, TKey[] Queries, QueryState[] States);

        private readonly record struct CallOutcome(Call Call, NeighborReply<TKey, TPeer> Reply);

        /// <summary>One query's heaps and sets (hivemind's <c>candidate_nodes</c>, <c>nearest_nodes</c>, <c>known_nodes</c>, <c>visited_nodes</c>).</summary>
        private sealed class QueryState
        {
            private static readonly IComparer<TKey> s_farthestFirst = Comparer<TKey>.Create(static (a, b) => b.CompareTo(a));

            private readonly int _beamSize;
            private readonly PriorityQueue<(RoutingEntry<TKey, TPeer> Node, int Depth), TKey> _candidates = new();
            private readonly PriorityQueue<RoutingEntry<TKey, TPeer>, TKey> _nearest = new(s_farthestFirst);
            private readonly HashSet<TKey> _known = [];

            public QueryState(TKey query, int index, int beamSize, IReadOnlyCollection<TKey>? excluded, IReadOnlyCollection<TKey>? visited)
            {
                Query = query;
                Index = index;
                _beamSize = beamSize;
                if (excluded is not null)
                {
                    Visited.UnionWith(excluded);
                }
                if (visited is not null)
                {
                    Visited.UnionWith(visited);
                }
                _known.UnionWith(Visited);
            }

            public TKey Query { get; }

            public int Index { get; }

            public HashSet<TKey> Visited { get; } = [];

            public int Active { get; set; }

            public bool Finished { get; set; }

            public int MaxHops { get; private set; }

            public int StopHops { get; set; }

            public TraversalQueryResult<TKey, TPeer>? Result { get; set; }

            public void AddInitial(RoutingEntry<TKey, TPeer> node)
            {
                if (!_known.Add(node.NodeId))
                {
                    return;
                }
                TKey distance = TKey.Xor(Query, node.NodeId);
                _candidates.Enqueue((node, 0), distance);
                PushNearest(node, distance);
            }

            public void AddNeighbor(RoutingEntry<TKey, TPeer> node, int depth)
            {
                if (!_known.Add(node.NodeId))
                {
                    return;
                }
                TKey distance = TKey.Xor(Query, node.NodeId);
                if (IsWithinBeam(distance))
                {
                    _candidates.Enqueue((node, depth), distance);
                    PushNearest(node, distance);
                }
            }

            public void NoteReply(int hops) => MaxHops = Math.Max(MaxHops, hops);

            /// <summary>hivemind <c>upper_bound</c>: inside the beam when the beam is not full or the node is no farther than its farthest.</summary>
            public bool IsWithinBeam(TKey distance) =>
                _nearest.Count < _beamSize || (_nearest.TryPeek(out _, out TKey farthest) && distance.CompareTo(farthest) <= 0);

            /// <summary>hivemind <c>has_candidates</c>.</summary>
            public bool TryPeekCandidateWithinBeam(out TKey distance) =>
                _candidates.TryPeek(out _, out distance) && IsWithinBeam(distance);

            public (RoutingEntry<TKey, TPeer> Node, TKey Distance, int Depth) PopCandidate()
            {
                _candidates.TryDequeue(out (RoutingEntry<TKey, TPeer> Node, int Depth) candidate, out TKey distance);
                return (candidate.Node, distance, candidate.Depth);
            }

            public ImmutableArray<RoutingEntry<TKey, TPeer>> GetNearest()
            {
                var items = new (TKey Distance, RoutingEntry<TKey, TPeer> Node)[_nearest.Count];
                int i = 0;
                foreach ((RoutingEntry<TKey, TPeer> node, TKey distance) in _nearest.UnorderedItems)
                {
                    items[i++] = (distance, node);
                }
                Array.Sort(items, static (a, b) => a.Distance.CompareTo(b.Distance));
                return [.. items.Select(static x => x.Node)];
            }

            private void PushNearest(RoutingEntry<TKey, TPeer> node, TKey distance)
            {
                if (_nearest.Count < _beamSize)
                {
                    _nearest.Enqueue(node, distance);
                }
                else
                {
                    _nearest.EnqueueDequeue(node, distance);
                }
            }
        }
    }
}
