using BenchmarkDotNet.Attributes;
using Mesh.Multistream;

namespace Mesh.Benchmarks.Multistream;

/// <summary>
/// Multiaddr codecs on two typical addresses: a TCP dial address with a peer id, and a WebTransport listen address
/// with two certificate hashes. Validating and enumerating binary (what happens to every address a peer sends) and
/// formatting into a span must allocate nothing; FromBytes owns one array, Parse and ToString allocate their results.
/// </summary>
public class MultiaddrBenchmarks
{
    private byte[] _bytes = null!;
    private string _text = null!;
    private Multiaddr _addr = null!;
    private char[] _chars = null!;

    [Params("tcp-p2p", "webtransport-certhash")]
    public string Address { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _text = Address == "tcp-p2p"
            ? "/ip4/192.0.2.42/tcp/4001/p2p/12D3KooWJSYwr2kQAY4FycvzB1XieuRw9Sp6WGBYQcgKFTPGq6wN"
            : "/ip6/2001:db8::1/udp/4001/quic-v1/webtransport/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g/certhash/uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g/p2p/12D3KooWJSYwr2kQAY4FycvzB1XieuRw9Sp6WGBYQcgKFTPGq6wN";
        _addr = Multiaddr.Parse(_text);
        _bytes = _addr.ToArray();
        _chars = new char[_addr.GetMaxFormattedLength()];
    }

    [Benchmark(Description = "binary validate")]
    public bool Validate() => Multiaddr.TryValidate(_bytes, out _);

    [Benchmark(Description = "binary validate + enumerate")]
    public int Enumerate()
    {
        int sum = 0;
        var reader = new MultiaddrReader(_bytes);
        while (reader.TryRead(out MultiaddrComponent component, out _))
        {
            sum += component.Code + component.Value.Length;
        }
        return sum;
    }

    [Benchmark(Description = "binary FromBytes (owns a copy)")]
    public Multiaddr FromBytes() => Multiaddr.FromBytes(_bytes);

    [Benchmark(Description = "text parse")]
    public Multiaddr ParseText() => Multiaddr.Parse(_text);

    [Benchmark(Description = "text format to span")]
    public int FormatSpan()
    {
        _addr.TryFormat(_chars, out int written);
        return written;
    }

    [Benchmark(Description = "text ToString (uncached)")]
    public string Format() => Multiaddr.FromBytes(_bytes).ToString();
}
