using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;

namespace Mesh.Interop.Tests.Libp2p;

/// <summary>
/// The C# side of interop/js/peer.mjs's <c>/meshcore/interop/blob/1.0.0</c> test protocol:
/// request = u64 BE download size, u32 BE pause-ms-per-MiB, then the upload (pattern seed 1) until half-close;
/// reply = sha256(upload), then the download (pattern seed 2). The pattern is the same murmur3-finalised word stream
/// as the js peer's, so both ends can check every byte by hash without shipping it twice.
/// </summary>
internal static class BlobProtocol
{
    public const string Id = "/meshcore/interop/blob/1.0.0";
    private const int Chunk = 64 * 1024;

    private static uint Fmix32(uint h)
    {
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }

    /// <summary>Pattern bytes [offset, offset + span.Length) of stream <paramref name="seed"/>; offset is a multiple of 4.</summary>
    public static void Fill(uint seed, long offset, Span<byte> span)
    {
        uint salt = seed * 0x9e3779b1;
        uint word = (uint)(offset / 4);
        int i = 0;
        for (; i + 4 <= span.Length; i += 4, word++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[i..], Fmix32(word ^ salt));
        }
        if (i < span.Length)
        {
            Span<byte> tail = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(tail, Fmix32(word ^ salt));
            tail[..(span.Length - i)].CopyTo(span[i..]);
        }
    }

    public static byte[] PatternDigest(uint seed, long length)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[Chunk];
        for (long off = 0; off < length; off += Chunk)
        {
            int n = (int)Math.Min(Chunk, length - off);
            Fill(seed, off, buffer.AsSpan(0, n));
            sha.AppendData(buffer, 0, n);
        }
        return sha.GetHashAndReset();
    }

    private static async Task WritePatternAsync(PipeWriter output, uint seed, long length, CancellationToken ct)
    {
        for (long off = 0; off < length; off += Chunk)
        {
            int n = (int)Math.Min(Chunk, length - off);
            Fill(seed, off, output.GetSpan(n)[..n]);
            output.Advance(n);
            await output.FlushAsync(ct);
        }
    }

    /// <summary>Reads to end of stream, hashing; pauses <paramref name="pauseMsPerMiB"/> after every MiB (a slow reader).</summary>
    private static async Task<(byte[] Digest, long Length)> HashToEndAsync(PipeReader input, int pauseMsPerMiB, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long total = 0, nextPause = 1 << 20;
        while (true)
        {
            ReadResult r = await input.ReadAsync(ct);
            foreach (ReadOnlyMemory<byte> m in r.Buffer)
            {
                sha.AppendData(m.Span);
            }
            total += r.Buffer.Length;
            input.AdvanceTo(r.Buffer.End);
            if (r.IsCompleted)
            {
                return (sha.GetHashAndReset(), total);
            }
            if (pauseMsPerMiB > 0 && total >= nextPause)
            {
                nextPause += 1 << 20;
                await Task.Delay(pauseMsPerMiB, ct);
            }
        }
    }

    /// <summary>Server side; <paramref name="pauseMsPerMiB"/> overrides the client's request when set (our slow reader).</summary>
    public static async Task ServeAsync(IDuplexPipe stream, int? pauseMsPerMiB, CancellationToken ct)
    {
        ReadResult header = await stream.Input.ReadAtLeastAsync(12, ct);
        if (header.Buffer.Length < 12)
        {
            throw new InvalidDataException("blob header truncated");
        }
        byte[] h = header.Buffer.Slice(0, 12).ToArray();
        stream.Input.AdvanceTo(header.Buffer.GetPosition(12));
        long download = (long)BinaryPrimitives.ReadUInt64BigEndian(h);
        int pause = pauseMsPerMiB ?? (int)BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(8));
        (byte[] digest, _) = await HashToEndAsync(stream.Input, pause, ct);
        await stream.Output.WriteAsync(digest, ct);
        await WritePatternAsync(stream.Output, 2, download, ct);
        await stream.Output.CompleteAsync();
    }

    /// <summary>Client side: returns whether the server hashed our upload correctly and whether the download is intact.</summary>
    public static async Task<(bool UploadOk, bool DownloadOk, long DownloadLength)> RunClientAsync(IDuplexPipe stream, long upload, long download, int pauseMsPerMiB, CancellationToken ct)
    {
        byte[] header = new byte[12];
        BinaryPrimitives.WriteUInt64BigEndian(header, (ulong)download);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), (uint)pauseMsPerMiB);
        await stream.Output.WriteAsync(header, ct);
        await WritePatternAsync(stream.Output, 1, upload, ct);
        await stream.Output.CompleteAsync();
        ReadResult r = await stream.Input.ReadAtLeastAsync(32, ct);
        byte[] uploadDigest = r.Buffer.Slice(0, Math.Min(32, r.Buffer.Length)).ToArray();
        stream.Input.AdvanceTo(r.Buffer.GetPosition(uploadDigest.Length));
        (byte[] digest, long length) = await HashToEndAsync(stream.Input, pauseMsPerMiB, ct);
        return (uploadDigest.AsSpan().SequenceEqual(PatternDigest(1, upload)), length == download && digest.AsSpan().SequenceEqual(PatternDigest(2, download)), length);
    }
}
