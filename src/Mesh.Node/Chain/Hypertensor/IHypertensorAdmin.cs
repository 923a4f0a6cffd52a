using Mesh.Node.Chain.Signing;

namespace Mesh.Node.Chain.Hypertensor;

/// <summary>
/// The writes an operator makes outside a running node (the <c>mesh register-subnet</c>, <c>register-node</c>,
/// <c>stake</c> verbs): subnet registration and activation, node registration and removal, stake. Each is signed by
/// the account given (the subnet owner, the node's coldkey). Implemented by <see cref="HypertensorClient"/> (the real
/// runtime) and by the embedded local chain, so the verbs run unchanged against either.
/// </summary>
public interface IHypertensorAdmin
{
    /// <summary><c>register_subnet</c>, signed by the future owner; returns the new subnet id.</summary>
    Task<uint> RegisterSubnetAsync(EthereumKeyPair owner, SubnetRegistration registration, UInt128 maxCost, CancellationToken cancellationToken = default);

    /// <summary><c>activate_subnet</c>, signed by the owner.</summary>
    Task<ChainTransaction> ActivateSubnetAsync(EthereumKeyPair owner, uint subnetId, CancellationToken cancellationToken = default);

    /// <summary><c>add_to_delegate_stake</c> (counts toward a subnet's activation threshold).</summary>
    Task<ChainTransaction> AddToDelegateStakeAsync(EthereumKeyPair account, uint subnetId, UInt128 amount, CancellationToken cancellationToken = default);

    /// <summary><c>register_subnet_node</c>, signed by the coldkey; returns the node id.</summary>
    Task<uint> RegisterSubnetNodeAsync(EthereumKeyPair coldkey, SubnetNodeRegistration registration, CancellationToken cancellationToken = default);

    /// <summary><c>remove_subnet_node</c>, signed by the coldkey.</summary>
    Task<ChainTransaction> RemoveSubnetNodeAsync(EthereumKeyPair signer, uint subnetId, uint subnetNodeId, CancellationToken cancellationToken = default);

    /// <summary><c>add_stake</c>, signed by the node's coldkey.</summary>
    Task<ChainTransaction> AddStakeAsync(EthereumKeyPair coldkey, uint subnetId, uint subnetNodeId, AccountId20 hotkey, UInt128 amount,
        CancellationToken cancellationToken = default);

    /// <summary><c>remove_stake</c>, signed by the node's coldkey.</summary>
    Task<ChainTransaction> RemoveStakeAsync(EthereumKeyPair coldkey, uint subnetId, AccountId20 hotkey, UInt128 amount,
        CancellationToken cancellationToken = default);
}
