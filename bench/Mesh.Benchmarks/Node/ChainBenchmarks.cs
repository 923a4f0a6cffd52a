using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Scale;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Chain.Storage;

namespace Mesh.Benchmarks.Node;

/// <summary>Finds the real runtime metadata blob kept in the fuzz corpus (walks up to MeshCore.sln).</summary>
internal static class ChainBenchData
{
    public static byte[] MetadataV15()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MeshCore.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        if (dir is null)
        {
            throw new InvalidOperationException("MeshCore.sln not found above " + AppContext.BaseDirectory);
        }
        return File.ReadAllBytes(Path.Combine(dir, "fuzz", "corpus", "metadata", "hoskinson-v15.bin"));
    }
}

/// <summary>Decoding and encoding the Hoskinson runtime's V15 metadata (190,703 bytes), the whole document.</summary>
public class ChainMetadataBenchmarks
{
    private byte[] _blob = [];
    private RuntimeMetadata _metadata = null!;
    private readonly ArrayBufferWriter<byte> _out = new(256 * 1024);

    [GlobalSetup]
    public void Setup()
    {
        _blob = ChainBenchData.MetadataV15();
        _metadata = RuntimeMetadata.Decode(_blob);
    }

    [Benchmark]
    public int DecodeMetadataV15() => RuntimeMetadata.Decode(_blob).Types.Count;

    [Benchmark]
    public int EncodeMetadataV15()
    {
        _out.ResetWrittenCount();
        MetadataEncoder.Write(_metadata, new ScaleWriter(_out));
        return _out.WrittenCount;
    }
}

/// <summary>The metadata-driven codec on real runtime types, compact integers, and storage-key hashing.</summary>
public class ChainScaleBenchmarks
{
    private RuntimeMetadata _m = null!;
    private int _eventsType;
    private byte[] _events = [];
    private int _callType;
    private ScaleValue _call = null!;
    private readonly ArrayBufferWriter<byte> _out = new(1024);
    private readonly byte[] _compact = [0x0b, 0x00, 0x40, 0x7a, 0x10, 0xf3, 0x5a];
    private readonly byte[] _hotkey = Convert.FromHexString("2f7703ba9953d422294079a1cb32f5d2b60e38eb");
    private readonly byte[] _system = Encoding.ASCII.GetBytes("System");
    private readonly byte[] _key = new byte[64];
    private ScaleValue[] _stakeKeys = [];

    [GlobalSetup]
    public void Setup()
    {
        _m = RuntimeMetadata.Decode(ChainBenchData.MetadataV15());
        _eventsType = _m.Storage("System", "Events").ValueTypeId;
        // Eight failed-extrinsic records (RUNTIME.md §7).
        byte[] record = Convert.FromHexString("000100000000010317210000002261c91900000000");
        _events = [0x20, .. Enumerable.Repeat(record, 8).SelectMany(r => r)];
        _callType = _m.Pallet("Network").CallTypeId!.Value;
        _call = ScaleValue.Variant("propose_attestation",
            ScaleValue.Record(
                ("subnet_id", 1u),
                ("data", ScaleValue.Sequence(Enumerable.Range(1, 16).Select(i => ScaleValue.Record(("subnet_node_id", (uint)i), ("score", UInt128.Parse("1000000000000000000")))))),
                ("prioritize_queue_node_id", ScaleValue.None),
                ("remove_queue_node_id", ScaleValue.None),
                ("args", ScaleValue.None),
                ("attest_data", ScaleValue.None)).Fields.ToArray());
        _stakeKeys = [ScaleValue.Bytes(_hotkey), 1u];
    }

    [Benchmark]
    public int DecodeEventRecords() => ScaleCodec.Decode(_m.Types, _eventsType, _events).Items.Count;

    [Benchmark]
    public int EncodeProposeAttestationCall()
    {
        _out.ResetWrittenCount();
        ScaleCodec.Encode(_m.Types, _callType, _call, new ScaleWriter(_out));
        return _out.WrittenCount;
    }

    [Benchmark]
    public ulong CompactDecode()
    {
        ScaleCompact.TryRead(_compact, out ulong v, out _);
        return v;
    }

    [Benchmark]
    public int CompactEncode()
    {
        ScaleCompact.TryWrite(_key, 100_000_000_000_000, out int n);
        return n;
    }

    [Benchmark]
    public int Twox128() => StorageHashing.Hash(StorageHasher.Twox128, _system, _key);

    [Benchmark]
    public int Blake2_128Concat() => StorageHashing.Hash(StorageHasher.Blake2_128Concat, _hotkey, _key);

    [Benchmark]
    public int StorageKeyFromMetadata() => StorageKeys.Build(_m, "Network", "AccountSubnetStake", _stakeKeys).Length;
}

/// <summary>Ethereum-style signing: Keccak-256, secp256k1 RFC 6979 signing with recovery id, and recovery.</summary>
public class ChainSigningBenchmarks
{
    private readonly EthereumKeyPair _key = EthereumKeyPair.FromPrivateKeyHex("0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133");
    private readonly byte[] _payload = Convert.FromHexString("04032f7703ba9953d422294079a1cb32f5d2b60e38eb130000e8890423c78a000000010000000100000045454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545454545");
    private readonly byte[] _digest = new byte[32];
    private byte[] _signature = [];

    [GlobalSetup]
    public void Setup() => _signature = _key.Sign(_payload);

    [Benchmark]
    public byte Keccak256Payload()
    {
        Keccak256.Hash(_payload, _digest);
        return _digest[0];
    }

    [Benchmark]
    public byte[] SignPayload() => _key.Sign(_payload);

    [Benchmark]
    public AccountId20? RecoverSigner() => EthereumSignature.RecoverAddress(_signature, _payload);
}
