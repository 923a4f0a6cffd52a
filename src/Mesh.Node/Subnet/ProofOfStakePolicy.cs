using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Metrics;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;

namespace Mesh.Node.Subnet;

/// <summary>
/// mesh's <c>ProofOfStakeAuthorizer</c> as a signer policy (mesh-reference §6): after the signature authorizer has
/// verified a request (servicer side) or a response (client side), the signer's peer id must have proof of stake in
/// the subnet, with <see cref="ProofOfStake"/>'s cooldown cache in front of the chain. A chain that cannot be reached
/// counts as "not staked" for that call (the node keeps serving its other peers) until the next lookup.
/// </summary>
public sealed class ProofOfStakePolicy(ProofOfStake proofOfStake, NodeMetrics? metrics = null) : IRpcSignerPolicy
{
    private static readonly KeyValuePair<string, object?> s_accepted = new("result", "accepted");
    private static readonly KeyValuePair<string, object?> s_refused = new("result", "refused");

    public ProofOfStake ProofOfStake { get; } = proofOfStake ?? throw new ArgumentNullException(nameof(proofOfStake));

    public async ValueTask<bool> IsAllowedAsync(RpcSigner signer, RpcContext context)
    {
        bool staked = await ProofOfStake.IsStakedAsync(signer.PeerId.ToString(), context.CancellationToken).ConfigureAwait(false);
        metrics?.ProofOfStakeChecks.Add(1, staked ? s_accepted : s_refused);
        return staked;
    }
}
