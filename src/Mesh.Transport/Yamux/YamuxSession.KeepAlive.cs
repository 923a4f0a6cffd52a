namespace Mesh.Transport.Yamux;

public sealed partial class YamuxSession
{
    /// <summary>
    /// One timer drives both keep-alive and RTT measurement. Keep-alive (go-yamux semantics): anything received counts
    /// as life; after <see cref="YamuxOptions.KeepAliveInterval"/> of silence a ping goes out, and after
    /// <see cref="YamuxOptions.KeepAliveTimeout"/> more of silence the session ends. RTT: a ping at start and every
    /// <see cref="YamuxOptions.RttMeasurementInterval"/>, feeding window auto-tuning.
    /// </summary>
    private void OnTimer()
    {
        if (IsEnding || Interlocked.Exchange(ref _timerRunning, 1) != 0)
        {
            return;
        }
        TimeSpan next = Timeout.InfiniteTimeSpan;
        try
        {
            long now = TimeProvider.GetTimestamp();
            if (Options.KeepAliveInterval != Timeout.InfiniteTimeSpan)
            {
                TimeSpan idle = TimeProvider.GetElapsedTime(Volatile.Read(ref _lastReceiveTimestamp), now);
                TimeSpan deadline = Options.KeepAliveInterval + Options.KeepAliveTimeout;
                if (idle >= deadline)
                {
                    Log.KeepAliveTimeout(_logger, idle);
                    BeginShutdown(YamuxSessionEndReason.KeepAliveTimeout,
                        new TimeoutException($"nothing received from the yamux peer for {idle.TotalSeconds:0.###} s"), null, graceful: false);
                    return;
                }
                if (idle >= Options.KeepAliveInterval)
                {
                    StartPing();
                    next = deadline - idle;
                }
                else
                {
                    next = Options.KeepAliveInterval - idle;
                }
            }
            if (Options.RttMeasurementInterval != Timeout.InfiniteTimeSpan)
            {
                TimeSpan sinceMeasured = TimeProvider.GetElapsedTime(_lastRttPingTimestamp, now);
                if (sinceMeasured >= Options.RttMeasurementInterval)
                {
                    StartPing();
                    _lastRttPingTimestamp = now;
                    sinceMeasured = TimeSpan.Zero;
                }
                TimeSpan rttDue = Options.RttMeasurementInterval - sinceMeasured;
                next = next == Timeout.InfiniteTimeSpan || rttDue < next ? rttDue : next;
            }
        }
        finally
        {
            Volatile.Write(ref _timerRunning, 0);
        }
        // Re-armed only after the guard is released, so the next tick can never find it still held and be lost.
        if (next != Timeout.InfiniteTimeSpan && !IsEnding)
        {
            try
            {
                _timer!.Change(next > TimeSpan.FromMilliseconds(1) ? next : TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The session ended and disposed the timer between the check and Change.
            }
        }
    }

    private PingState StartPing()
    {
        while (true)
        {
            PingState? current = Volatile.Read(ref _activePing);
            if (current is not null)
            {
                return current; // join the ping in flight (go and js do the same)
            }
            var ping = new PingState(unchecked((uint)Interlocked.Increment(ref _nextPingId)), TimeProvider.GetTimestamp());
            if (Interlocked.CompareExchange(ref _activePing, ping, null) is null)
            {
                if (!TryEnqueueControl(YamuxHeader.Ping(YamuxFlags.Syn, ping.Id)))
                {
                    Interlocked.CompareExchange(ref _activePing, null, ping);
                    ping.Completion.TrySetException(ClosedException());
                    _ = ping.Completion.Task.Exception;
                }
                return ping;
            }
        }
    }

    /// <summary>Read loop: a ping reply. Replies that match no ping in flight are ignored (as go does).</summary>
    private void OnPong(uint opaque)
    {
        PingState? ping = Volatile.Read(ref _activePing);
        if (ping is null || ping.Id != opaque)
        {
            Log.UnexpectedPong(_logger, opaque);
            return;
        }
        long now = TimeProvider.GetTimestamp();
        long sent = Volatile.Read(ref ping.SentTimestamp);
        long elapsed = Math.Max(1, now - (sent != 0 ? sent : ping.CreatedTimestamp));
        long previous = _smoothedRttTicks;
        Volatile.Write(ref _smoothedRttTicks, previous == 0 ? elapsed : (previous + elapsed) / 2);
        Interlocked.CompareExchange(ref _activePing, null, ping);
        ping.Completion.TrySetResult(TimeSpan.FromSeconds((double)elapsed / TimeProvider.TimestampFrequency));
    }

    private sealed class PingState(uint id, long createdTimestamp)
    {
        public readonly uint Id = id;
        public readonly long CreatedTimestamp = createdTimestamp;
        public readonly TaskCompletionSource<TimeSpan> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public long SentTimestamp;

        public void MarkSent(uint id, long timestamp)
        {
            if (id == Id)
            {
                Volatile.Write(ref SentTimestamp, timestamp);
            }
        }
    }
}
