using System.Buffers;
using BenchmarkDotNet.Attributes;
using Mesh.Multistream;

namespace Mesh.Benchmarks.Multistream;

/// <summary>
/// Base58btc of peer ids: an Ed25519 identity multihash (38 bytes, "12D3KooW…") and an RSA sha2-256 one (34 bytes,
/// "Qm…"). The span forms must allocate nothing; Encode allocates only its string.
/// </summary>
public class Base58Benchmarks
{
    private byte[] _data = null!;
    private string _text = null!;
    private char[] _chars = null!;
    private byte[] _bytes = null!;

    [Params("ed25519-identity", "rsa-sha256")]
    public string PeerId { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _data = PeerId == "rsa-sha256"
            ? Convert.FromHexString("1220c82f2ea8976b6f83c1206cc77e70105c5d38891792b53d46cf7494bf33389e27")
            : Convert.FromHexString("002408011220802297406813d6d49e0585227bfdfe9a28201bd758204aee0d430ef35a2f86b5");
        _text = Base58.Encode(_data);
        _chars = new char[Base58.GetMaxEncodedLength(_data.Length)];
        _bytes = new byte[Base58.GetMaxDecodedLength(_text.Length)];
    }

    [Benchmark(Description = "encode to span")]
    public int EncodeSpan()
    {
        Base58.TryEncode(_data, _chars, out int written);
        return written;
    }

    [Benchmark(Description = "encode to string")]
    public string EncodeString() => Base58.Encode(_data);

    [Benchmark(Description = "decode to span")]
    public int DecodeSpan()
    {
        Base58.TryDecode(_text, _bytes, out int written);
        return written;
    }
}
