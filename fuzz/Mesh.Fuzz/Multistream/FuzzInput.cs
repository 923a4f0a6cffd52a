using System.Buffers;
using System.Text;

namespace Mesh.Fuzz.Multistream;

/// <summary>
/// Helpers for the multiformats targets: fuzzer-chosen segmentation and fuzzer-chosen text decoding.
/// </summary>
internal static class FuzzInput
{
    /// <summary>
    /// Splits <paramref name="data"/> into segments whose sizes cycle through <paramref name="sizes"/> (each
    /// 0..15; 0 makes an empty segment), so that every boundary position the fuzzer can think of gets exercised.
    /// </summary>
    public static ReadOnlySequence<byte> Segmented(byte[] data, ReadOnlySpan<byte> sizes)
    {
        if (sizes.IsEmpty || data.Length == 0)
        {
            return new ReadOnlySequence<byte>(data);
        }
        Segment? first = null;
        Segment? last = null;
        int pos = 0;
        int i = 0;
        int emptyRun = 0;
        while (pos < data.Length)
        {
            int size = Math.Min(sizes[i++ % sizes.Length] & 0x0F, data.Length - pos);
            // Bound runs of empty segments so a pathological size list cannot loop forever.
            if (size == 0 && ++emptyRun > 2)
            {
                size = 1;
            }
            if (size > 0)
            {
                emptyRun = 0;
            }
            ReadOnlyMemory<byte> memory = data.AsMemory(pos, size);
            pos += size;
            if (first is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last!.Append(memory);
            }
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>Input bytes as text: UTF-8 (lossy) when <paramref name="mode"/> is even, else raw UTF-16 code units (lone surrogates included).</summary>
    public static string Text(ReadOnlySpan<byte> data, byte mode)
    {
        if ((mode & 1) == 0)
        {
            return Encoding.UTF8.GetString(data);
        }
        var chars = new char[data.Length / 2];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)(data[2 * i] | (data[(2 * i) + 1] << 8));
        }
        return new string(chars);
    }

    public static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("fuzz invariant violated: " + what);
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
