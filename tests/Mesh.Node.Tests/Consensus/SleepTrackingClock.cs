using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Node.Tests.Consensus;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports each timer created on it, with its due time. The consensus loop
/// sleeps only with <c>Task.Delay(d, clock)</c>, one timer per sleep, so a test that waits for the next timer knows the
/// loop has finished what it was doing and gone to sleep; advancing the clock by that due time then wakes it exactly
/// once, and the clock can never run ahead of a loop that a loaded machine runs slowly. (The same idea as
/// Mesh.Kademlia.Tests' TimerTrackingClock, which lives in another test project.)
/// </summary>
internal sealed class SleepTrackingClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer created (in creation order), once it has been created.</summary>
    public async Task<TimeSpan> NextSleepAsync(CancellationToken cancellationToken) => await _created.Reader.ReadAsync(cancellationToken);
}
