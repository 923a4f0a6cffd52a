using Mesh.Kademlia.Storage;

namespace Mesh.Kademlia.Tests.Storage;

/// <summary>A DHT clock tests set by hand, like the vectors' patched <c>get_dht_time</c>.</summary>
internal sealed class ManualDhtClock(double now) : DhtClock
{
    public double Value { get; set; } = now;

    public override double Now => Value;

    public void Advance(double seconds) => Value += seconds;
}
