using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Mesh.Benchmarks.Kademlia;

/// <summary>
/// Counts the runtime's GC allocation-tick events (one about every 100 KB allocated, naming the type that crossed the
/// threshold) while <see cref="Sampling"/> is on: a type histogram of where a run's bytes go, without a profiler.
/// Enabled by <c>dht-lookups --allocation-types N</c>.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    // The runtime provider's GC keyword; allocation ticks are raised at Verbose level.
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly ConcurrentDictionary<string, long> _ticksByType = new();
    private volatile bool _sampling;

    public bool Sampling
    {
        get => _sampling;
        set => _sampling = value;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_sampling || eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is null)
        {
            return;
        }
        int index = eventData.PayloadNames.IndexOf("TypeName");
        string type = index >= 0 && eventData.Payload?[index] is string name ? name : "(unknown)";
        _ticksByType.AddOrUpdate(type, 1, static (_, ticks) => ticks + 1);
    }

    /// <summary>Prints the <paramref name="top"/> types by share of ticks, then starts a new histogram.</summary>
    public void PrintAndReset(int top)
    {
        long total = _ticksByType.Values.Sum();
        foreach ((string type, long ticks) in _ticksByType.OrderByDescending(p => p.Value).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {100.0 * ticks / Math.Max(1, total),5:0.0}%  {type}"));
        }
        _ticksByType.Clear();
    }
}
