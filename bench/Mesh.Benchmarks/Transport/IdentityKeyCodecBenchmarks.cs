using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mesh.Transport.Identity;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// PublicKey protobuf decoding (what Noise does with the remote identity key, once per handshake) and encoding, per key
/// type; decoding includes full validation (point decompression, DER parsing, key size checks).
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class IdentityKeyCodecBenchmarks
{
    private readonly Dictionary<KeyType, byte[]> _protobufs = [];
    private readonly Dictionary<KeyType, PublicKey> _keys = [];
    private readonly byte[] _destination = new byte[1024];

    [Params(KeyType.Ed25519, KeyType.Secp256k1, KeyType.Ecdsa, KeyType.Rsa)]
    public KeyType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        foreach (KeyType type in Enum.GetValues<KeyType>())
        {
            PublicKey key = PrivateKey.Generate(type).PublicKey;
            _keys[type] = key;
            _protobufs[type] = key.ToProtobuf();
        }
    }

    [Benchmark(Description = "PublicKey.FromProtobuf (decode + validate)")]
    public PublicKey Decode() => PublicKey.FromProtobuf(_protobufs[Type]);

    [Benchmark(Description = "PublicKey.TryWriteProtobuf into a span")]
    public int Encode()
    {
        _keys[Type].TryWriteProtobuf(_destination, out int written);
        return written;
    }
}
