using System.Buffers;
using BenchmarkDotNet.Attributes;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// hivemind-compatible msgpack on the values the subnet moves: a heartbeat (<c>ServerInfo.to_tuple()</c>, a tuple with
/// a nested dict), the 4-tuple signing payload of a record, and a 100-subkey DictionaryDHTValue (a heartbeat key with
/// one subkey per node).
/// </summary>
public class MsgPackBenchmarks
{
    private MsgValue _heartbeat;
    private byte[] _heartbeatBytes = null!;
    private MsgValue _dictionary;
    private byte[] _dictionaryBytes = null!;
    private readonly ArrayBufferWriter<byte> _sink = new(4096);
    private readonly byte[] _payload = new byte[512];
    private byte[] _key = null!;
    private byte[] _subkey = null!;
    private byte[] _value = null!;

    [GlobalSetup]
    public void Setup()
    {
        _heartbeat = MsgValue.Tuple(2, "validator", 1.5, MsgValue.Map(
            new MsgMapEntry("public_name", "alice"),
            new MsgMapEntry("version", "1.2.0"),
            new MsgMapEntry("using_relay", false),
            new MsgMapEntry("next_pings", MsgValue.Map(new MsgMapEntry("12D3KooWabc", 0.05), new MsgMapEntry("12D3KooWdef", 0.07)))));
        _heartbeatBytes = MsgPackSerializer.Serialize(_heartbeat);
        var items = Enumerable.Range(0, 100)
            .Select(i => DictionaryDhtItem.Create(MsgValue.FromBytes(System.Text.Encoding.ASCII.GetBytes($"12D3KooW-peer-{i:D3}[owner:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIAil0BoE9bUngWFInv9]")), _heartbeatBytes, 1700000100.25 + i))
            .ToArray();
        _dictionary = MsgValue.FromDictionary(new DictionaryDhtValue(1700000199.25, items));
        _dictionaryBytes = MsgPackSerializer.Serialize(_dictionary);
        _key = DhtId.Generate("heartbeat").ToBytes();
        _subkey = MsgPackSerializer.SerializeBytes(System.Text.Encoding.ASCII.GetBytes("12D3KooW-peer[owner:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIAil0BoE9bUngWFInv9/pooIBvXWCBK7g1DDvNaL4a1]"));
        _value = _heartbeatBytes;
    }

    [Benchmark(Description = "heartbeat: encode to new byte[]")]
    public byte[] EncodeHeartbeat() => MsgPackSerializer.Serialize(_heartbeat);

    [Benchmark(Description = "heartbeat: encode into reused IBufferWriter")]
    public int EncodeHeartbeatIntoWriter()
    {
        _sink.ResetWrittenCount();
        MsgPackSerializer.Serialize(_sink, _heartbeat);
        return _sink.WrittenCount;
    }

    [Benchmark(Description = "heartbeat: decode")]
    public MsgValue DecodeHeartbeat() => MsgPackSerializer.Deserialize(_heartbeatBytes.AsMemory());

    [Benchmark(Description = "signing payload (key, subkey, value, exp) into span")]
    public int SigningPayload()
    {
        RecordTuple.TryWrite(_payload, _key, _subkey, _value, 1700000100.25, out int written);
        return written;
    }

    [Benchmark(Description = "dictionary 100 subkeys: encode")]
    public byte[] EncodeDictionary() => MsgPackSerializer.Serialize(_dictionary);

    [Benchmark(Description = "dictionary 100 subkeys: decode")]
    public MsgValue DecodeDictionary() => MsgPackSerializer.Deserialize(_dictionaryBytes.AsMemory());
}
