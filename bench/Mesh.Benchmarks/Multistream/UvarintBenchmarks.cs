using System.Buffers;
using BenchmarkDotNet.Attributes;
using Mesh.Benchmarks.Transport;
using Mesh.Multistream;

namespace Mesh.Benchmarks.Multistream;

/// <summary>
/// Unsigned varint read and write for a 1-, 2- and 9-byte value: span path, single-segment sequence (the hot
/// FirstSpan path) and a varint split across segments (the stackalloc cold path). All must allocate nothing.
/// </summary>
public class UvarintBenchmarks
{
    private byte[] _encoded = null!;
    private byte[] _destination = null!;
    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _split;

    [Params(1UL, 300UL, Uvarint.MaxValue)]
    public ulong Value { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _encoded = new byte[Uvarint.GetByteCount(Value)];
        Uvarint.TryWrite(_encoded, Value, out _);
        _destination = new byte[Uvarint.MaxLength];
        _single = new ReadOnlySequence<byte>(_encoded);
        _split = BenchSegments.Chunked(_encoded, 1);
    }

    [Benchmark(Description = "read span")]
    public ulong ReadSpan()
    {
        Uvarint.TryRead(_encoded, out ulong value, out _);
        return value;
    }

    [Benchmark(Description = "read sequence")]
    public ulong ReadSequence()
    {
        ReadOnlySequence<byte> buffer = _single;
        Uvarint.TryRead(ref buffer, out ulong value);
        return value;
    }

    [Benchmark(Description = "read sequence, 1 B segments")]
    public ulong ReadSequenceSplit()
    {
        ReadOnlySequence<byte> buffer = _split;
        Uvarint.TryRead(ref buffer, out ulong value);
        return value;
    }

    [Benchmark(Description = "write span")]
    public int Write()
    {
        Uvarint.TryWrite(_destination, Value, out int written);
        return written;
    }
}
