using Mesh.Node.Chain.Hypertensor;

namespace Mesh.Node.Subnet;

/// <summary>
/// The subnet epoch as the record predicate needs it: synchronously, on every DHT store, without a chain query (the
/// Python predicate queries the chain on every POST, which makes each store a chain round trip). It holds the last
/// <see cref="ChainClock"/> sampled by the node's chain watcher (refreshed every block or so, see
/// <c>SubnetServer</c>); readers get that immutable sample. Until the first sample it reports epoch 0.
/// </summary>
public sealed class SubnetEpochClock
{
    private ChainClock? _current;

    public ChainClock? Current => Volatile.Read(ref _current);

    /// <summary>The current subnet epoch (0 before the first sample).</summary>
    public uint SubnetEpoch => Current?.SubnetEpoch ?? 0;

    /// <summary>Progress through the subnet epoch, in [0, 1).</summary>
    public double Progress => Current?.SubnetEpochProgress ?? 0;

    public void Update(ChainClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        Volatile.Write(ref _current, clock);
    }
}
