using System.Buffers;

namespace Mesh.Benchmarks.Transport;

/// <summary>Multi-segment sequences for benchmarks of decoders that read from pipes.</summary>
internal static class BenchSegments
{
    public static ReadOnlySequence<byte> Chunked(byte[] data, int chunk)
    {
        if (data.Length <= chunk)
        {
            return new ReadOnlySequence<byte>(data);
        }
        var first = new Segment(data.AsMemory(0, chunk), 0);
        Segment last = first;
        for (int i = chunk; i < data.Length; i += chunk)
        {
            last = last.Append(data.AsMemory(i, Math.Min(chunk, data.Length - i)));
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
