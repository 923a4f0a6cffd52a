using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;
using Mesh.Transport.Muxing;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Yamux;

/// <summary>
/// A yamux session (<c>/yamux/1.0.0</c>) over one secured connection.
/// <para>
/// Architecture (Kestrel's Http2Connection shape):
/// <list type="bullet">
/// <item>ONE read loop (<see cref="ReadLoopAsync"/>) parses every complete frame in the buffer, copies Data payloads
/// straight from the connection's buffer into the streams' inbound pipes, and calls <c>AdvanceTo(consumed, examined)</c>
/// once per read. It alone owns the stream table.</item>
/// <item>ONE write loop (<see cref="WriteLoopAsync"/>) drains a bounded single-reader channel of work items (a stream
/// with something to send, or a control frame), writes headers with GetSpan/Advance, copies stream data from the
/// streams' outbound pipes, and flushes once per drained batch. Stream writers never take a session-wide lock: they
/// write into their own pipe and enqueue the stream at most once (an interlocked flag).</item>
/// <item>Other threads reach the read loop's state only through the two queues in the fenced block below (drained at
/// the top of every read iteration) plus <c>CancelPendingRead()</c> when the loop must act without new input.</item>
/// </list>
/// </para>
/// <para>
/// Waiting: every hot-path wait is a ValueTask on a reusable source that already exists, so no custom
/// ManualResetValueTaskSourceCore is needed. The application's read waits on its stream's inbound Pipe and its write
/// (for window credit or send-buffer room) on its stream's outbound Pipe, both of which are reusable IValueTaskSources;
/// the write loop waits on the single-reader channel's reusable reader operation and on the connection's flush; the
/// adapters' slow paths use PoolingAsyncValueTaskMethodBuilder. Steady-state data frames therefore allocate nothing
/// (bench/RESULTS.md). Accept and ping use a channel and a per-ping TaskCompletionSource: not hot.
/// </para>
/// </summary>
public sealed partial class YamuxSession : IMuxedConnection
{
    /// <summary>Cap on GetSpan size hints (one frame's payload normally lands in one pipe segment).</summary>
    internal const int MaxPipeSegmentHint = 64 * 1024;

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly ILogger _logger;
    private readonly PipeOptions _inboundPipeOptions;
    private readonly PipeOptions _outboundPipeOptions;
    private readonly Channel<YamuxWriteItem> _writeQueue;
    private readonly Channel<YamuxStream> _acceptQueue;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer? _timer;

    // ---- Owned by the read loop (and by the final cleanup, which runs after both loops ended). -------------------
    private readonly Dictionary<uint, YamuxStream> _streams = new();
    private int _inboundStreamCount;
    private StreamIdWindow _seenInboundIds = new();
    private bool _closingObserved;

    // ---- The ONLY fields other threads touch while the loops run (everything else above/below is loop-owned). ----
    // Queues the read loop drains at the top of each iteration:
    private readonly ConcurrentQueue<YamuxStream> _pendingOpens = new();     // OpenStream → registered in _streams
    private readonly ConcurrentQueue<YamuxStream> _streamsToReview = new();  // local reset / FIN after peer FIN → removal
    // Interlocked counters and flags:
    private long _nextOutboundId;          // next id this side opens (odd for the initiator, even otherwise)
    private int _outboundStreamCount;      // + OpenStream, - read loop when the stream leaves the table
    private int _unackedOutboundCount;     // + OpenStream, - read loop on ACK or removal (the ACK backlog)
    private int _queuedControlFrames;      // + enqueuers, - write loop
    private int _localClosing;             // CloseAsync started
    private long _remoteGoAway;            // 0, or 1 + the code of the GoAway the peer sent
    private EndState? _end;                // why the session ends: set once by BeginShutdown
    private volatile bool _writerAbort;    // write loop: skip stream data, write only GoAway, exit
    private PingState? _activePing;        // the ping in flight (PingAsync callers and keep-alive share it)
    private int _nextPingId;
    private long _lastReceiveTimestamp;    // read loop writes, keep-alive timer reads
    private long _smoothedRttTicks;        // read loop writes (pong), write loop reads (window auto-tuning)
    private long _lastRttPingTimestamp;    // keep-alive timer only
    private int _timerRunning;             // keep-alive timer re-entrancy guard

    internal YamuxSession(IDuplexPipe connection, bool isInitiator, YamuxOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _input = connection.Input;
        _output = connection.Output;
        IsInitiator = isInitiator;
        Options = options;
        TimeProvider = options.TimeProvider;
        MaxDataPayload = options.MaxDataFrameSize - YamuxHeader.Size;
        _logger = logger;
        _nextOutboundId = isInitiator ? 1 : 2;

        // Inbound: never pauses the read loop (the window bounds what a stream can buffer); the application's reads
        // resume on the thread pool, never inline on the read loop.
        _inboundPipeOptions = new PipeOptions(options.MemoryPool ?? Buffers.TransportMemoryPool.Default, PipeScheduler.ThreadPool, PipeScheduler.Inline,
            pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false);
        // Outbound: the application's FlushAsync waits past StreamSendBufferSize; it resumes on the thread pool, never
        // inline on the write loop.
        _outboundPipeOptions = new PipeOptions(options.MemoryPool ?? Buffers.TransportMemoryPool.Default, PipeScheduler.Inline, PipeScheduler.ThreadPool,
            pauseWriterThreshold: options.StreamSendBufferSize, resumeWriterThreshold: options.StreamSendBufferSize / 2,
            useSynchronizationContext: false);

        // Each stream has at most one entry at a time (its _scheduled flag); control frames are counted against
        // MaxQueuedControlFrames. Streams that left the table may still hold an entry briefly, hence the factor 2.
        int capacity = checked(2 * (options.MaxInboundStreams + options.MaxOutboundStreams) + options.MaxQueuedControlFrames + 64);
        _writeQueue = Channel.CreateBounded<YamuxWriteItem>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // only TryWrite is used: a full queue is reported, never waited on
            AllowSynchronousContinuations = false,
        });
        _acceptQueue = Channel.CreateBounded<YamuxStream>(new BoundedChannelOptions(options.AcceptBacklog)
        {
            SingleReader = false,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });

        long now = TimeProvider.GetTimestamp();
        _lastReceiveTimestamp = now;
        _lastRttPingTimestamp = now;
        bool measureRtt = options.RttMeasurementInterval != Timeout.InfiniteTimeSpan;
        bool keepAlive = options.KeepAliveInterval != Timeout.InfiniteTimeSpan;
        if (measureRtt || keepAlive)
        {
            // The first tick is immediate when measuring RTT: an initial ping, as js (runImmediately) and go do.
            TimeSpan firstDue = measureRtt ? TimeSpan.Zero : options.KeepAliveInterval;
            _lastRttPingTimestamp = measureRtt ? now - TimeProvider.TimestampFrequency * 3600 : now;
            _timer = TimeProvider.CreateTimer(static s => ((YamuxSession)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(firstDue, Timeout.InfiniteTimeSpan);
        }

        _ = Task.Run(RunAsync);
    }

    /// <summary>True on the dialer side (odd stream ids).</summary>
    public bool IsInitiator { get; }

    /// <summary>The settings this session runs with.</summary>
    public YamuxOptions Options { get; }

    internal TimeProvider TimeProvider { get; }

    /// <summary>The largest Data payload this side sends: <see cref="YamuxOptions.MaxDataFrameSize"/> minus the header.</summary>
    internal int MaxDataPayload { get; }

    /// <summary>Completes when the session has fully ended; faults with the cause if it ended in error.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the session ended, or <see cref="YamuxSessionEndReason.None"/> while it runs.</summary>
    public YamuxSessionEndReason EndReason => Volatile.Read(ref _end)?.Reason ?? YamuxSessionEndReason.None;

    /// <summary>The smoothed round-trip time measured by pings, or null before the first pong.</summary>
    public TimeSpan? RoundTripTime
    {
        get
        {
            long ticks = Volatile.Read(ref _smoothedRttTicks);
            return ticks == 0 ? null : TimeSpan.FromSeconds((double)ticks / TimeProvider.TimestampFrequency);
        }
    }

    /// <summary>The GoAway code the peer sent, if it sent one.</summary>
    public YamuxGoAwayCode? RemoteGoAwayCode
    {
        get
        {
            long value = Volatile.Read(ref _remoteGoAway);
            return value == 0 ? null : (YamuxGoAwayCode)(uint)(value - 1);
        }
    }

    internal long SmoothedRttTimestampTicks => Volatile.Read(ref _smoothedRttTicks);

    /// <summary>Test hook: jump the outbound id counter (to exercise id-space exhaustion without 2^31 opens).</summary>
    internal void SetNextOutboundStreamIdForTesting(long id) => Volatile.Write(ref _nextOutboundId, id);

    private bool IsEnding => Volatile.Read(ref _end) is not null;

    // =====================================================================================================
    // Public API.
    // =====================================================================================================

    /// <summary>Opens a stream; the SYN goes out at once and data may follow before the peer's ACK.</summary>
    public ValueTask<IMuxedStream> OpenStreamAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<IMuxedStream>(cancellationToken);
        }
        return new ValueTask<IMuxedStream>(OpenStream());
    }

    /// <summary>
    /// Opens a stream synchronously. Throws <see cref="YamuxSessionClosedException"/> when the session is closing or
    /// ended or the peer sent GoAway, and <see cref="YamuxStreamLimitException"/> when the ACK backlog, the outbound
    /// stream limit or the id space is exhausted.
    /// </summary>
    public YamuxStream OpenStream()
    {
        ThrowIfCannotOpen();
        if (Interlocked.Increment(ref _outboundStreamCount) > Options.MaxOutboundStreams)
        {
            Interlocked.Decrement(ref _outboundStreamCount);
            throw new YamuxStreamLimitException(YamuxStreamLimit.MaxOutboundStreams, Options.MaxOutboundStreams);
        }
        if (Interlocked.Increment(ref _unackedOutboundCount) > Options.MaxAckBacklog)
        {
            Interlocked.Decrement(ref _unackedOutboundCount);
            Interlocked.Decrement(ref _outboundStreamCount);
            throw new YamuxStreamLimitException(YamuxStreamLimit.AckBacklog, Options.MaxAckBacklog);
        }
        long id = Interlocked.Add(ref _nextOutboundId, 2) - 2;
        if (id > uint.MaxValue)
        {
            Interlocked.Decrement(ref _unackedOutboundCount);
            Interlocked.Decrement(ref _outboundStreamCount);
            throw new YamuxStreamLimitException(YamuxStreamLimit.StreamIdsExhausted, 0);
        }
        var stream = new YamuxStream(this, (uint)id, isInitiator: true, _inboundPipeOptions, _outboundPipeOptions);
        _pendingOpens.Enqueue(stream);
        stream.ScheduleSend(); // SYN
        if (IsEnding)
        {
            // The final cleanup may already have drained _pendingOpens: do not hand out a stream nobody will end.
            throw ClosedException();
        }
        return stream;
    }

    /// <summary>Waits for the next stream the peer opened.</summary>
    public async ValueTask<IMuxedStream> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        YamuxStream stream;
        try
        {
            stream = await _acceptQueue.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw ex.InnerException as YamuxSessionClosedException ?? ClosedException();
        }
        stream.OnAccepted();
        return stream;
    }

    /// <summary>Sends a Ping and returns the round-trip time; concurrent callers share the ping in flight.</summary>
    public async ValueTask<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        if (IsEnding)
        {
            throw ClosedException();
        }
        PingState ping = StartPing();
        return await ping.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Graceful close: no new streams either way (new inbound SYNs and not-yet-accepted streams are reset), open streams
    /// finish, then GoAway(normal) is sent and the connection's output completes. GoAway goes last because go and js
    /// end the whole session when they receive it. If <paramref name="cancellationToken"/> fires first, the session is
    /// aborted.
    /// </summary>
    public async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _localClosing, 1) == 0)
        {
            WakeReadLoop(); // the read loop re-evaluates: reset the accept backlog, end when no stream is left
        }
        try
        {
            await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Abort(new OperationCanceledException("yamux close was cancelled before the open streams finished", cancellationToken));
            throw;
        }
        catch (Exception) when (Completion.IsFaulted)
        {
            // The session ended in error while closing; CloseAsync's job (ending it) is done either way.
        }
    }

    /// <summary>
    /// Abortive close: GoAway (protocol error if <paramref name="reason"/> is a <see cref="YamuxProtocolException"/>,
    /// internal error for another reason, normal for none) is sent best-effort, every stream is reset, and the
    /// connection is completed. <see cref="Completion"/> faults with <paramref name="reason"/> if one is given.
    /// </summary>
    public void Abort(Exception? reason = null)
    {
        YamuxGoAwayCode code = reason switch
        {
            null => YamuxGoAwayCode.Normal,
            YamuxProtocolException => YamuxGoAwayCode.ProtocolError,
            _ => YamuxGoAwayCode.InternalError,
        };
        BeginShutdown(YamuxSessionEndReason.LocalAbort, reason, code, graceful: false);
        // Also when a graceful end was already under way: stop waiting on a connection that does not drain.
        _writerAbort = true;
        StopWaitingOnOutput();
        WakeReadLoop();
    }

    /// <summary>Aborts the session (use <see cref="CloseAsync"/> first for a graceful end) and waits for it to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!IsEnding)
        {
            Abort();
        }
        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Disposal does not report how the session ended; Completion does.
        }
    }

    /// <inheritdoc/>
    public bool CanOpenStreams => !IsEnding && Volatile.Read(ref _localClosing) == 0 && Volatile.Read(ref _remoteGoAway) == 0;

    private void ThrowIfCannotOpen()
    {
        if (IsEnding || Volatile.Read(ref _localClosing) != 0)
        {
            throw ClosedException();
        }
        if (Volatile.Read(ref _remoteGoAway) != 0)
        {
            throw new YamuxSessionClosedException(YamuxSessionEndReason.None,
                $"the peer sent GoAway({RemoteGoAwayCode}); no new streams may be opened", remoteGoAwayCode: RemoteGoAwayCode);
        }
    }

    private YamuxSessionClosedException ClosedException()
    {
        EndState? end = Volatile.Read(ref _end);
        YamuxSessionEndReason reason = end?.Reason ?? YamuxSessionEndReason.None;
        string message = reason == YamuxSessionEndReason.None ? "the yamux session is closing" : $"the yamux session has ended ({reason})";
        return new YamuxSessionClosedException(reason, message, end?.Exception, RemoteGoAwayCode);
    }

    // =====================================================================================================
    // Called by streams (any thread).
    // =====================================================================================================

    /// <summary>Queues a stream for the write loop (the stream guarantees at most one entry at a time).</summary>
    internal void EnqueueStream(YamuxStream stream)
    {
        if (!_writeQueue.Writer.TryWrite(new YamuxWriteItem(stream)) && !IsEnding)
        {
            Log.OutputQueueOverflow(_logger, _queuedControlFrames);
            BeginShutdown(YamuxSessionEndReason.OutputQueueOverflow, null, YamuxGoAwayCode.InternalError, graceful: false);
        }
    }

    /// <summary>A stream changed state off the read loop in a way that may let it leave the table.</summary>
    internal void ReviewStream(YamuxStream stream)
    {
        _streamsToReview.Enqueue(stream);
        if (Volatile.Read(ref _localClosing) != 0)
        {
            WakeReadLoop(); // closing waits on the table emptying: let the read loop see it now
        }
    }

    /// <summary>
    /// Queues a control frame. Beyond <see cref="YamuxOptions.MaxQueuedControlFrames"/> (a peer that makes us answer
    /// while it does not read) the session ends with <see cref="YamuxSessionEndReason.OutputQueueOverflow"/>.
    /// </summary>
    private bool TryEnqueueControl(in YamuxHeader header, bool bypassLimit = false)
    {
        if (!bypassLimit && Interlocked.Increment(ref _queuedControlFrames) > Options.MaxQueuedControlFrames)
        {
            Interlocked.Decrement(ref _queuedControlFrames);
            Log.OutputQueueOverflow(_logger, Options.MaxQueuedControlFrames);
            BeginShutdown(YamuxSessionEndReason.OutputQueueOverflow, null, YamuxGoAwayCode.InternalError, graceful: false);
            return false;
        }
        if (!_writeQueue.Writer.TryWrite(new YamuxWriteItem(header, countsAgainstLimit: !bypassLimit)))
        {
            if (!bypassLimit)
            {
                Interlocked.Decrement(ref _queuedControlFrames);
            }
            return false;
        }
        return true;
    }

    // =====================================================================================================
    // Lifetime.
    // =====================================================================================================

    private async Task RunAsync()
    {
        Task reading = Task.Run(ReadLoopAsync);
        Task writing = Task.Run(WriteLoopAsync);
        await reading.ConfigureAwait(false);
        await writing.ConfigureAwait(false);
        _timer?.Dispose();

        // Both loops have ended: this method now owns everything they owned.
        YamuxSessionClosedException ended = ClosedException();
        foreach (YamuxStream stream in _streams.Values)
        {
            stream.OnSessionEnded(ended);
        }
        _streams.Clear();
        while (_pendingOpens.TryDequeue(out YamuxStream? stream))
        {
            stream.OnSessionEnded(ended);
        }
        while (_acceptQueue.Reader.TryRead(out _))
        {
            // Already ended through _streams.
        }

        EndState end = Volatile.Read(ref _end)!;
        YamuxSessionEndReason reason = end.Reason;
        Exception? cause = end.Exception;
        Log.SessionEnded(_logger, IsInitiator ? "initiator" : "responder", reason, cause);
        switch (reason)
        {
            case YamuxSessionEndReason.LocalClose:
            case YamuxSessionEndReason.RemoteGoAway:
            case YamuxSessionEndReason.TransportClosed:
            case YamuxSessionEndReason.LocalAbort when cause is null:
                _completion.TrySetResult();
                break;
            case YamuxSessionEndReason.ProtocolError:
            case YamuxSessionEndReason.LocalAbort:
            case YamuxSessionEndReason.TransportError:
            case YamuxSessionEndReason.InternalError:
                _completion.TrySetException(cause ?? ended);
                break;
            default:
                _completion.TrySetException(ended);
                break;
        }
    }

    /// <summary>
    /// Starts ending the session, once: records why, queues GoAway, completes the write queue (the write loop drains it
    /// and exits; abortive ends skip stream data and stop a stuck flush), wakes the read loop, fails accept and ping.
    /// </summary>
    private bool BeginShutdown(YamuxSessionEndReason reason, Exception? exception, YamuxGoAwayCode? goAway, bool graceful)
    {
        if (Interlocked.CompareExchange(ref _end, new EndState(reason, exception), null) is not null)
        {
            return false;
        }
        if (!graceful)
        {
            _writerAbort = true;
        }
        if (goAway is { } code)
        {
            TryEnqueueControl(YamuxHeader.GoAway(code), bypassLimit: true);
        }
        _writeQueue.Writer.TryComplete();
        if (!graceful)
        {
            StopWaitingOnOutput();
        }
        WakeReadLoop();
        YamuxSessionClosedException closed = ClosedException();
        _acceptQueue.Writer.TryComplete(closed);
        if (Interlocked.Exchange(ref _activePing, null) is { } ping)
        {
            ping.Completion.TrySetException(closed);
            _ = ping.Completion.Task.Exception; // observed: a keep-alive ping may have no awaiter
        }
        return true;
    }

    /// <summary>Makes the read loop's pending ReadAsync return (Kestrel's CancelPendingRead hand-off).</summary>
    private void WakeReadLoop()
    {
        try
        {
            _input.CancelPendingRead();
        }
        catch (Exception)
        {
            // The connection's reader is already completed: the read loop has ended.
        }
    }

    /// <summary>Makes the write loop's pending flush return (an abort must not wait on a connection that does not drain).</summary>
    private void StopWaitingOnOutput()
    {
        try
        {
            _output.CancelPendingFlush();
        }
        catch (Exception)
        {
            // The connection's writer is already completed: the write loop has ended.
        }
    }

    private sealed record EndState(YamuxSessionEndReason Reason, Exception? Exception);
}
