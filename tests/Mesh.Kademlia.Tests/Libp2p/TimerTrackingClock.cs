using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Kademlia.Tests.Libp2p;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports every timer created on it. A timer loop (the DHT's maintenance loop
/// waits with <c>Task.Delay(wait, clock)</c>) creates one each time it goes back to sleep, so a test that waits for
/// the next timer knows the loop finished its round and read the clock for its next deadline: advancing the clock
/// after that cannot race the loop. <see cref="PendingTimers"/> says whether anything could still fire.
/// </summary>
internal sealed class TimerTrackingClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();
    private int _pending;

    /// <summary>Timers created and neither fired (one-shot) nor disposed.</summary>
    public int PendingTimers => Volatile.Read(ref _pending);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this, callback, state, period == Timeout.InfiniteTimeSpan);
        Interlocked.Increment(ref _pending);
        tracked.Inner = base.CreateTimer(static s => ((TrackedTimer)s!).Fire(), tracked, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return tracked;
    }

    /// <summary>The due time of the next timer created (in creation order), once it has been created.</summary>
    public async Task<TimeSpan> NextTimerAsync(CancellationToken cancellationToken) =>
        await _created.Reader.ReadAsync(cancellationToken);

    /// <summary>True when a timer was created that <see cref="NextTimerAsync"/> has not returned yet.</summary>
    public bool HasUnreadTimer => _created.Reader.TryPeek(out _);

    // Change is passed through; re-arming a fired one-shot timer is not tracked (Task.Delay never does it).
    private sealed class TrackedTimer(TimerTrackingClock clock, TimerCallback callback, object? state, bool oneShot) : ITimer
    {
        private int _done;

        public ITimer? Inner { get; set; }

        public void Fire()
        {
            if (oneShot)
            {
                Finish();
            }
            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => Inner?.Change(dueTime, period) ?? false;

        public void Dispose()
        {
            Finish();
            Inner?.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Finish()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref clock._pending);
            }
        }
    }
}
