namespace Mesh.Node.Chain.Hypertensor;

/// <summary>
/// Exactly what a subnet node needs from Hypertensor: subnet and node state, stakes, the epoch clock, the elected
/// validator and consensus submission of an epoch, proof-of-stake of a peer, bootnodes, and the two consensus writes.
/// Implemented by <see cref="HypertensorClient"/> (the real chain over Substrate JSON-RPC) and, for
/// <c>--no_blockchain_rpc</c>, by a local embedded chain; nothing here is Substrate-specific.
/// Peer ids are base58 text (<c>12D3KooW…</c>), as the chain stores them. Failures of the real chain surface as
/// <see cref="ChainException"/> subclasses; a failed write as <see cref="ExtrinsicFailedException"/>.
/// </summary>
public interface IHypertensorChain
{
    /// <summary>Blocks per epoch (<c>Network.EpochLength</c>).</summary>
    Task<uint> GetEpochLengthAsync(CancellationToken cancellationToken = default);

    /// <summary>The current block, epoch, and the subnet's slot, epoch and progress through it.</summary>
    Task<ChainClock> GetClockAsync(uint subnetId, CancellationToken cancellationToken = default);

    /// <summary>The subnet, or null when it does not exist.</summary>
    Task<SubnetInfo?> GetSubnetAsync(uint subnetId, CancellationToken cancellationToken = default);

    /// <summary>Every node of the subnet (active ones and those waiting in the registration queue).</summary>
    Task<IReadOnlyList<SubnetNode>> GetSubnetNodesAsync(uint subnetId, CancellationToken cancellationToken = default);

    /// <summary>One node, or null.</summary>
    Task<SubnetNode?> GetSubnetNodeAsync(uint subnetId, uint subnetNodeId, CancellationToken cancellationToken = default);

    /// <summary>The node id of <paramref name="hotkey"/> in the subnet, or null.</summary>
    Task<uint?> GetSubnetNodeIdAsync(uint subnetId, Signing.AccountId20 hotkey, CancellationToken cancellationToken = default);

    /// <summary>Stake of <paramref name="hotkey"/> in the subnet (wei; 0 when none).</summary>
    Task<UInt128> GetStakeAsync(uint subnetId, Signing.AccountId20 hotkey, CancellationToken cancellationToken = default);

    /// <summary>The node elected to propose for <paramref name="subnetEpoch"/>, or null if none was elected (yet).</summary>
    Task<uint?> GetElectedValidatorAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default);

    /// <summary>The validator's submission for <paramref name="subnetEpoch"/>, or null while there is none.</summary>
    Task<ConsensusSubmission?> GetConsensusSubmissionAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default);

    /// <summary>The subnet's official bootnodes and its nodes' advertised bootnodes.</summary>
    Task<SubnetBootnodes> GetBootnodesAsync(uint subnetId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The chain's proof-of-stake rule for <paramref name="peerId"/>: true when it is the main, bootnode or client peer
    /// id of a node of class ≥ <paramref name="minClass"/> (from its start epoch on) whose hotkey holds at least the
    /// subnet's minimum stake, or an overwatch node's peer id for the subnet.
    /// </summary>
    Task<bool> ProofOfStakeAsync(uint subnetId, string peerId, NodeClass minClass, CancellationToken cancellationToken = default);

    /// <summary>The elected validator's proposal for the current subnet epoch (signed by the node's hotkey).</summary>
    Task<ChainTransaction> ProposeAttestationAsync(uint subnetId, IReadOnlyList<ConsensusScore> scores,
        uint? prioritizeQueueNodeId = null, uint? removeQueueNodeId = null, byte[]? args = null, byte[]? attestData = null,
        CancellationToken cancellationToken = default);

    /// <summary>Attests the current subnet epoch's proposal (signed by the node's hotkey).</summary>
    Task<ChainTransaction> AttestAsync(uint subnetId, byte[]? attestData = null, CancellationToken cancellationToken = default);
}
