using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Consensus;
using Mesh.Node.Subnet;
using Mesh.Transport.Identity;

namespace Mesh.Node.Tests.Consensus;

/// <summary>The consensus rules as pure functions: scoring, comparison (with the empty-set fix), attest decisions.</summary>
public sealed class ConsensusDecisionsTests
{
    private static readonly UInt128 s_one = Tensor.One;

    private static SubnetNode Node(uint id, PeerId peer, NodeClass nodeClass = NodeClass.Validator, uint start = 0) =>
        new(id, new AccountId20(new byte[20]), peer.ToString(), "", "", null, nodeClass, start, 0, null, null);

    private static NodeHeartbeat Beat(PeerId peer, double expiration = 1000, ServerState state = ServerState.Online) =>
        new(peer, new ServerInfo(state, "validator", 1.0), expiration);

    [Fact]
    public void Score_gives_included_nodes_with_a_live_heartbeat_one_point_zero_sorted_by_id()
    {
        PeerId[] p = [.. Enumerable.Range(0, 6).Select(_ => PrivateKey.Generate(KeyType.Ed25519).PeerId)];
        SubnetNode[] nodes =
        [
            Node(5, p[0]),
            Node(2, p[1], NodeClass.Included),
            Node(3, p[2], NodeClass.Idle),               // not included yet
            Node(4, p[3], NodeClass.Validator, start: 9), // validator only from epoch 9
            Node(1, p[4]),                                // no heartbeat
            Node(6, p[5]),
        ];
        NodeHeartbeat[] beats = [Beat(p[0]), Beat(p[1]), Beat(p[2]), Beat(p[3]), Beat(p[5], expiration: 10)];
        IReadOnlyList<ConsensusScore> scores = ConsensusDecisions.Score(nodes, beats, subnetEpoch: 5, nowUnixSeconds: 100);
        Assert.Equal([new ConsensusScore(2, s_one), new ConsensusScore(5, s_one)], scores); // 6's heartbeat expired
        Assert.Empty(ConsensusDecisions.Score(nodes, [Beat(p[0], state: ServerState.Offline)], 5, 100));
    }

    [Fact]
    public void Scores_match_as_sets_and_two_empty_sets_match()
    {
        ConsensusScore a = new(1, s_one), b = new(2, s_one);
        Assert.True(ConsensusDecisions.ScoresMatch([a, b], [b, a]));
        Assert.False(ConsensusDecisions.ScoresMatch([a, b], [a]));
        Assert.False(ConsensusDecisions.ScoresMatch([a], [new ConsensusScore(1, s_one / 2)]));
        Assert.True(ConsensusDecisions.ScoresMatch([], [])); // the template's compare returns 100.0 here and never attests
    }

    [Fact]
    public void Decide_follows_the_templates_order_of_checks()
    {
        PeerId peer = PrivateKey.Generate(KeyType.Ed25519).PeerId;
        ConsensusScore[] mine = [new(1, s_one), new(2, s_one)];
        ConsensusSubmission Submission(IReadOnlyList<ConsensusScore> data, uint? prioritize = null, params uint[] attested) =>
            new(1, 0, 0, s_one, [.. attested.Select(id => new Attestation(id, 0, 0, s_one, null))], data, [1, 2], prioritize, null, null);
        SubnetNode me = Node(2, peer);
        Assert.Equal(AttestDecision.Attest, ConsensusDecisions.Decide(Submission(mine, null, 1), mine, me, 3));
        Assert.Equal(AttestDecision.AlreadyAttested, ConsensusDecisions.Decide(Submission(mine, null, 1, 2), mine, me, 3));
        Assert.Equal(AttestDecision.Mismatch, ConsensusDecisions.Decide(Submission([mine[0]]), mine, me, 3));
        Assert.Equal(AttestDecision.QueueChangesUsed, ConsensusDecisions.Decide(Submission(mine, prioritize: 7), mine, me, 3));
        Assert.Equal(AttestDecision.NotAttestor, ConsensusDecisions.Decide(Submission(mine), mine, Node(2, peer, NodeClass.Included), 3));
        Assert.Equal(AttestDecision.NotAttestor, ConsensusDecisions.Decide(Submission(mine), mine, null, 3));
        Assert.Equal(AttestDecision.Attest, ConsensusDecisions.Decide(Submission([]), [], me, 3));
    }
}
