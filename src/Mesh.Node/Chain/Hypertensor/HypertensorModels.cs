using Mesh.Node.Chain.Signing;

namespace Mesh.Node.Chain.Hypertensor;

/// <summary>A subnet node's classification on chain (<c>SubnetNodeClass</c>; the chain's repr, Registered = 0).</summary>
public enum NodeClass : byte
{
    Registered = 0,
    Idle = 1,
    Included = 2,
    Validator = 3,
}

/// <summary><c>SubnetState</c>.</summary>
public enum SubnetState : byte
{
    Registered = 0,
    Active = 1,
    Paused = 2,
}

/// <summary>Key types a subnet accepts for its nodes' peer identities (<c>KeyType</c>).</summary>
public enum SubnetKeyType : byte
{
    Rsa = 0,
    Ed25519 = 1,
    Secp256k1 = 2,
    Ecdsa = 3,
}

/// <summary>A subnet: its registration data, state, owner, slot and node counts.</summary>
public sealed record SubnetInfo(
    uint Id,
    uint FriendlyId,
    string Name,
    string Repo,
    string Description,
    string Misc,
    SubnetState State,
    uint StartEpoch,
    AccountId20? Owner,
    uint? Slot,
    UInt128 MinStake,
    UInt128 MaxStake,
    uint TotalNodes,
    uint TotalActiveNodes);

/// <summary>
/// A subnet node: identity (id, hotkey), its three peer ids as base58 text (main, bootnode, client), its optional
/// bootnode multiaddress, and its classification (class and the subnet epoch it holds from).
/// </summary>
public sealed record SubnetNode(
    uint Id,
    AccountId20 Hotkey,
    string PeerId,
    string BootnodePeerId,
    string ClientPeerId,
    string? Bootnode,
    NodeClass Class,
    uint StartEpoch,
    UInt128 DelegateRewardRate,
    byte[]? Unique,
    byte[]? NonUnique)
{
    /// <summary>The chain's <c>has_classification</c>: class ≥ <paramref name="minClass"/> from
    /// <see cref="StartEpoch"/> on.</summary>
    public bool HasClassification(NodeClass minClass, uint subnetEpoch) => Class >= minClass && StartEpoch <= subnetEpoch;

    /// <summary>True when <paramref name="peerId"/> is any of the node's three peer ids.</summary>
    public bool Owns(string peerId) => PeerId == peerId || BootnodePeerId == peerId || ClientPeerId == peerId;
}

/// <summary>One score of a validator's proposal (<c>SubnetNodeConsensusData</c>); 10^18 = 1.0.</summary>
public sealed record ConsensusScore(uint SubnetNodeId, UInt128 Score);

/// <summary>An attestation recorded in a consensus submission.</summary>
public sealed record Attestation(uint SubnetNodeId, uint Block, UInt128 AttestorProgress, UInt128 RewardFactor, byte[]? Data);

/// <summary>The elected validator's proposal for a subnet epoch and the attestations it gathered (<c>ConsensusData</c>).</summary>
public sealed record ConsensusSubmission(
    uint ValidatorId,
    uint Block,
    UInt128 ValidatorEpochProgress,
    UInt128 ValidatorRewardFactor,
    IReadOnlyList<Attestation> Attests,
    IReadOnlyList<ConsensusScore> Data,
    IReadOnlyList<uint> SubnetNodeIds,
    uint? PrioritizeQueueNodeId,
    uint? RemoveQueueNodeId,
    byte[]? Args)
{
    public bool IsAttestedBy(uint subnetNodeId) => Attests.Any(a => a.SubnetNodeId == subnetNodeId);
}

/// <summary>
/// Where the chain is, for one subnet: block number, global epoch (block / epoch length), the subnet's slot and its
/// own epoch ((block − slot) / epoch length, 0 before the slot or without one), and how far into that epoch we are.
/// </summary>
public sealed record ChainClock(ulong Block, uint EpochLength, ulong Epoch, uint? SubnetSlot, uint SubnetEpoch, double SubnetEpochProgress)
{
    /// <summary>The subnet epoch of <paramref name="block"/> under the chain's rule (<c>get_current_subnet_epoch_as_u32</c>).</summary>
    public static uint SubnetEpochAt(ulong block, uint epochLength, uint? slot)
    {
        if (slot is not uint s || s == 0 || block < s || epochLength == 0)
        {
            return 0;
        }
        return (uint)Math.Min((block - s) / epochLength, uint.MaxValue);
    }

    public static ChainClock At(ulong block, uint epochLength, uint? slot)
    {
        uint subnetEpoch = SubnetEpochAt(block, epochLength, slot);
        double progress = slot is uint s && s != 0 && block >= s && epochLength > 0 ? (double)((block - s) % epochLength) / epochLength : 0;
        return new ChainClock(block, epochLength, epochLength == 0 ? 0 : block / epochLength, slot, subnetEpoch, progress);
    }
}

/// <summary>The subnet's official bootnodes and those its nodes advertise (multiaddress text).</summary>
public sealed record SubnetBootnodes(IReadOnlyList<string> Official, IReadOnlyList<string> NodeBootnodes);

/// <summary>An included, successful transaction.</summary>
public sealed record ChainTransaction(string TransactionHash, string BlockHash, ulong BlockNumber);

/// <summary>Arguments of <c>register_subnet</c> (<c>RegistrationSubnetData</c>).</summary>
public sealed record SubnetRegistration(
    string Name,
    string Repo,
    string Description,
    string Misc,
    UInt128 MinStake,
    UInt128 MaxStake,
    UInt128 DelegateStakePercentage,
    IReadOnlyDictionary<AccountId20, uint> InitialColdkeys,
    IReadOnlyList<SubnetKeyType> KeyTypes,
    IReadOnlyList<string> Bootnodes);

/// <summary>Arguments of <c>register_subnet_node</c> (signed by the coldkey; the hotkey is the node's operating key).</summary>
public sealed record SubnetNodeRegistration(
    uint SubnetId,
    AccountId20 Hotkey,
    string PeerId,
    string BootnodePeerId,
    string ClientPeerId,
    UInt128 Stake,
    UInt128 MaxBurnAmount,
    string? Bootnode = null,
    UInt128 DelegateRewardRate = default,
    byte[]? Unique = null,
    byte[]? NonUnique = null);
