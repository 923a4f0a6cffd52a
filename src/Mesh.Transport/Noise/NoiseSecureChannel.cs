using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Noise;

/// <summary>
/// A connection secured by a completed Noise XX handshake (see <see cref="NoiseHandshake"/>): the layer above (yamux)
/// reads plaintext from <see cref="Input"/> and writes plaintext to <see cref="Output"/>; the channel turns it into
/// noise-libp2p transport frames on the raw connection.
/// </summary>
/// <remarks>
/// <para>
/// Two loops, each the single owner of its cipher:
/// <list type="bullet">
/// <item>The read loop drains every complete frame from the raw <see cref="PipeReader"/>, decrypts each straight into
/// the app pipe's <see cref="PipeWriter.GetSpan"/>, advances the raw reader once per read and flushes the app pipe
/// once per batch. When the app stops reading, the app pipe's pause threshold stops the loop and, through the raw
/// pipe, the socket.</item>
/// <item>The write loop reads the app's plaintext, cuts it into frames of at most 65518 bytes, encrypts each straight
/// into the raw <see cref="PipeWriter.GetSpan"/> and flushes once per drained batch; a full socket stalls that flush
/// and, through the app pipe's pause threshold, the app's writes.</item>
/// </list>
/// </para>
/// <para>
/// Half-close: completing <see cref="Output"/> flushes what was written and then completes the raw output (TCP FIN);
/// the raw input's end completes <see cref="Input"/>. Errors: a bad MAC or malformed frame is a
/// <see cref="NoiseException"/>; it, or any I/O error, ends both directions: <see cref="Input"/> reads and
/// <see cref="Output"/> flushes throw it, the raw pipes are completed with it, and a log line says why.
/// <see cref="DisposeAsync"/> aborts whatever is still running and waits for both loops.
/// </para>
/// </remarks>
public sealed class NoiseSecureChannel : IDuplexPipe, IAsyncDisposable
{
    // Bounds of the app-facing pipes: the loops wait for the other side once this much is buffered.
    private const long PauseThreshold = 512 * 1024;
    private const long ResumeThreshold = 256 * 1024;

    // The most plaintext one loop iteration handles before it flushes: bounds the memory of one batch and keeps
    // the far side busy while the next batch is encrypted or decrypted.
    private const int MaxBatchBytes = 256 * 1024;

    // Frames we send carry at most 65518 plaintext bytes (the spec allows 65519) so that a whole frame, 2 + 65518 + 16,
    // is exactly 64 KiB: the raw writer's GetSpan then fits a pooled 64 KiB buffer instead of a 128 KiB one.
    private const int MaxFramePlaintext = (64 * 1024) - NoiseConstants.FrameHeaderLength - NoiseConstants.TagLength;

    // 16 KiB segments: with the default 4 KiB, bulk writes into the app pipe churn through more pooled arrays than the
    // shared ArrayPool keeps per core, and every miss allocates (measured: 8 MB per 16 MiB sent vs ~2 KB).
    private const int MinimumSegmentSize = 16 * 1024;

    private static readonly PipeOptions s_pipeOptions = new(
        pool: Buffers.TransportMemoryPool.Default,
        pauseWriterThreshold: PauseThreshold,
        resumeWriterThreshold: ResumeThreshold,
        minimumSegmentSize: MinimumSegmentSize,
        useSynchronizationContext: false);

    private readonly IDuplexPipe _connection;
    private readonly CipherState _sendCipher;    // owned by the write loop
    private readonly CipherState _receiveCipher; // owned by the read loop
    private readonly Pipe _inbound = new(s_pipeOptions);  // read loop → app
    private readonly Pipe _outbound = new(s_pipeOptions); // app → write loop
    private readonly ILogger _logger;
    private readonly Task _readLoop;
    private readonly Task _writeLoop;
    private readonly Task _completion;

    // Set once, by whichever loop fails first (or by DisposeAsync); read by the other loop after it is woken.
    private Exception? _fault;
    private int _disposed;

    // Set by each loop just before it completes its pipes, so Fail stops poking pipes that are already complete.
    private volatile bool _readLoopDone;
    private volatile bool _writeLoopDone;

    internal NoiseSecureChannel(
        IDuplexPipe connection,
        CipherState sendCipher,
        CipherState receiveCipher,
        bool isInitiator,
        PublicKey remotePublicKey,
        string? negotiatedMuxer,
        ILogger logger)
    {
        _connection = connection;
        _sendCipher = sendCipher;
        _receiveCipher = receiveCipher;
        IsInitiator = isInitiator;
        RemotePublicKey = remotePublicKey;
        RemotePeer = remotePublicKey.PeerId;
        NegotiatedMuxer = negotiatedMuxer;
        _logger = logger;
        // On the thread pool, away from the caller's stack and synchronization context; both tasks are awaited by
        // DisposeAsync and observed through Completion.
        _readLoop = Task.Run(ReadLoopAsync);
        _writeLoop = Task.Run(WriteLoopAsync);
        _completion = WhenLoopsEndAsync();
    }

    /// <summary>Decrypted bytes from the peer.</summary>
    public PipeReader Input => _inbound.Reader;

    /// <summary>Plaintext to send; <see cref="PipeWriter.Complete"/> half-closes the connection after flushing it.</summary>
    public PipeWriter Output => _outbound.Writer;

    /// <summary>True on the dialer side of the handshake.</summary>
    public bool IsInitiator { get; }

    /// <summary>The peer at the other end, authenticated by its signature over its static Noise key.</summary>
    public PeerId RemotePeer { get; }

    /// <summary>The remote peer's libp2p identity key (from its handshake payload).</summary>
    public PublicKey RemotePublicKey { get; }

    /// <summary>
    /// The stream muxer agreed in the handshake (inlined muxer negotiation), or null when either side sent no muxer
    /// list: then the host negotiates the muxer with multistream-select over this channel.
    /// </summary>
    public string? NegotiatedMuxer { get; }

    /// <summary>
    /// Completes when both directions have ended; faulted with the first error (a <see cref="NoiseException"/> for a
    /// protocol violation, an I/O error, or <see cref="ObjectDisposedException"/> after an abortive dispose).
    /// </summary>
    public Task Completion => _completion;

    /// <summary>
    /// Completes (never faults) once the sending direction has ended: everything the app wrote before completing
    /// <see cref="Output"/> is encrypted and flushed to the raw connection, or the channel failed. The socket must not
    /// close before this, or the last frames (yamux's closing GoAway) are lost.
    /// </summary>
    internal Task OutboundDrained => _writeLoop;

    /// <summary>
    /// Aborts both directions if they are still running (pending reads of <see cref="Input"/> and flushes of
    /// <see cref="Output"/> then fail with <see cref="ObjectDisposedException"/>), completes the raw connection, waits
    /// for both loops and clears the keys. Idempotent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Fail(new ObjectDisposedException(nameof(NoiseSecureChannel), "The Noise channel was disposed."), log: false);
        await Task.WhenAll(_readLoop, _writeLoop).ConfigureAwait(false);
        _sendCipher.Dispose();
        _receiveCipher.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        PipeReader raw = _connection.Input;
        PipeWriter app = _inbound.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await raw.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    // Woken by Fail (or DisposeAsync). A canceled read is still a read: end it before anything else.
                    raw.AdvanceTo(result.Buffer.Start);
                    if (Volatile.Read(ref _fault) is not null)
                    {
                        break;
                    }
                    continue;
                }
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool batchFull = false;
                int decrypted;
                try
                {
                    decrypted = DecryptFrames(ref buffer, app, out batchFull);
                    if (result.IsCompleted && !batchFull && !buffer.IsEmpty)
                    {
                        NoiseThrow.Frame(NoiseError.TruncatedFrame, $"The connection ended inside a Noise frame ({buffer.Length} bytes of an incomplete frame).");
                    }
                }
                finally
                {
                    // Everything after a full batch is complete frames not yet looked at: the next read must return at
                    // once, so only a partial frame counts as examined.
                    if (batchFull)
                    {
                        raw.AdvanceTo(buffer.Start);
                    }
                    else
                    {
                        raw.AdvanceTo(buffer.Start, buffer.End);
                    }
                }
                if (decrypted > 0)
                {
                    FlushResult flush = await app.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted)
                    {
                        break; // the app stopped reading: nothing more to deliver.
                    }
                    if (flush.IsCanceled && Volatile.Read(ref _fault) is not null)
                    {
                        break;
                    }
                }
                if (result.IsCompleted && !batchFull)
                {
                    _logger.RemoteClosed(RemotePeer);
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
            Fail(ex, log: true);
        }
        error ??= Volatile.Read(ref _fault);
        _readLoopDone = true;
        await raw.CompleteAsync(error).ConfigureAwait(false);
        await app.CompleteAsync(error).ConfigureAwait(false);
    }

    /// <summary>
    /// Decrypts every complete frame in <paramref name="buffer"/> (up to <see cref="MaxBatchBytes"/> of plaintext)
    /// into the app pipe, slicing the buffer past each. Returns the number of frames.
    /// </summary>
    private int DecryptFrames(ref ReadOnlySequence<byte> buffer, PipeWriter app, out bool batchFull)
    {
        int frames = 0;
        int bytes = 0;
        batchFull = false;
        OperationStatus status;
        while ((status = NoiseFrameCodec.TryReadFrame(ref buffer, NoiseConstants.TagLength, out ReadOnlySequence<byte> message, out _)) == OperationStatus.Done)
        {
            int length = (int)message.Length - NoiseConstants.TagLength;
            Span<byte> destination = app.GetSpan(length);
            NoiseTransportCodec.ReadMessage(_receiveCipher, message, destination);
            app.Advance(length);
            frames++;
            bytes += length;
            if (bytes >= MaxBatchBytes)
            {
                batchFull = true;
                return frames;
            }
        }
        if (status == OperationStatus.InvalidData)
        {
            NoiseThrow.Frame(NoiseError.FrameTooShort, "A Noise transport frame is shorter than its 16-byte authentication tag.");
        }
        return frames;
    }

    private async Task WriteLoopAsync()
    {
        PipeReader app = _outbound.Reader;
        PipeWriter raw = _connection.Output;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await app.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    app.AdvanceTo(result.Buffer.Start);
                    if (Volatile.Read(ref _fault) is not null)
                    {
                        break;
                    }
                    continue;
                }
                ReadOnlySequence<byte> buffer = result.Buffer;
                ReadOnlySequence<byte> batch = buffer.Length > MaxBatchBytes ? buffer.Slice(0, MaxBatchBytes) : buffer;
                try
                {
                    EncryptFrames(batch, raw);
                }
                finally
                {
                    app.AdvanceTo(batch.End);
                }
                bool more = batch.Length < buffer.Length;
                if (!batch.IsEmpty)
                {
                    FlushResult flush = await raw.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted)
                    {
                        break; // the transport stopped taking data (connection closed): drop what the app still writes.
                    }
                    if (flush.IsCanceled && Volatile.Read(ref _fault) is not null)
                    {
                        break;
                    }
                }
                if (result.IsCompleted && !more)
                {
                    _logger.LocalClosed(RemotePeer);
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
            Fail(ex, log: true);
        }
        error ??= Volatile.Read(ref _fault);
        _writeLoopDone = true;
        await app.CompleteAsync(error).ConfigureAwait(false);
        await raw.CompleteAsync(error).ConfigureAwait(false);
    }

    /// <summary>Cuts <paramref name="plaintext"/> into frames of at most 65518 bytes, each encrypted straight into the raw writer.</summary>
    private void EncryptFrames(ReadOnlySequence<byte> plaintext, PipeWriter raw)
    {
        while (!plaintext.IsEmpty)
        {
            int length = (int)Math.Min(plaintext.Length, MaxFramePlaintext);
            ReadOnlySequence<byte> chunk = plaintext.Slice(0, length);
            Span<byte> destination = raw.GetSpan(NoiseTransportCodec.FrameLength(length));
            int written = NoiseTransportCodec.WriteFrame(_sendCipher, chunk, destination);
            raw.Advance(written);
            plaintext = plaintext.Slice(chunk.End);
        }
    }

    /// <summary>
    /// Records the first error and wakes both loops (whichever of their awaits is pending) so each completes its
    /// pipes with it.
    /// </summary>
    private void Fail(Exception error, bool log)
    {
        if (Interlocked.CompareExchange(ref _fault, error, null) is null && log)
        {
            if (error is NoiseException noise)
            {
                _logger.ChannelProtocolError(RemotePeer, noise.Error, noise.Message);
            }
            else
            {
                _logger.ChannelError(RemotePeer, error);
            }
        }
        if (!_readLoopDone)
        {
            _connection.Input.CancelPendingRead();
            _inbound.Writer.CancelPendingFlush();
        }
        if (!_writeLoopDone)
        {
            _outbound.Reader.CancelPendingRead();
            _connection.Output.CancelPendingFlush();
        }
    }

    private async Task WhenLoopsEndAsync()
    {
        await Task.WhenAll(_readLoop, _writeLoop).ConfigureAwait(false);
        if (Volatile.Read(ref _fault) is { } fault)
        {
            ExceptionDispatchInfo.Throw(fault);
        }
    }
}
