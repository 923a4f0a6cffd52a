namespace Mesh.Kademlia.Storage;

/// <summary>
/// <c>get_dht_time</c>: the DHT's notion of "now" in unix seconds (a float64, like every expiration time on the wire).
/// Injectable so tests and simulations drive it exactly as the golden vectors' fixed clock does.
/// </summary>
public abstract class DhtClock
{
    /// <summary>Wall-clock time (<c>time.time()</c>).</summary>
    public static DhtClock System { get; } = new TimeProviderClock(TimeProvider.System);

    public abstract double Now { get; }

    public static DhtClock FromTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return new TimeProviderClock(timeProvider);
    }

    public static DhtClock FromFunction(Func<double> now)
    {
        ArgumentNullException.ThrowIfNull(now);
        return new FunctionClock(now);
    }

    private sealed class TimeProviderClock(TimeProvider timeProvider) : DhtClock
    {
        public override double Now => (timeProvider.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / (double)TimeSpan.TicksPerSecond;
    }

    private sealed class FunctionClock(Func<double> now) : DhtClock
    {
        public override double Now => now();
    }
}
