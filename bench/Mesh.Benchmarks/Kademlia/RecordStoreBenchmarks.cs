using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// DhtLocalStorage single-threaded: lookups (lock-free) and stores (validated-free here: the validator is benchmarked
/// with the signature code). 10,000 plain records of 128 bytes and one 200-subkey dictionary.
/// </summary>
public class RecordStoreBenchmarks
{
    private const double Now = 1_700_000_000;
    private DhtLocalStorage _store = null!;
    private DhtId[] _keys = null!;
    private DhtId _dictionaryKey;
    private byte[][] _packedSubkeys = null!;
    private byte[] _value = null!;
    private double _expiration = Now + 1000;
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        _store = new DhtLocalStorage(new RecordStoreOptions { Clock = DhtClock.FromFunction(() => Now) });
        _keys = Enumerable.Range(0, 10_000).Select(i => DhtId.Generate($"key-{i}")).ToArray();
        _value = new byte[128];
        foreach (DhtId k in _keys)
        {
            _store.StoreValue(k, _value, Now + 500);
        }
        _dictionaryKey = DhtId.Generate("heartbeat");
        _packedSubkeys = Enumerable.Range(0, 200).Select(i => MsgPackSerializer.SerializeString($"peer-{i}")).ToArray();
        for (int i = 0; i < 200; i++)
        {
            _store.StoreSubkey(_dictionaryKey, MsgValue.FromString($"peer-{i}"), _value, Now + 500 + i);
        }
    }

    [Benchmark(Description = "get: plain value hit")]
    public bool GetHit() => _store.TryGet(_keys[_i++ % _keys.Length], out _);

    [Benchmark(Description = "get: miss")]
    public bool GetMiss() => _store.TryGet(DhtId.Zero, out _);

    [Benchmark(Description = "get: 200-subkey dictionary + rpc_find bytes (cached)")]
    public int GetDictionaryWire() => _store.TryGet(_dictionaryKey, out StoredValue v) ? v.GetWireValue().Length : 0;

    [Benchmark(Description = "store: newer plain value over an existing key")]
    public PutStatus StoreReplace() => _store.StoreValue(_keys[_i++ % _keys.Length], _value, _expiration += 0.001);

    [Benchmark(Description = "store: newer subkey (wire form) into the 200-subkey dictionary")]
    public PutStatus StoreSubkey() =>
        _store.StoreSubkey(_dictionaryKey, _packedSubkeys[_i++ % 200], _value, _expiration += 0.001);
}

/// <summary>
/// Lookups under write load: <see cref="Readers"/> threads do <see cref="ReadsPerInvoke"/> lookups in total while
/// <see cref="Writers"/> background threads store continuously. Readers never take a lock; writers contend only with
/// each other. The result is time per lookup (OperationsPerInvoke) with the machine's cores shared by all threads.
/// </summary>
public class RecordStoreConcurrencyBenchmarks
{
    private const double Now = 1_700_000_000;
    private const int ReadsPerInvoke = 200_000;
    private DhtLocalStorage _store = null!;
    private DhtId[] _keys = null!;
    private Thread[] _writerThreads = [];
    private volatile bool _stop;
    private long _writes;

    [Params(1, 2)]
    public int Readers { get; set; }

    [Params(0, 1, 2)]
    public int Writers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _store = new DhtLocalStorage(new RecordStoreOptions { Clock = DhtClock.FromFunction(() => Now), MaxTotalBytes = null });
        _keys = Enumerable.Range(0, 10_000).Select(i => DhtId.Generate($"key-{i}")).ToArray();
        foreach (DhtId k in _keys)
        {
            _store.StoreValue(k, new byte[128], Now + 1);
        }
        _stop = false;
        _writerThreads = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
        {
            var rng = new Random(w);
            byte[] value = new byte[128];
            double expiration = Now + 2 + w * 1e-6;
            while (!_stop)
            {
                expiration += 1e-3;
                BinaryPrimitives.WriteDoubleBigEndian(value, expiration);
                _store.StoreValue(_keys[rng.Next(_keys.Length)], value, expiration);
                Interlocked.Increment(ref _writes);
            }
        }) { IsBackground = true }).ToArray();
        foreach (Thread t in _writerThreads)
        {
            t.Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        foreach (Thread t in _writerThreads)
        {
            t.Join();
        }
    }

    [Benchmark(OperationsPerInvoke = ReadsPerInvoke, Description = "lookups under concurrent stores")]
    public long Lookups()
    {
        long found = 0;
        int perReader = ReadsPerInvoke / Readers;
        Parallel.For(0, Readers, new ParallelOptions { MaxDegreeOfParallelism = Readers }, r =>
        {
            long local = 0;
            int i = r * 7919;
            for (int n = 0; n < perReader; n++)
            {
                i += 31;
                if (_store.TryGet(_keys[(uint)i % (uint)_keys.Length], out _))
                {
                    local++;
                }
            }
            Interlocked.Add(ref found, local);
        });
        return found;
    }
}
