using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Cryptography;

namespace Mesh.Transport.Protocols.Ping;

/// <summary>
/// <c>/ipfs/ping/1.0.0</c> (libp2p ping spec): the dialer writes 32 random bytes, the listener echoes them; both loop
/// on the same stream until the dialer half-closes.
/// </summary>
public static class PingProtocol
{
    public const string Id = "/ipfs/ping/1.0.0";

    /// <summary>Bytes per ping.</summary>
    public const int PayloadSize = 32;

    /// <summary>Inbound ping streams accepted per connection at once (the spec's "SHOULD accept ≤ 2").</summary>
    public const int MaxInboundStreams = 2;

    /// <summary>Outbound ping streams per connection (the spec's "at most 1").</summary>
    public const int MaxOutboundStreams = 1;

    /// <summary>A responder stream idle this long is closed (go-libp2p's ping handler uses 60 s).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Echoes every complete 32-byte ping until the dialer half-closes, then half-closes. Pings that arrive together
    /// are answered with one flush. A stream idle for <see cref="IdleTimeout"/> ends with <see cref="TimeoutException"/>.
    /// </summary>
    public static async Task RespondAsync(IDuplexPipe stream, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        PipeReader input = stream.Input;
        PipeWriter output = stream.Output;
        while (true)
        {
            idle.CancelAfter(IdleTimeout);
            ReadResult result;
            try
            {
                result = await input.ReadAsync(idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"ping stream idle for {IdleTimeout.TotalSeconds:0} s");
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            long whole = buffer.Length - buffer.Length % PayloadSize;
            if (whole > 0)
            {
                ReadOnlySequence<byte> echo = buffer.Slice(0, whole);
                foreach (ReadOnlyMemory<byte> segment in echo)
                {
                    output.Write(segment.Span);
                }
                buffer = buffer.Slice(whole);
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (whole > 0)
            {
                FlushResult flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    return;
                }
            }
            if (result.IsCompleted)
            {
                // A trailing partial ping (< 32 bytes) is dropped: the dialer gave up on it.
                await output.CompleteAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>
    /// One ping on an open ping stream: writes 32 random bytes, waits for the same 32 back, returns the round trip.
    /// </summary>
    /// <exception cref="PingException">The echo differs or the stream ended early.</exception>
    public static async ValueTask<TimeSpan> PingOnceAsync(IDuplexPipe stream, CancellationToken cancellationToken)
    {
        Span<byte> payload = stackalloc byte[PayloadSize];
        RandomNumberGenerator.Fill(payload);
        byte[] expected = ArrayPool<byte>.Shared.Rent(PayloadSize);
        try
        {
            payload.CopyTo(expected);
            payload.CopyTo(stream.Output.GetSpan(PayloadSize));
            stream.Output.Advance(PayloadSize);
            long start = Stopwatch.GetTimestamp();
            await stream.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            ReadResult result = await stream.Input.ReadAtLeastAsync(PayloadSize, cancellationToken).ConfigureAwait(false);
            TimeSpan rtt = Stopwatch.GetElapsedTime(start);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length < PayloadSize)
            {
                stream.Input.AdvanceTo(buffer.End);
                throw new PingException($"ping stream ended after {buffer.Length} of {PayloadSize} echo bytes");
            }
            bool same = SequenceEquals(buffer.Slice(0, PayloadSize), expected.AsSpan(0, PayloadSize));
            stream.Input.AdvanceTo(buffer.GetPosition(PayloadSize));
            if (!same)
            {
                throw new PingException("ping echo does not match the bytes sent");
            }
            return rtt;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(expected);
        }
    }

    private static bool SequenceEquals(ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> expected)
    {
        if (sequence.IsSingleSegment)
        {
            return sequence.FirstSpan.SequenceEqual(expected);
        }
        Span<byte> copy = stackalloc byte[PayloadSize];
        sequence.CopyTo(copy);
        return copy.SequenceEqual(expected);
    }
}
