using BenchmarkDotNet.Attributes;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Node;
using Mesh.Kademlia.Routing;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Transport.Identity;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// Lookups in a 1,000-node mesh DHT in memory (no sockets; messages serialized and parsed as on the wire): the CPU
/// cost and the shape of a lookup at scale. One operation is one lookup: a get of a stored key from a random node that
/// does not hold it, or a find of the 20 nodes nearest to a random id. Mean hops and RPCs per lookup are printed at
/// the end of each run (and by the <c>dht-lookups</c> mode).
/// </summary>
[Config(typeof(LookupLatencyConfig))]
public class DhtLookupInMemoryBenchmarks
{
    private DhtBenchSwarm _swarm = null!;
    private MsgValue[] _keys = null!;
    private Random _random = null!;

    [Params(1000)]
    public int Nodes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new DhtNodeOptions { CacheLocally = false, CacheNearest = 0, CacheRefreshBeforeExpiry = TimeSpan.Zero, ReuseGetRequests = false };
        _swarm = DhtBenchSwarm.StartAsync(Nodes, tcp: false, options: options).GetAwaiter().GetResult();
        _keys = [.. Enumerable.Range(0, 128).Select(i => (MsgValue)$"bench-key-{i}")];
        double expiration = DhtClock.System.Now + 3600;
        foreach (MsgValue key in _keys)
        {
            _swarm.Nodes[0].StoreAsync(key, MsgValue.Tuple(1, "value", 1.5), expiration).GetAwaiter().GetResult();
        }
        _random = new Random(7);
        _swarm.ResetCounters();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// {Nodes}-node in-memory swarm: {_swarm.MeanHops:0.00} hops and {_swarm.MeanCalls:0.0} RPCs per lookup (mean)");
        _swarm.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public async Task<DhtValue?> GetExistingKey() =>
        await _swarm.Nodes[_random.Next(1, _swarm.Nodes.Count)].GetAsync(_keys[_random.Next(_keys.Length)]);

    [Benchmark]
    public async Task<IReadOnlyList<IReadOnlyList<RoutingEntry<DhtId, PeerId>>>> FindNearest20() =>
        await _swarm.Nodes[_random.Next(_swarm.Nodes.Count)].FindNearestNodesAsync([DhtId.CreateRandom(_random)]);
}
