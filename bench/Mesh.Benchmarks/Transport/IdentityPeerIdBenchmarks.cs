using BenchmarkDotNet.Attributes;
using Mesh.Transport.Identity;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// Peer id work on the connection and DHT paths: parsing the text forms (config, multiaddrs, chain strings),
/// formatting, deriving from a key (Noise, identify), equality and hashing (routing tables, dictionaries).
/// </summary>
public class IdentityPeerIdBenchmarks
{
    private PublicKey _ed25519 = null!;
    private PublicKey _rsa = null!;
    private PeerId _ed25519Id;
    private PeerId _ed25519IdCopy;
    private PeerId _rsaId;
    private string _ed25519Base58 = null!;
    private string _rsaBase58 = null!;
    private string _ed25519Cid = null!;
    private byte[] _ed25519Bytes = null!;
    private byte[] _ed25519Protobuf = null!;
    private readonly char[] _chars = new char[128];
    private readonly byte[] _utf8 = new byte[128];

    [GlobalSetup]
    public void Setup()
    {
        _ed25519 = Ed25519PrivateKey.FromSeed(new byte[32]).PublicKey;
        _rsa = RsaPrivateKey.Generate(2048).PublicKey;
        _ed25519Id = _ed25519.PeerId;
        _ed25519IdCopy = PeerId.FromBytes(_ed25519Id.Bytes);
        _rsaId = _rsa.PeerId;
        _ed25519Base58 = _ed25519Id.ToString();
        _rsaBase58 = _rsaId.ToString();
        _ed25519Cid = _ed25519Id.ToCidString();
        _ed25519Bytes = _ed25519Id.ToByteArray();
        _ed25519Protobuf = _ed25519.ToProtobuf();
    }

    [Benchmark(Description = "Parse base58 12D3KooW… (Ed25519)")]
    public PeerId ParseBase58Ed25519() => PeerId.Parse(_ed25519Base58);

    [Benchmark(Description = "Parse base58 Qm… (RSA)")]
    public PeerId ParseBase58Rsa() => PeerId.Parse(_rsaBase58);

    [Benchmark(Description = "Parse CID bafz… (Ed25519)")]
    public PeerId ParseCid() => PeerId.Parse(_ed25519Cid);

    [Benchmark(Description = "FromBytes (validate + copy)")]
    public PeerId FromBytes() => PeerId.FromBytes(_ed25519Bytes);

    [Benchmark(Description = "ToString base58 (Ed25519)")]
    public string FormatBase58() => _ed25519Id.ToString();

    [Benchmark(Description = "TryFormat base58 into a char span")]
    public int FormatBase58Span()
    {
        _ed25519Id.TryFormat(_chars, out int written);
        return written;
    }

    [Benchmark(Description = "TryFormat base58 into a UTF-8 span")]
    public int FormatBase58Utf8()
    {
        _ed25519Id.TryFormat(_utf8, out int written);
        return written;
    }

    [Benchmark(Description = "ToCidString (Ed25519)")]
    public string FormatCid() => _ed25519Id.ToCidString();

    [Benchmark(Description = "Equals (distinct instances, equal)")]
    public bool EqualsEqual() => _ed25519Id.Equals(_ed25519IdCopy);

    [Benchmark(Description = "Equals (different ids)")]
    public bool EqualsDifferent() => _ed25519Id.Equals(_rsaId);

    [Benchmark(Description = "GetHashCode")]
    public int HashCode() => _ed25519Id.GetHashCode();

    [Benchmark(Description = "FromPublicKey (cached on the key)")]
    public PeerId FromPublicKeyCached() => PeerId.FromPublicKey(_ed25519);

    [Benchmark(Description = "Derive from Ed25519 key (identity multihash)")]
    public byte[] DeriveEd25519() => PeerId.ComputeMultihash(_ed25519);

    [Benchmark(Description = "Derive from RSA-2048 key (sha2-256 multihash)")]
    public byte[] DeriveRsa() => PeerId.ComputeMultihash(_rsa);

    [Benchmark(Description = "Decode Ed25519 PublicKey protobuf + derive peer id")]
    public PeerId DecodeKeyAndDerive() => PublicKey.FromProtobuf(_ed25519Protobuf).PeerId;

    [Benchmark(Description = "Matches(PublicKey) (cached)")]
    public bool Matches() => _ed25519Id.Matches(_ed25519);
}
