using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Mesh.Transport.Muxing;

namespace Mesh.Transport.Yamux;

/// <summary>
/// One yamux stream: a pair of pipes between the application and the session's two loops.
/// <code>
///   inbound:  session read loop --copy payload--> _inbound pipe --> Input (YamuxStreamReader) --> application
///   outbound: application --> Output (YamuxStreamWriter) --> _outbound pipe --TryRead--> session write loop --> connection
/// </code>
/// Lifecycle (both directions close independently; the stream leaves the session's table when both are closed):
/// <code>
///   Open ──Output.Complete()──► FIN queued ──write loop drains data, writes FIN──► LocalClosed ─┐
///   Open ──peer FIN──────────► Input drains buffered data, then IsCompleted ──────► RemoteClosed ┴─► removed
///   any ──Reset() or peer RST──► reads and writes throw YamuxStreamResetException ──────────────────► removed
/// </code>
/// Flow control: the peer may send at most <c>_receiveCredit</c> more bytes (checked by the read loop at header time,
/// before anything is buffered, so the inbound pipe never holds more than the window). Bytes the application consumes
/// accumulate in <c>_consumedUnacknowledged</c>; once that reaches half the window the write loop grants them back in a
/// WindowUpdate, doubling the window (up to <see cref="YamuxOptions.MaxStreamWindowSize"/>) when half a window was
/// consumed in under four round trips (go-yamux / js auto-tuning). The write loop never sends more than
/// <c>_sendWindow</c>; when it runs out, the data waits in the outbound pipe (whose pause threshold makes the
/// application's FlushAsync wait, as a ValueTask) until the peer's WindowUpdate reschedules the stream.
/// </summary>
public sealed class YamuxStream : IMuxedStream
{
    private const int LocalClosedBit = 1;
    private const int RemoteClosedBit = 2;
    private const int FullyClosed = LocalClosedBit | RemoteClosedBit;

    // _buffered is set to this once the application completed Input: the read loop then discards payloads and credits
    // them back at once. Far below zero so that concurrent additions keep it negative.
    private const long InputAbandoned = long.MinValue / 2;

    private readonly YamuxSession _session;
    private readonly Pipe _inbound;
    private readonly Pipe _outbound;
    private readonly YamuxStreamReader _input;
    private readonly YamuxStreamWriter _output;
    private readonly bool _announceWindowOnAccept;

    // ---- Shared between threads: touched only with Interlocked / Volatile. ----
    private int _scheduled;                 // 1 while this stream has an entry in the session's write queue
    private long _sendWindow;               // bytes we may still send: + read loop (peer's updates), - write loop (data)
    private long _receiveCredit;            // bytes the peer may still send: - read loop (data), + write loop (updates)
    private long _consumedUnacknowledged;   // consumed (or discarded) since the last update: + app / read loop, taken by the write loop
    private long _buffered;                 // delivered, not consumed: + read loop, - app; InputAbandoned once Input completed
    private int _closeState;                // LocalClosedBit (write loop / final cleanup) | RemoteClosedBit (read loop / final cleanup)
    private int _receiveWindowMax;          // current window size: written by the write loop, read by Credit's threshold
    private Exception? _resetError;         // first reset (local or remote); written once with CompareExchange

    // ---- Owned by the session's read loop (and by its final cleanup, which runs after both loops ended). ----
    internal bool InboundCompleted;         // _inbound's writer is completed (peer FIN, reset, session end)
    internal bool AckAccounted;             // outbound: taken out of the session's ACK backlog count

    // ---- Owned by the session's write loop (and by its final cleanup). ----
    private bool _synPending;               // outbound stream: the first frame must carry SYN
    private bool _ackPending;               // inbound stream: the first frame must carry ACK
    private bool _outboundDone;             // _outbound's reader is completed (FIN written, reset, session end)
    private bool _resetHandled;             // a reset was turned into RST / completions
    private int _initialExtraWindow;        // InitialStreamWindowSize - 256 KiB, announced with SYN/ACK
    private long _lastWindowUpdateTimestamp;

    internal YamuxStream(YamuxSession session, uint streamId, bool isInitiator, PipeOptions inboundOptions, PipeOptions outboundOptions)
    {
        _session = session;
        StreamId = streamId;
        IsInitiator = isInitiator;
        _inbound = new Pipe(inboundOptions);
        _outbound = new Pipe(outboundOptions);
        _input = new YamuxStreamReader(this, _inbound.Reader);
        _output = new YamuxStreamWriter(this, _outbound.Writer);
        _sendWindow = YamuxOptions.DefaultStreamWindowSize;
        _receiveCredit = YamuxOptions.DefaultStreamWindowSize;
        _receiveWindowMax = YamuxOptions.DefaultStreamWindowSize;
        _initialExtraWindow = session.Options.InitialStreamWindowSize - YamuxOptions.DefaultStreamWindowSize;
        _announceWindowOnAccept = !isInitiator && _initialExtraWindow > 0;
        _synPending = isInitiator;
        _ackPending = !isInitiator;
        _lastWindowUpdateTimestamp = session.TimeProvider.GetTimestamp();
    }

    /// <summary>The yamux stream id (odd if the session's initiator opened it).</summary>
    public long Id => StreamId;

    internal uint StreamId { get; }

    public bool IsInitiator { get; }

    /// <summary>Data from the peer. Reads throw <see cref="YamuxStreamResetException"/> after a reset.</summary>
    public PipeReader Input => _input;

    /// <summary>Data to the peer. <c>Complete()</c> sends FIN once everything written is sent; <c>Complete(ex)</c> resets.</summary>
    public PipeWriter Output => _output;

    /// <summary>Bytes this side may still send before it needs a WindowUpdate from the peer.</summary>
    public long SendWindow => Volatile.Read(ref _sendWindow);

    /// <summary>The current receive window size (grows by auto-tuning).</summary>
    public int ReceiveWindowSize => Volatile.Read(ref _receiveWindowMax);

    internal bool IsReset => Volatile.Read(ref _resetError) is not null;

    internal bool IsFullyClosed => Volatile.Read(ref _closeState) == FullyClosed;

    internal bool IsRemoteClosed => (Volatile.Read(ref _closeState) & RemoteClosedBit) != 0;

    /// <summary>Resets both directions (RST): pending and later reads and writes on both sides fail.</summary>
    public void Reset() => ResetLocally();

    /// <summary>Graceful close of what is still open: completes Output (FIN after the buffered data) and Input.</summary>
    public ValueTask DisposeAsync()
    {
        _output.Complete();
        _input.Complete();
        return ValueTask.CompletedTask;
    }

    public override string ToString() => $"yamux stream {StreamId} ({(IsInitiator ? "outbound" : "inbound")})";

    // =====================================================================================================
    // Application side (any thread).
    // =====================================================================================================

    internal void ThrowIfReset()
    {
        if (Volatile.Read(ref _resetError) is { } error)
        {
            throw error;
        }
    }

    internal void ResetLocally()
    {
        if (IsFullyClosed)
        {
            return; // both directions already closed: nothing to reset (go-yamux does the same)
        }
        var error = new YamuxStreamResetException(StreamId, isRemote: false);
        if (Interlocked.CompareExchange(ref _resetError, error, null) is not null)
        {
            return;
        }
        // Wake an application blocked in ReadAsync or FlushAsync; the adapters then see _resetError and throw.
        _inbound.Reader.CancelPendingRead();
        _outbound.Writer.CancelPendingFlush();
        ScheduleSend();
    }

    /// <summary>Called after the application flushed or completed Output: the write loop should look at the outbound pipe.</summary>
    internal void ScheduleSend()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            _session.EnqueueStream(this);
        }
    }

    /// <summary>The application consumed <paramref name="bytes"/> from Input.</summary>
    internal void OnConsumed(long bytes)
    {
        if (bytes > 0)
        {
            Interlocked.Add(ref _buffered, -bytes);
            Credit(bytes);
        }
    }

    /// <summary>The application completed Input: what it left unread, and everything that still arrives, is credited back.</summary>
    internal void OnInputCompleted()
    {
        long unread = Interlocked.Exchange(ref _buffered, InputAbandoned);
        if (unread > 0)
        {
            Credit(unread);
        }
    }

    internal void OnAccepted()
    {
        if (_announceWindowOnAccept)
        {
            ScheduleSend(); // WindowUpdate(ACK, extra window) so the peer may use the larger window right away
        }
    }

    private void Credit(long bytes)
    {
        long total = Interlocked.Add(ref _consumedUnacknowledged, bytes);
        long threshold = Volatile.Read(ref _receiveWindowMax) / 2;
        if (total >= threshold && total - bytes < threshold)
        {
            ScheduleSend();
        }
    }

    // =====================================================================================================
    // Read loop side.
    // =====================================================================================================

    /// <summary>Checks a Data frame's length against the window before anything is buffered; false = violation.</summary>
    internal bool TryTakeReceiveCredit(uint length)
    {
        if (length > Volatile.Read(ref _receiveCredit))
        {
            return false;
        }
        Interlocked.Add(ref _receiveCredit, -length);
        return true;
    }

    /// <summary>
    /// Copies (part of) a Data payload straight from the session's read buffer into the inbound pipe.
    /// <paramref name="frameRemaining"/> (this part plus what is still to come of the frame) sizes the pipe segment, so a
    /// frame that arrives in pieces still lands in one pooled buffer: many small segments outstanding would exhaust the
    /// array pool and allocate.
    /// </summary>
    internal void Deliver(ReadOnlySequence<byte> payload, long frameRemaining)
    {
        Debug.Assert(!InboundCompleted);
        long length = payload.Length;
        if (Interlocked.Add(ref _buffered, length) < 0)
        {
            Credit(length); // Input was completed: discard, and let the peer continue.
            return;
        }
        PipeWriter writer = _inbound.Writer;
        while (!payload.IsEmpty)
        {
            Span<byte> destination = writer.GetSpan((int)Math.Min(frameRemaining, YamuxSession.MaxPipeSegmentHint));
            int n = (int)Math.Min(destination.Length, payload.Length);
            payload.Slice(0, n).CopyTo(destination);
            writer.Advance(n);
            payload = payload.Slice(n);
            frameRemaining -= n;
        }
    }

    /// <summary>Publishes delivered bytes to the application. Never waits: the inbound pipe has no pause threshold.</summary>
    internal void FlushInbound()
    {
        if (!InboundCompleted)
        {
            ValueTask<FlushResult> flush = _inbound.Writer.FlushAsync();
            Debug.Assert(flush.IsCompletedSuccessfully, "inbound pipes never apply backpressure; the window bounds them");
            _ = flush.Result;
        }
    }

    /// <summary>Peer FIN: Input ends after the buffered data. Returns true if the stream is now closed both ways.</summary>
    internal bool OnRemoteFin()
    {
        CompleteInbound(null);
        int previous = Interlocked.Or(ref _closeState, RemoteClosedBit);
        return (previous & LocalClosedBit) != 0;
    }

    /// <summary>Peer RST (the caller removes the stream from the session's table).</summary>
    internal void OnRemoteReset(uint errorCode)
    {
        var error = new YamuxStreamResetException(StreamId, isRemote: true, errorCode);
        Interlocked.CompareExchange(ref _resetError, error, null);
        CompleteInbound(Volatile.Read(ref _resetError));
        Interlocked.Or(ref _closeState, RemoteClosedBit);
        _outbound.Writer.CancelPendingFlush(); // wake a writer blocked on the window; it then sees the reset
        ScheduleSend();                        // the write loop completes the outbound pipe
    }

    /// <summary>Peer WindowUpdate: returns the new send window (the caller rejects more than 2^32-1).</summary>
    internal long AddSendWindow(uint delta)
    {
        long window = Interlocked.Add(ref _sendWindow, delta);
        ScheduleSend();
        return window;
    }

    /// <summary>Completes the inbound pipe once, with the reset error if the stream was reset.</summary>
    internal void CompleteInbound(Exception? error)
    {
        if (!InboundCompleted)
        {
            InboundCompleted = true;
            _inbound.Writer.Complete(error ?? Volatile.Read(ref _resetError));
        }
    }

    // =====================================================================================================
    // Write loop side.
    // =====================================================================================================

    /// <summary>
    /// Writes what this stream has to send into the connection's output: an opening/window-update frame, at most one
    /// Data frame (at most <see cref="YamuxOptions.MaxDataFrameSize"/>, never beyond the send window), and FIN once the
    /// application completed Output and everything is sent. Returns the bytes written. Reschedules itself when it
    /// still has data and window, so streams take turns frame by frame.
    /// </summary>
    internal int WritePending(YamuxSession session, PipeWriter output)
    {
        // Clear before looking at any state: whatever changes from here on schedules the stream again.
        Interlocked.Exchange(ref _scheduled, 0);

        if (Volatile.Read(ref _resetError) is { } reset)
        {
            return WriteReset(session, output, reset);
        }

        int written = 0;
        YamuxFlags opening = (_synPending ? YamuxFlags.Syn : 0) | (_ackPending ? YamuxFlags.Ack : 0);

        ReadResult read = default;
        bool haveRead = !_outboundDone && _outbound.Reader.TryRead(out read);
        ReadOnlySequence<byte> data = haveRead ? read.Buffer : default;
        long window = Volatile.Read(ref _sendWindow);
        int chunk = (int)Math.Min(Math.Min(data.Length, window), session.MaxDataPayload);

        uint delta = TakeWindowUpdate(session, opening != 0);
        // A SYN goes out at once (js and go send WindowUpdate+SYN on open); an inbound ACK waits for our first frame, as
        // the libp2p spec asks ("SHOULD NOT implicitly acknowledge streams"), unless a larger window must be announced.
        if (delta > 0 || (_synPending && chunk == 0))
        {
            written += session.WriteHeader(output, YamuxHeader.WindowUpdate(StreamId, opening, delta));
            ClearOpening();
            opening = 0;
        }

        if (chunk > 0)
        {
            ReadOnlySequence<byte> payload = data.Slice(0, chunk);
            written += session.WriteData(output, StreamId, opening, payload);
            ClearOpening();
            opening = 0;
            Interlocked.Add(ref _sendWindow, -chunk);
            data = data.Slice(payload.End);
        }

        if (haveRead)
        {
            // examined == consumed: Pipe counts examined bytes as gone, and the unsent rest must stay readable.
            _outbound.Reader.AdvanceTo(data.Start);
            if (data.IsEmpty && read.IsCompleted)
            {
                written += session.WriteHeader(output, YamuxHeader.WindowUpdate(StreamId, opening | YamuxFlags.Fin, 0));
                ClearOpening();
                _outboundDone = true;
                _outbound.Reader.Complete();
                if ((Interlocked.Or(ref _closeState, LocalClosedBit) & RemoteClosedBit) != 0)
                {
                    session.ReviewStream(this); // both directions closed: the read loop removes the stream
                }
            }
            else if (!data.IsEmpty && window > chunk)
            {
                ScheduleSend(); // more data and more window: take another turn after the other queued streams
            }
        }
        return written;
    }

    private void ClearOpening()
    {
        _synPending = false;
        _ackPending = false;
    }

    private int WriteReset(YamuxSession session, PipeWriter output, Exception reset)
    {
        if (_resetHandled)
        {
            return 0;
        }
        _resetHandled = true;
        int written = 0;
        bool local = reset is YamuxStreamResetException { IsRemote: false };
        // An outbound stream whose SYN never left needs no RST: the peer never heard of it.
        if (local && !_synPending)
        {
            written = session.WriteHeader(output, YamuxHeader.WindowUpdate(StreamId, YamuxFlags.Rst, 0));
        }
        if (!_outboundDone)
        {
            _outboundDone = true;
            _outbound.Reader.Complete(reset);
        }
        Interlocked.Or(ref _closeState, LocalClosedBit);
        if (local)
        {
            session.ReviewStream(this); // the read loop completes Input with the reset and removes the stream
        }
        return written;
    }

    /// <summary>
    /// The window delta to grant now (0 = none): the initial extra window with the opening frame, and everything consumed
    /// once that is at least half the window, doubled when the window was the bottleneck.
    /// </summary>
    private uint TakeWindowUpdate(YamuxSession session, bool opening)
    {
        if ((Volatile.Read(ref _closeState) & RemoteClosedBit) != 0)
        {
            return 0; // the peer sends nothing more; credit would be pointless
        }
        long delta = 0;
        int windowMax = _receiveWindowMax;
        if (_initialExtraWindow > 0 && opening)
        {
            delta = _initialExtraWindow;
            windowMax += _initialExtraWindow;
            _initialExtraWindow = 0;
        }
        if (Volatile.Read(ref _consumedUnacknowledged) >= windowMax / 2)
        {
            long consumed = Interlocked.Exchange(ref _consumedUnacknowledged, 0);
            long now = session.TimeProvider.GetTimestamp();
            long rtt = session.SmoothedRttTimestampTicks;
            // Auto-tuning (go-yamux sendWindowUpdate, js sendWindowUpdate): half a window consumed within four round
            // trips means the window, not the reader, limits throughput; double it up to the configured maximum.
            if (rtt > 0 && now - _lastWindowUpdateTimestamp < 4 * rtt && windowMax < session.Options.MaxStreamWindowSize)
            {
                int grown = (int)Math.Min((long)windowMax * 2, session.Options.MaxStreamWindowSize);
                delta += grown - windowMax;
                windowMax = grown;
            }
            _lastWindowUpdateTimestamp = now;
            delta += consumed;
        }
        if (delta == 0)
        {
            return 0;
        }
        Volatile.Write(ref _receiveWindowMax, windowMax);
        // Grant before the frame can reach the peer, so the read loop never sees the peer use credit it does not know of.
        Interlocked.Add(ref _receiveCredit, delta);
        return (uint)delta;
    }

    // =====================================================================================================
    // Session end (runs after both loops ended, so it owns the loops' sides of both pipes).
    // =====================================================================================================

    internal void OnSessionEnded(Exception error)
    {
        // A direction the peer already closed keeps its buffered data readable (read after close).
        CompleteInbound(error);
        if (!_outboundDone)
        {
            _outboundDone = true;
            _outbound.Reader.Complete(error);
        }
        Interlocked.Or(ref _closeState, FullyClosed);
    }
}
