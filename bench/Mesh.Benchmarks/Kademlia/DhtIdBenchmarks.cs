using BenchmarkDotNet.Attributes;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>DHTID.generate (msgpack + SHA-1) and the keyspace primitives the routing table runs on.</summary>
public class DhtIdBenchmarks
{
    private readonly MsgValue _tupleKey = MsgValue.Tuple("scores_commit_epoch", 12345);
    private DhtId _a, _b, _target;
    private KadKey256 _ka, _kb, _kt;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _a = DhtId.CreateRandom(rng);
        _b = DhtId.CreateRandom(rng);
        _target = DhtId.CreateRandom(rng);
        _ka = KadKey256.CreateRandom(rng);
        _kb = KadKey256.CreateRandom(rng);
        _kt = KadKey256.CreateRandom(rng);
    }

    [Benchmark(Description = "DHTID.generate(\"heartbeat\")")]
    public DhtId GenerateString() => DhtId.Generate("heartbeat");

    [Benchmark(Description = "DHTID.generate(('scores_commit_epoch', 12345))")]
    public DhtId GenerateTuple() => DhtId.Generate(_tupleKey);

    [Benchmark(Description = "160-bit compare distance")]
    public int CompareDistance160() => DhtId.CompareDistance(_target, _a, _b);

    [Benchmark(Description = "160-bit common prefix length")]
    public int CommonPrefix160() => DhtId.CommonPrefixLength(_a, _b);

    [Benchmark(Description = "256-bit compare distance")]
    public int CompareDistance256() => KadKey256.CompareDistance(_kt, _ka, _kb);
}
