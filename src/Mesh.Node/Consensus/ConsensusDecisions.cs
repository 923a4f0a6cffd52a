using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Subnet;

namespace Mesh.Node.Consensus;

/// <summary>What an attestor does with the elected validator's submission.</summary>
public enum AttestDecision
{
    /// <summary>The submission matches our scores: attest.</summary>
    Attest,

    /// <summary>Our attestation is already recorded.</summary>
    AlreadyAttested,

    /// <summary>The validator used the queue fields, which this subnet does not (template: skip).</summary>
    QueueChangesUsed,

    /// <summary>The validator's scores differ from ours: do not attest.</summary>
    Mismatch,

    /// <summary>We are not a Validator-class node this epoch, so the chain would refuse our attestation.</summary>
    NotAttestor,
}

/// <summary>
/// The consensus rules of the mesh template (mesh-reference §7, MT <c>consensus.py</c>), as pure functions so every
/// node decides the same way from the same inputs.
/// </summary>
public static class ConsensusDecisions
{
    /// <summary>The score of a live, included node: 1.0 in the chain's 1e18 fixed point.</summary>
    public static UInt128 LiveScore => Tensor.One;

    /// <summary>
    /// The template's <c>get_scores</c>: every on-chain node that is Included (or better) in <paramref name="subnetEpoch"/>
    /// and has a heartbeat gets score 1.0; sorted by node id. Two refinements, both deterministic: a heartbeat whose
    /// expiration has passed at <paramref name="nowUnixSeconds"/> does not count (a DHT may still hold it), and neither
    /// does one saying <see cref="ServerState.Offline"/> (the node announced it is leaving; the template counts it).
    /// </summary>
    public static IReadOnlyList<ConsensusScore> Score(IEnumerable<SubnetNode> nodes, IEnumerable<NodeHeartbeat> heartbeats, uint subnetEpoch,
        double nowUnixSeconds)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (NodeHeartbeat h in heartbeats)
        {
            if (h.ExpirationTime > nowUnixSeconds && h.Server.State != ServerState.Offline)
            {
                live.Add(h.PeerId.ToString());
            }
        }
        return [.. nodes
            .Where(n => n.HasClassification(NodeClass.Included, subnetEpoch) && live.Contains(n.PeerId))
            .Select(n => n.Id)
            .Distinct()
            .Order()
            .Select(id => new ConsensusScore(id, LiveScore))];
    }

    /// <summary>
    /// The template's <c>compare_consensus_data(...) == 1.0</c>: the two score sets are equal. Fixed here: two empty
    /// sets are equal (the template returns 100.0 for them, which is not 1.0, so nobody attested an empty proposal and
    /// the validator of a broken epoch was penalised for proposing what everyone saw; mesh-reference §10 item 4).
    /// </summary>
    public static bool ScoresMatch(IEnumerable<ConsensusScore> mine, IEnumerable<ConsensusScore> validator)
    {
        var a = new HashSet<ConsensusScore>(mine);
        var b = new HashSet<ConsensusScore>(validator);
        return a.SetEquals(b);
    }

    /// <summary>What an attestor does with <paramref name="submission"/>, in the template's order of checks.</summary>
    public static AttestDecision Decide(ConsensusSubmission submission, IEnumerable<ConsensusScore> myScores, SubnetNode? me, uint subnetEpoch)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (submission.PrioritizeQueueNodeId is not null || submission.RemoveQueueNodeId is not null)
        {
            return AttestDecision.QueueChangesUsed;
        }
        if (!ScoresMatch(myScores, submission.Data))
        {
            return AttestDecision.Mismatch;
        }
        if (me is null || !me.HasClassification(NodeClass.Validator, subnetEpoch))
        {
            return AttestDecision.NotAttestor;
        }
        return submission.IsAttestedBy(me.Id) ? AttestDecision.AlreadyAttested : AttestDecision.Attest;
    }
}
