using System.Diagnostics.Metrics;

namespace Mesh.Node.Metrics;

/// <summary>
/// The node's instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>): what an operator watches.
/// Counters only grow; gauges are observed when a listener collects (the Prometheus endpoint, dotnet-counters).
/// One instance per node; instruments are thread-safe.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "Mesh.Node";

    private readonly Meter _meter;

    public NodeMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName, typeof(NodeMetrics).Assembly.GetName().Version?.ToString());
        ConnectionsOpened = _meter.CreateCounter<long>("mesh.connections.opened", "{connection}", "Peers that gained a connection");
        ConnectionsClosed = _meter.CreateCounter<long>("mesh.connections.closed", "{connection}", "Peers that lost their last connection");
        RpcCalls = _meter.CreateCounter<long>("mesh.rpc.calls", "{call}", "RPC streams, by direction and protocol");
        ProofOfStakeChecks = _meter.CreateCounter<long>("mesh.pos.checks", "{check}", "Proof-of-stake decisions on RPC signers, by result");
        DhtOperations = _meter.CreateCounter<long>("mesh.dht.operations", "{operation}", "DHT stores and gets made by the node's services, by operation and result");
        Heartbeats = _meter.CreateCounter<long>("mesh.heartbeats", "{heartbeat}", "Heartbeat records published, by result");
        ConsensusRounds = _meter.CreateCounter<long>("mesh.consensus.rounds", "{round}", "Consensus rounds, by role and outcome");
        ChainErrors = _meter.CreateCounter<long>("mesh.chain.errors", "{error}", "Chain calls that failed and were retried");
    }

    public Meter Meter => _meter;

    public Counter<long> ConnectionsOpened { get; }

    public Counter<long> ConnectionsClosed { get; }

    /// <summary>Tags: direction (inbound|outbound), protocol.</summary>
    public Counter<long> RpcCalls { get; }

    /// <summary>Tags: result (accepted|refused).</summary>
    public Counter<long> ProofOfStakeChecks { get; }

    /// <summary>Tags: operation (store|get), result (ok|failed).</summary>
    public Counter<long> DhtOperations { get; }

    /// <summary>Tags: result (stored|rejected|failed).</summary>
    public Counter<long> Heartbeats { get; }

    /// <summary>Tags: role (validator|attestor), outcome (proposed|attested|already_done|mismatch|skipped|failed).</summary>
    public Counter<long> ConsensusRounds { get; }

    public Counter<long> ChainErrors { get; }

    /// <summary>Registers a gauge read on collection (connection and stream counts, the epoch, live heartbeats).</summary>
    public void ObserveGauge(string name, string unit, string description, Func<long> read) =>
        _meter.CreateObservableGauge(name, read, unit, description);

    public void Dispose() => _meter.Dispose();
}
