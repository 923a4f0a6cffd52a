using System.Buffers;

namespace Mesh.Transport.Yamux;

/// <summary>
/// Yamux session settings. Defaults follow the spec and the js (@chainsafe/libp2p-yamux) and go (go-yamux) peers:
/// 256 KiB initial window auto-tuned up to 16 MiB, 64 KiB data frames, 1000 inbound / 1000 outbound streams, ACK
/// backlog 256, keep-alive every 30 s. One instance may be shared by many sessions; it is validated once by
/// <see cref="YamuxMuxer"/>.
/// </summary>
public sealed class YamuxOptions
{
    /// <summary>The window every stream starts with in both directions (spec: 256 KiB; not negotiable).</summary>
    public const int DefaultStreamWindowSize = 256 * 1024;

    /// <summary>
    /// The receive window this side grants each stream. Larger than 256 KiB is announced with the stream's first
    /// SYN/ACK frame, as the spec allows. Minimum (and default) 256 KiB.
    /// </summary>
    public int InitialStreamWindowSize { get; init; } = DefaultStreamWindowSize;

    /// <summary>
    /// The largest receive window auto-tuning may grow a stream to (go and js: 16 MiB). Bounds the memory one stream
    /// can make this side buffer.
    /// </summary>
    public int MaxStreamWindowSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// The largest Data frame this side sends, header included, so payloads are at most this minus 12 bytes; larger
    /// writes are split (go: 64 KiB MaxMessageSize including the header; js 64 KiB; rust 16 KiB). A whole frame fills
    /// exactly one pooled buffer of this size, which keeps the write path allocation-free. Inbound frames are bounded by
    /// the receive window, not by this.
    /// </summary>
    public int MaxDataFrameSize { get; init; } = 64 * 1024;

    /// <summary>Maximum concurrently open streams the peer opened; further SYNs are answered with RST.</summary>
    public int MaxInboundStreams { get; init; } = 1000;

    /// <summary>Maximum concurrently open streams this side opened; further opens fail with <see cref="YamuxStreamLimitException"/>.</summary>
    public int MaxOutboundStreams { get; init; } = 1000;

    /// <summary>
    /// Inbound streams the application has not accepted yet; a SYN beyond it is answered with RST (spec: buffer at
    /// least 256 unacknowledged inbound streams; go's AcceptBacklog is 256).
    /// </summary>
    public int AcceptBacklog { get; init; } = 256;

    /// <summary>Outbound streams that may wait for the peer's ACK before opening fails (spec: at most 256).</summary>
    public int MaxAckBacklog { get; init; } = 256;

    /// <summary>
    /// After this long without receiving anything, a keep-alive ping is sent. <see cref="Timeout.InfiniteTimeSpan"/>
    /// disables keep-alive. Default 30 s (js, go).
    /// </summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after a keep-alive ping the session waits for any frame before it ends with
    /// <see cref="YamuxSessionEndReason.KeepAliveTimeout"/>. Default 10 s (go waits one connection write timeout).
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the session pings to measure the round-trip time that window auto-tuning uses; the first ping goes
    /// out when the session starts (as js and go do). <see cref="Timeout.InfiniteTimeSpan"/> disables measuring (and
    /// so window growth). Default 30 s (go's MeasureRTTInterval).
    /// </summary>
    public TimeSpan RttMeasurementInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bytes an application may have written to one stream but not yet sent before its FlushAsync waits (per-stream
    /// send buffer; the peer's window and the connection's own backpressure come on top). Default 256 KiB.
    /// </summary>
    public int StreamSendBufferSize { get; init; } = 256 * 1024;

    /// <summary>
    /// Control frames (pongs, refusals of inbound streams, pings, GoAway) that may wait in the output queue; a peer that
    /// makes more pile up while not reading ends the session with <see cref="YamuxSessionEndReason.OutputQueueOverflow"/>.
    /// </summary>
    public int MaxQueuedControlFrames { get; init; } = 1024;

    /// <summary>Pool for the stream pipes' buffers; null uses <see cref="Buffers.TransportMemoryPool.Default"/>.</summary>
    public MemoryPool<byte>? MemoryPool { get; init; }

    /// <summary>Clock for keep-alive, RTT and window auto-tuning (tests may substitute a fake).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for settings that would break the protocol or the session.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialStreamWindowSize, DefaultStreamWindowSize, nameof(InitialStreamWindowSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStreamWindowSize, InitialStreamWindowSize, nameof(MaxStreamWindowSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDataFrameSize, 1024, nameof(MaxDataFrameSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDataFrameSize, 16 * 1024 * 1024, nameof(MaxDataFrameSize));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxInboundStreams, nameof(MaxInboundStreams));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxOutboundStreams, nameof(MaxOutboundStreams));
        ArgumentOutOfRangeException.ThrowIfLessThan(AcceptBacklog, 1, nameof(AcceptBacklog));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAckBacklog, 1, nameof(MaxAckBacklog));
        ValidateInterval(KeepAliveInterval, nameof(KeepAliveInterval));
        ValidateInterval(KeepAliveTimeout, nameof(KeepAliveTimeout));
        ValidateInterval(RttMeasurementInterval, nameof(RttMeasurementInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(StreamSendBufferSize, 1024, nameof(StreamSendBufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedControlFrames, 16, nameof(MaxQueuedControlFrames));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }

    private static void ValidateInterval(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "must be positive or Timeout.InfiniteTimeSpan");
        }
    }
}
