using System.Collections.Concurrent;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;
using Mesh.Kademlia.Traversal;

namespace Mesh.Kademlia.Tests.Traversal;

/// <summary>
/// A Kademlia network in memory for traversal tests: every node has a real routing table holding every other node the
/// table accepts, and answers <c>get_neighbors</c> with its k nearest, like <c>rpc_find</c>. Counts calls and the most
/// calls in flight at once; nodes can be made silent (never answer), failing (throw) or holders of a value (stop).
/// </summary>
internal sealed class SimulatedKadNetwork<TKey> : INeighborSource<TKey, int>
    where TKey : struct, IKadKey<TKey>
{
    private readonly RoutingTable<TKey, int>[] _tables;
    private readonly int _k;
    private int _inFlight;
    private int _maxInFlight;
    private int _calls;

    public SimulatedKadNetwork(int nodes, int seed, int bucketSize = 20, int k = 20)
    {
        var random = new Random(seed);
        Ids = [.. Enumerable.Range(0, nodes).Select(_ => TKey.CreateRandom(random))];
        _k = k;
        _tables = new RoutingTable<TKey, int>[nodes];
        for (int i = 0; i < nodes; i++)
        {
            _tables[i] = new RoutingTable<TKey, int>(Ids[i], new RoutingTableOptions { BucketSize = bucketSize });
            foreach (int j in Enumerable.Range(0, nodes).OrderBy(_ => random.Next()))
            {
                if (j != i)
                {
                    _tables[i].AddOrUpdate(Ids[j], j);
                }
            }
        }
    }

    public TKey[] Ids { get; }

    public ConcurrentDictionary<int, bool> Silent { get; } = new();

    public ConcurrentDictionary<int, bool> Throwing { get; } = new();

    /// <summary>Nodes that hold the value of a query: they answer with ShouldStop for it.</summary>
    public ConcurrentDictionary<(int Node, TKey Query), bool> Holders { get; } = new();

    /// <summary>Every (node, query) pair asked, in order.</summary>
    public ConcurrentQueue<(int Node, TKey[] Queries)> Log { get; } = new();

    /// <summary>Awaited before every answer (null: answer at once).</summary>
    public Func<int, CancellationToken, Task>? Gate { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int InFlight => Volatile.Read(ref _inFlight);

    public RoutingEntry<TKey, int> Entry(int node) => new(Ids[node], node);

    public RoutingEntry<TKey, int>[] NearestFrom(int node, TKey query, int count) => _tables[node].GetNearestNeighbors(query, count);

    /// <summary>The true <paramref name="count"/> nearest ids to <paramref name="query"/> (brute force).</summary>
    public TKey[] TrueNearest(TKey query, int count, int? exclude = null) =>
        [.. Enumerable.Range(0, Ids.Length).Where(i => i != exclude).Select(i => Ids[i]).OrderBy(id => TKey.Xor(id, query)).Take(count)];

    public async ValueTask<NeighborReply<TKey, int>> GetNeighborsAsync(RoutingEntry<TKey, int> peer, ReadOnlyMemory<TKey> queries, CancellationToken cancellationToken)
    {
        int now = Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _calls);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }
        try
        {
            Log.Enqueue((peer.Peer, queries.ToArray()));
            if (Gate is { } gate)
            {
                await gate(peer.Peer, cancellationToken);
            }
            if (Silent.ContainsKey(peer.Peer))
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            if (Throwing.ContainsKey(peer.Peer))
            {
                throw new IOException($"node {peer.Peer} is broken");
            }
            var results = new QueryNeighbors<TKey, int>[queries.Length];
            for (int i = 0; i < queries.Length; i++)
            {
                TKey query = queries.Span[i];
                results[i] = new QueryNeighbors<TKey, int>(_tables[peer.Peer].GetNearestNeighbors(query, _k), Holders.ContainsKey((peer.Peer, query)));
            }
            return NeighborReply<TKey, int>.Answered(results);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
