using System.Buffers;
using BenchmarkDotNet.Attributes;
using Mesh.Transport.Yamux;

namespace Mesh.Benchmarks.Transport;

/// <summary>The 12-byte yamux header: encode into a span, decode from one segment and from a header split across two.</summary>
public class YamuxHeaderBenchmarks
{
    private readonly byte[] _destination = new byte[YamuxHeader.Size];
    private readonly YamuxHeader _header = YamuxHeader.Data(0x01020305, YamuxFlags.Ack, 65536);
    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _split;

    [GlobalSetup]
    public void Setup()
    {
        byte[] frame = new byte[YamuxHeader.Size + 4];
        YamuxFrameCodec.TryWriteHeader(frame, _header, out _);
        _single = new ReadOnlySequence<byte>(frame);
        _split = BenchSegments.Chunked(frame, 7);
    }

    [Benchmark(Description = "yamux header: encode")]
    public int Encode()
    {
        YamuxFrameCodec.TryWriteHeader(_destination, _header, out int written);
        return written;
    }

    [Benchmark(Description = "yamux header: decode (one segment)")]
    public uint DecodeSingleSegment()
    {
        ReadOnlySequence<byte> buffer = _single;
        YamuxFrameCodec.TryReadHeader(ref buffer, out YamuxHeader header, out _);
        return header.Length;
    }

    [Benchmark(Description = "yamux header: decode (split 7+5)")]
    public uint DecodeSplit()
    {
        ReadOnlySequence<byte> buffer = _split;
        YamuxFrameCodec.TryReadHeader(ref buffer, out YamuxHeader header, out _);
        return header.Length;
    }
}
