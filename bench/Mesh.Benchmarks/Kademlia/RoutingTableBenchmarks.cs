using BenchmarkDotNet.Attributes;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// A routing table holding 1,000 nodes (k = 20, b = 5): nearest-neighbour queries (what every rpc_find answers, from
/// any thread, lock-free) and the writer's updates (copy-on-write buckets, one published snapshot per change).
/// </summary>
public class RoutingTableBenchmarks
{
    private RoutingTable<DhtId, string> _table = null!;
    private RoutingTable<KadKey256, string> _table256 = null!;
    private DhtId[] _queries = null!;
    private KadKey256[] _queries256 = null!;
    private DhtId[] _members = null!;
    private readonly RoutingEntry<DhtId, string>[] _buffer = new RoutingEntry<DhtId, string>[20];
    private readonly RoutingEntry<KadKey256, string>[] _buffer256 = new RoutingEntry<KadKey256, string>[20];
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _table = new RoutingTable<DhtId, string>(DhtId.CreateRandom(rng));
        _table256 = new RoutingTable<KadKey256, string>(KadKey256.CreateRandom(rng));
        var members = new List<DhtId>();
        for (int i = 0; members.Count < 1000 && i < 1_000_000; i++)
        {
            DhtId id = DhtId.CreateRandom(rng);
            if (_table.AddOrUpdate(id, $"peer-{i}").Outcome == RoutingUpdateOutcome.Added)
            {
                members.Add(id);
            }
        }
        for (int i = 0; _table256.Count < 1000 && i < 1_000_000; i++)
        {
            _table256.AddOrUpdate(KadKey256.CreateRandom(rng), $"peer-{i}");
        }
        _members = members.ToArray();
        _queries = Enumerable.Range(0, 1024).Select(_ => DhtId.CreateRandom(rng)).ToArray();
        _queries256 = Enumerable.Range(0, 1024).Select(_ => KadKey256.CreateRandom(rng)).ToArray();
    }

    [Benchmark(Description = "k=20 nearest of 1,000 (160-bit), into a span")]
    public int Nearest() => _table.GetNearestNeighbors(_queries[_i++ & 1023], _buffer);

    [Benchmark(Description = "k=20 nearest of 1,000 (160-bit), new array, excluding requester")]
    public RoutingEntry<DhtId, string>[] NearestArray() => _table.GetNearestNeighbors(_queries[_i++ & 1023], 20, exclude: _members[_i & 511]);

    [Benchmark(Description = "k=20 nearest of 1,000 (256-bit), into a span")]
    public int Nearest256() => _table256.GetNearestNeighbors(_queries256[_i++ & 1023], _buffer256);

    [Benchmark(Description = "writer: node seen again (moved to bucket tail)")]
    public RoutingUpdate<DhtId, string> Touch()
    {
        DhtId id = _members[_i++ % _members.Length];
        _table.TryGetPeer(id, out string? peer);
        return _table.AddOrUpdate(id, peer!);
    }
}
