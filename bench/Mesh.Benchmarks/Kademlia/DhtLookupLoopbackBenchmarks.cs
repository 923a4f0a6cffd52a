using BenchmarkDotNet.Attributes;
using Mesh.Kademlia.Node;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// Lookup latency in a 30-node mesh DHT over loopback TCP in one process (every node its own MeshHost: TCP, Noise,
/// yamux, signed RPCs). One operation is one lookup from a node that does not hold the key and never cached it:
/// <see cref="GetExistingKey"/> gets a stored key (cache_locally off, so every get goes to the network);
/// <see cref="StoreFiveReplicas"/> stores a fresh value on the 5 nearest nodes. Issue targets: get p50 ≤ 10 ms,
/// p99 ≤ 50 ms, store p50 ≤ 20 ms. For true per-lookup percentiles and hop counts run the <c>dht-lookups</c> mode.
/// </summary>
[Config(typeof(LookupLatencyConfig))]
public class DhtLookupLoopbackBenchmarks
{
    private DhtBenchSwarm _swarm = null!;
    private DhtNode[] _readers = null!;
    private MsgValue[] _keys = null!;
    private int _next;
    private double _expiration;

    [GlobalSetup]
    public void Setup()
    {
        var options = new DhtNodeOptions { CacheLocally = false, CacheNearest = 0, CacheRefreshBeforeExpiry = TimeSpan.Zero, ReuseGetRequests = false };
        _swarm = DhtBenchSwarm.StartAsync(30, tcp: true, options: options).GetAwaiter().GetResult();
        _keys = [.. Enumerable.Range(0, 64).Select(i => (MsgValue)$"bench-key-{i}")];
        double expiration = DhtClock.System.Now + 3600;
        foreach (MsgValue key in _keys)
        {
            _swarm.Nodes[0].StoreAsync(key, MsgValue.Tuple(1, "value", 1.5), expiration).GetAwaiter().GetResult();
        }
        _readers = [.. _swarm.Nodes.Skip(1)];
        _expiration = expiration;
        // Warm every connection once so the numbers are lookups, not handshakes.
        foreach (DhtNode reader in _readers)
        {
            reader.GetAsync(_keys[0]).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _swarm.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public async Task<DhtValue?> GetExistingKey()
    {
        int i = _next++;
        DhtNode reader = _readers[i % _readers.Length];
        return await reader.GetAsync(_keys[(i * 7) % _keys.Length]);
    }

    [Benchmark]
    public async Task<bool> StoreFiveReplicas()
    {
        int i = _next++;
        _expiration += 0.001;
        return await _readers[i % _readers.Length].StoreAsync($"stored-{i % 256}", i, _expiration);
    }
}
