using System.Buffers;

namespace Mesh.TestKit;

/// <summary>
/// Builds multi-segment <see cref="ReadOnlySequence{T}"/> values so that every decoder is tested on input split at
/// every possible point, one byte per segment, and with guard bytes after the frame (style.md, codec test matrix).
/// </summary>
public static class Segments
{
    /// <summary>A sequence made of the given chunks, one segment each (empty chunks are kept as empty segments).</summary>
    public static ReadOnlySequence<byte> FromChunks(params ReadOnlyMemory<byte>[] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        if (chunks.Length == 1)
        {
            return new ReadOnlySequence<byte>(chunks[0]);
        }
        var first = new Segment(chunks[0], 0);
        Segment last = first;
        for (int i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>The data as two segments split at <paramref name="splitAt"/> (each copied, so no segment aliases another).</summary>
    public static ReadOnlySequence<byte> SplitAt(ReadOnlySpan<byte> data, int splitAt) =>
        FromChunks(data[..splitAt].ToArray(), data[splitAt..].ToArray());

    /// <summary>Every two-segment split of the data, including the empty-first and empty-last cases.</summary>
    public static IEnumerable<ReadOnlySequence<byte>> AllSplits(byte[] data)
    {
        for (int i = 0; i <= data.Length; i++)
        {
            yield return SplitAt(data, i);
        }
    }

    /// <summary>The data with one byte per segment.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data)
    {
        var chunks = new ReadOnlyMemory<byte>[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            chunks[i] = new[] { data[i] };
        }
        return FromChunks(chunks);
    }

    /// <summary>
    /// All the shapes a decoder must handle for one complete frame: single segment, every two-way split, one byte per
    /// segment. Each entry says how it was built, for test output.
    /// </summary>
    public static IEnumerable<(string Shape, ReadOnlySequence<byte> Sequence)> Variants(byte[] data)
    {
        yield return ("single", new ReadOnlySequence<byte>(data));
        for (int i = 0; i <= data.Length; i++)
        {
            yield return ($"split@{i}", SplitAt(data, i));
        }
        yield return ("byte-per-segment", OneBytePerSegment(data));
    }

    /// <summary>Every proper prefix of the data (lengths 0 .. n-1), each as a two-segment sequence split in its middle.</summary>
    public static IEnumerable<ReadOnlySequence<byte>> ProperPrefixes(byte[] data)
    {
        for (int len = 0; len < data.Length; len++)
        {
            yield return SplitAt(data.AsSpan(0, len), len / 2);
        }
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
