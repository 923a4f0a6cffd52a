using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipelines;

namespace Mesh.Transport.Protocols.Perf;

/// <summary>
/// <c>/perf/1.0.0</c> (libp2p perf spec, working draft):
/// <code>
///   client → server:  u64 BE download size ‖ upload bytes … FIN
///   server → client:  (after the client's FIN) download-size bytes … FIN
/// </code>
/// Byte contents are arbitrary but fixed: zeros. Buffers are cleared before sending so no pooled memory leaks out.
/// </summary>
public static class PerfProtocol
{
    public const string Id = "/perf/1.0.0";

    /// <summary>Bytes written per pipe buffer request (one maximal Noise frame's plaintext is 65519).</summary>
    private const int ChunkSize = 64 * 1024;

    /// <summary>Serves one perf request: reads the size, drains the upload to EOF, then sends the download and half-closes.</summary>
    /// <exception cref="PerfException">The stream ended before the 8-byte header.</exception>
    public static async Task RespondAsync(IDuplexPipe stream, CancellationToken cancellationToken)
    {
        PipeReader input = stream.Input;
        ReadResult header = await input.ReadAtLeastAsync(8, cancellationToken).ConfigureAwait(false);
        if (header.Buffer.Length < 8)
        {
            input.AdvanceTo(header.Buffer.End);
            throw new PerfException($"perf stream ended after {header.Buffer.Length} of 8 header bytes");
        }
        ulong download = ReadUInt64(header.Buffer);
        input.AdvanceTo(header.Buffer.GetPosition(8));
        await DrainAsync(input, null, cancellationToken).ConfigureAwait(false);
        await WriteZerosAsync(stream.Output, download, null, cancellationToken).ConfigureAwait(false);
        await stream.Output.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one perf exchange as the client. <paramref name="progress"/>, when given, is updated as bytes move so a
    /// caller can report throughput once a second.
    /// </summary>
    /// <exception cref="PerfException">The server sent a different number of bytes than asked for.</exception>
    public static async Task<PerfResult> RunClientAsync(IDuplexPipe stream, ulong uploadBytes, ulong downloadBytes, PerfProgress? progress, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        PipeWriter output = stream.Output;
        BinaryPrimitives.WriteUInt64BigEndian(output.GetSpan(8), downloadBytes);
        output.Advance(8);
        await WriteZerosAsync(output, uploadBytes, progress, cancellationToken).ConfigureAwait(false);
        await output.CompleteAsync().ConfigureAwait(false);
        ulong received = await DrainAsync(stream.Input, progress, cancellationToken).ConfigureAwait(false);
        if (received != downloadBytes)
        {
            throw new PerfException($"perf server sent {received} bytes, {downloadBytes} were asked for");
        }
        return new PerfResult(uploadBytes, received, Stopwatch.GetElapsedTime(start));
    }

    private static async Task<ulong> DrainAsync(PipeReader input, PerfProgress? progress, CancellationToken cancellationToken)
    {
        ulong total = 0;
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            long length = result.Buffer.Length;
            total += (ulong)length;
            input.AdvanceTo(result.Buffer.End);
            progress?.AddDownloaded(length);
            if (result.IsCompleted)
            {
                await input.CompleteAsync().ConfigureAwait(false);
                return total;
            }
        }
    }

    private static async Task WriteZerosAsync(PipeWriter output, ulong count, PerfProgress? progress, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            int n = (int)Math.Min(count, ChunkSize);
            Span<byte> span = output.GetSpan(n);
            span[..n].Clear();
            output.Advance(n);
            count -= (ulong)n;
            FlushResult flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            progress?.AddUploaded(n);
            if (flushed.IsCompleted)
            {
                throw new PerfException($"perf peer stopped reading with {count} bytes left to send");
            }
        }
    }

    private static ulong ReadUInt64(ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[8];
        buffer.Slice(0, 8).CopyTo(header);
        return BinaryPrimitives.ReadUInt64BigEndian(header);
    }
}

/// <summary>Outcome of one perf run as measured by the client (stream open to close).</summary>
public readonly record struct PerfResult(ulong UploadBytes, ulong DownloadBytes, TimeSpan Elapsed);

/// <summary>Byte counters a perf run updates while it runs; safe to read from another thread.</summary>
public sealed class PerfProgress
{
    private long _uploaded;
    private long _downloaded;

    public long Uploaded => Volatile.Read(ref _uploaded);

    public long Downloaded => Volatile.Read(ref _downloaded);

    internal void AddUploaded(long n) => Interlocked.Add(ref _uploaded, n);

    internal void AddDownloaded(long n) => Interlocked.Add(ref _downloaded, n);
}
