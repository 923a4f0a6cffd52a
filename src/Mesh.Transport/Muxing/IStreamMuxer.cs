using System.IO.Pipelines;

namespace Mesh.Transport.Muxing;

/// <summary>
/// A stream multiplexer protocol (yamux today; QUIC's native streams can sit behind the same shape). The host
/// negotiates <see cref="ProtocolId"/> (by multistream-select or inlined in the security handshake) and then wraps the
/// secured connection.
/// </summary>
public interface IStreamMuxer
{
    /// <summary>The multistream-select protocol id, e.g. <c>/yamux/1.0.0</c>.</summary>
    string ProtocolId { get; }

    /// <summary>
    /// Wraps a secured connection. The returned connection owns <paramref name="connection"/> from now on and starts
    /// its read loop immediately.
    /// </summary>
    IMuxedConnection Create(IDuplexPipe connection, bool isInitiator);
}

/// <summary>
/// A multiplexed connection. Thread-safe: any thread may open streams, accept, ping or close.
/// </summary>
public interface IMuxedConnection : IAsyncDisposable
{
    /// <summary>True on the dialer side (yamux: odd stream ids).</summary>
    bool IsInitiator { get; }

    /// <summary>Opens an outbound stream. Fails when the connection is closing or the unacknowledged-stream backlog is full.</summary>
    /// <exception cref="MuxedConnectionClosedException">The connection is closing or has ended (or the peer said it will accept no more streams).</exception>
    /// <exception cref="StreamLimitExceededException">A per-connection limit (ACK backlog, concurrent streams, id space) is reached; the connection is fine.</exception>
    ValueTask<IMuxedStream> OpenStreamAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits for the next inbound stream. Throws once the connection has ended.</summary>
    /// <exception cref="MuxedConnectionClosedException">The connection is closing or has ended.</exception>
    ValueTask<IMuxedStream> AcceptStreamAsync(CancellationToken cancellationToken = default);

    /// <summary>Measures one round trip of the muxer's own ping.</summary>
    /// <exception cref="MuxedConnectionClosedException">The connection ended before the reply.</exception>
    ValueTask<TimeSpan> PingAsync(CancellationToken cancellationToken = default);

    /// <summary>Graceful close: tells the peer no new streams will be accepted, lets open streams finish, then ends.</summary>
    ValueTask CloseAsync(CancellationToken cancellationToken = default);

    /// <summary>Abortive close: every stream is reset and the underlying connection is completed with <paramref name="reason"/>.</summary>
    void Abort(Exception? reason = null);

    /// <summary>Completes when the connection has fully ended (faulted with the reason if it ended in error).</summary>
    Task Completion { get; }

    /// <summary>
    /// False once no new outbound stream can be opened: this side began closing, the connection ended, or the peer said
    /// it accepts no more streams (yamux GoAway). Open streams may still be finishing.
    /// </summary>
    bool CanOpenStreams { get; }
}

/// <summary>
/// One multiplexed stream. <see cref="IDuplexPipe.Output"/>.Complete() half-closes the write side (yamux FIN) once
/// everything written is sent; Complete(exception) resets the stream. <see cref="IDuplexPipe.Input"/> reports
/// IsCompleted once the peer half-closed. A reset from either side makes pending and later reads and writes fail with
/// <see cref="StreamResetException"/>; directions still open when the connection ends fail with
/// <see cref="MuxedConnectionClosedException"/>. DisposeAsync closes gracefully what is still open (Output and Input).
/// </summary>
public interface IMuxedStream : IDuplexPipe, IAsyncDisposable
{
    /// <summary>The muxer's stream id.</summary>
    long Id { get; }

    /// <summary>True if this side opened the stream.</summary>
    bool IsInitiator { get; }

    /// <summary>Abortive close of both directions (yamux RST).</summary>
    void Reset();
}
