using System.Text;
using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Rpc;
using Mesh.Node.Chain.Scale;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Chain.Storage;
using Microsoft.Extensions.Logging;

namespace Mesh.Node.Chain.Hypertensor;

/// <summary>
/// The Hypertensor <c>Network</c> pallet over a <see cref="SubstrateClient"/>: the reads and writes a subnet node,
/// a subnet owner and a staker need. Every call, storage item and type comes from the runtime's metadata by name
/// (RUNTIME.md §9); a runtime whose surface differs fails with a <see cref="ChainDecodeException"/> naming what is
/// missing, not with a silently wrong encoding. Reads that belong together (a node and its stake, the proof-of-stake
/// rule) are made at one block hash so they see one state. Writes are signed by <see cref="Signer"/> (the node's
/// hotkey) unless a method takes an explicit signer (a coldkey for registration and staking).
/// </summary>
public sealed class HypertensorClient : IHypertensorChain, IHypertensorAdmin, IAsyncDisposable
{
    public const string Pallet = "Network";

    private readonly bool _ownsClient;

    public HypertensorClient(SubstrateClient client, EthereumKeyPair? signer = null, bool ownsClient = false)
    {
        Client = client;
        Signer = signer;
        _ownsClient = ownsClient;
        EpochLength = client.Constant(Pallet, "EpochLength").AsU32();
    }

    /// <summary>Connects to a node (ws://, wss://, http://, https://) and loads its metadata.</summary>
    public static async Task<HypertensorClient> ConnectAsync(Uri endpoint, EthereumKeyPair? signer = null, ChainRpcOptions? options = null,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        SubstrateClient client = await SubstrateClient.ConnectAsync(endpoint, options, null, logger, cancellationToken).ConfigureAwait(false);
        return new HypertensorClient(client, signer, ownsClient: true);
    }

    public SubstrateClient Client { get; }

    /// <summary>The node's hotkey, used for <see cref="ProposeAttestationAsync"/> and <see cref="AttestAsync"/>.</summary>
    public EthereumKeyPair? Signer { get; }

    public uint EpochLength { get; }

    private RuntimeMetadata Metadata => Client.Metadata;

    /// <summary>Transaction options for the writes (mortality, tip, wait mode, timeout).</summary>
    public TransactionOptions TransactionOptions { get; init; } = new();

    // ------------------------------------------------------------------ reads

    public Task<uint> GetEpochLengthAsync(CancellationToken cancellationToken = default) => Task.FromResult(EpochLength);

    public async Task<ChainClock> GetClockAsync(uint subnetId, CancellationToken cancellationToken = default)
    {
        byte[] at = await Client.BlockHashAsync(null, cancellationToken).ConfigureAwait(false);
        return await ClockAtAsync(subnetId, at, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ChainClock> ClockAtAsync(uint subnetId, byte[] at, CancellationToken cancellationToken)
    {
        ulong block = (await GetAsync("System", "Number", [], at, cancellationToken).ConfigureAwait(false))!.AsU64();
        uint? slot = (await GetAsync(Pallet, "SubnetSlot", [subnetId], at, cancellationToken).ConfigureAwait(false))?.AsU32();
        return ChainClock.At(block, EpochLength, slot);
    }

    public async Task<SubnetInfo?> GetSubnetAsync(uint subnetId, CancellationToken cancellationToken = default)
    {
        byte[] at = await Client.BlockHashAsync(null, cancellationToken).ConfigureAwait(false);
        ScaleValue? data = await GetAsync(Pallet, "SubnetsData", [subnetId], at, cancellationToken).ConfigureAwait(false);
        if (data is null)
        {
            return null;
        }
        ScaleValue? owner = await GetAsync(Pallet, "SubnetOwner", [subnetId], at, cancellationToken).ConfigureAwait(false);
        ScaleValue? slot = await GetAsync(Pallet, "SubnetSlot", [subnetId], at, cancellationToken).ConfigureAwait(false);
        UInt128 min = (await GetAsync(Pallet, "SubnetMinStakeBalance", [subnetId], at, cancellationToken).ConfigureAwait(false))!.AsU128();
        UInt128 max = (await GetAsync(Pallet, "SubnetMaxStakeBalance", [subnetId], at, cancellationToken).ConfigureAwait(false))!.AsU128();
        uint total = (await GetAsync(Pallet, "TotalSubnetNodes", [subnetId], at, cancellationToken).ConfigureAwait(false))!.AsU32();
        uint active = (await GetAsync(Pallet, "TotalActiveSubnetNodes", [subnetId], at, cancellationToken).ConfigureAwait(false))!.AsU32();
        return new SubnetInfo(
            data["id"].AsU32(),
            data["friendly_id"].AsU32(),
            data["name"].AsUtf8(),
            data["repo"].AsUtf8(),
            data["description"].AsUtf8(),
            data["misc"].AsUtf8(),
            (SubnetState)data["state"].VariantIndex,
            data["start_epoch"].AsU32(),
            owner is null ? null : new AccountId20(owner.AsBytes()),
            slot?.AsU32(),
            min,
            max,
            total,
            active);
    }

    public async Task<IReadOnlyList<SubnetNode>> GetSubnetNodesAsync(uint subnetId, CancellationToken cancellationToken = default)
    {
        byte[] at = await Client.BlockHashAsync(null, cancellationToken).ConfigureAwait(false);
        var nodes = new List<SubnetNode>();
        var seen = new HashSet<uint>();
        await foreach ((_, ScaleValue value) in Client.IterateStorageAsync(Pallet, "SubnetNodesData", [subnetId], 256, at, cancellationToken).ConfigureAwait(false))
        {
            SubnetNode node = ToNode(value);
            seen.Add(node.Id);
            nodes.Add(node);
        }
        if (Metadata.Pallet(Pallet).FindStorage("RegisteredSubnetNodesData") is not null)
        {
            await foreach ((_, ScaleValue value) in Client.IterateStorageAsync(Pallet, "RegisteredSubnetNodesData", [subnetId], 256, at, cancellationToken).ConfigureAwait(false))
            {
                SubnetNode node = ToNode(value);
                if (seen.Add(node.Id))
                {
                    nodes.Add(node);
                }
            }
        }
        nodes.Sort((a, b) => a.Id.CompareTo(b.Id));
        return nodes;
    }

    public async Task<SubnetNode?> GetSubnetNodeAsync(uint subnetId, uint subnetNodeId, CancellationToken cancellationToken = default)
    {
        ScaleValue? v = await GetPresentAsync(Pallet, "SubnetNodesData", [subnetId, subnetNodeId], null, cancellationToken).ConfigureAwait(false)
            ?? await GetPresentAsync(Pallet, "RegisteredSubnetNodesData", [subnetId, subnetNodeId], null, cancellationToken).ConfigureAwait(false);
        return v is null ? null : ToNode(v);
    }

    public async Task<uint?> GetSubnetNodeIdAsync(uint subnetId, AccountId20 hotkey, CancellationToken cancellationToken = default) =>
        (await GetAsync(Pallet, "HotkeySubnetNodeId", [subnetId, ScaleValue.Bytes(hotkey.Bytes)], null, cancellationToken).ConfigureAwait(false))?.AsU32();

    public async Task<UInt128> GetStakeAsync(uint subnetId, AccountId20 hotkey, CancellationToken cancellationToken = default) =>
        (await GetAsync(Pallet, "AccountSubnetStake", [ScaleValue.Bytes(hotkey.Bytes), subnetId], null, cancellationToken).ConfigureAwait(false))!.AsU128();

    public async Task<uint?> GetElectedValidatorAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default) =>
        (await GetAsync(Pallet, "SubnetElectedValidator", [subnetId, subnetEpoch], null, cancellationToken).ConfigureAwait(false))?.AsU32();

    public async Task<ConsensusSubmission?> GetConsensusSubmissionAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default)
    {
        ScaleValue? v = await GetAsync(Pallet, "SubnetConsensusSubmission", [subnetId, subnetEpoch], null, cancellationToken).ConfigureAwait(false);
        if (v is null)
        {
            return null;
        }
        var attests = new List<Attestation>();
        foreach (ScaleValue pair in v["attests"].Items)
        {
            ScaleValue entry = pair[1];
            attests.Add(new Attestation(pair[0].AsU32(), entry["block"].AsU32(), entry["attestor_progress"].AsU128(),
                entry["reward_factor"].AsU128(), entry["data"].AsOption()?.AsBytes()));
        }
        return new ConsensusSubmission(
            v["validator_id"].AsU32(),
            v["block"].AsU32(),
            v["validator_epoch_progress"].AsU128(),
            v["validator_reward_factor"].AsU128(),
            attests,
            v["data"].Items.Select(d => new ConsensusScore(d["subnet_node_id"].AsU32(), d["score"].AsU128())).ToArray(),
            v["subnet_nodes"].Items.Select(n => n["id"].AsU32()).ToArray(),
            v["prioritize_queue_node_id"].AsOption()?.AsU32(),
            v["remove_queue_node_id"].AsOption()?.AsU32(),
            v["args"].AsOption()?.AsBytes());
    }

    public async Task<SubnetBootnodes> GetBootnodesAsync(uint subnetId, CancellationToken cancellationToken = default)
    {
        ScaleValue? official = await GetAsync(Pallet, "SubnetBootnodes", [subnetId], null, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<SubnetNode> nodes = await GetSubnetNodesAsync(subnetId, cancellationToken).ConfigureAwait(false);
        return new SubnetBootnodes(
            official?.Items.Select(b => b.AsUtf8()).ToArray() ?? [],
            nodes.Where(n => n.Bootnode is not null).Select(n => n.Bootnode!).Distinct().Order(StringComparer.Ordinal).ToArray());
    }

    /// <summary>
    /// Proof of stake computed from storage with the pallet's own rule (<c>rpc_info::proof_of_stake</c>), all reads at
    /// one block: the subnet exists; <paramref name="peerId"/> maps (as main, bootnode or client peer id) to an active
    /// node whose classification is ≥ <paramref name="minClass"/> from the current subnet epoch on, and whose hotkey
    /// stake is at least <c>SubnetMinStakeBalance</c>; or it is an overwatch node's peer id; or (runtimes that have
    /// <c>SubnetBootnodesV2</c>) an official bootnode peer. A bare runtime serves no <c>network_proofOfStake</c> RPC, so
    /// a light client has to do this itself.
    /// </summary>
    public async Task<bool> ProofOfStakeAsync(uint subnetId, string peerId, NodeClass minClass, CancellationToken cancellationToken = default)
    {
        if (minClass > NodeClass.Validator)
        {
            return false;
        }
        byte[] at = await Client.BlockHashAsync(null, cancellationToken).ConfigureAwait(false);
        if (await GetAsync(Pallet, "SubnetsData", [subnetId], at, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }
        ScaleValue peer = ScaleValue.Utf8(peerId);
        UInt128 minStake = (await GetAsync(Pallet, "SubnetMinStakeBalance", [subnetId], at, cancellationToken).ConfigureAwait(false))!.AsU128();
        ChainClock clock = await ClockAtAsync(subnetId, at, cancellationToken).ConfigureAwait(false);
        foreach (string mapping in (string[])["PeerIdSubnetNodeId", "BootnodePeerIdSubnetNodeId", "ClientPeerIdSubnetNodeId"])
        {
            ScaleValue? nodeId = await GetPresentAsync(Pallet, mapping, [subnetId, peer], at, cancellationToken).ConfigureAwait(false);
            if (nodeId is null)
            {
                continue;
            }
            ScaleValue? data = await GetPresentAsync(Pallet, "SubnetNodesData", [subnetId, nodeId.AsU32()], at, cancellationToken).ConfigureAwait(false);
            if (data is null)
            {
                continue;
            }
            SubnetNode node = ToNode(data);
            if (!node.HasClassification(minClass, clock.SubnetEpoch))
            {
                continue;
            }
            UInt128 stake = (await GetAsync(Pallet, "AccountSubnetStake", [ScaleValue.Bytes(node.Hotkey.Bytes), subnetId], at, cancellationToken).ConfigureAwait(false))!.AsU128();
            if (stake >= minStake)
            {
                return true;
            }
        }
        if (Metadata.Pallet(Pallet).FindStorage("PeerIdOverwatchNodeId") is not null
            && await GetPresentAsync(Pallet, "PeerIdOverwatchNodeId", [subnetId, peer], at, cancellationToken).ConfigureAwait(false) is not null)
        {
            return true;
        }
        if (Metadata.Pallet(Pallet).FindStorage("SubnetBootnodesV2") is not null)
        {
            ScaleValue? bootnodes = await GetAsync(Pallet, "SubnetBootnodesV2", [subnetId], at, cancellationToken).ConfigureAwait(false);
            byte[] wanted = Encoding.UTF8.GetBytes(peerId);
            if (bootnodes is not null && bootnodes.Items.Any(entry => entry[0].AsBytes().AsSpan().SequenceEqual(wanted)))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The runtime's own answer (<c>NetworkRuntimeApi_proof_of_stake</c> through <c>state_call</c>), for
    /// runtimes that expose the API; used to cross-check <see cref="ProofOfStakeAsync"/>.</summary>
    public async Task<bool> ProofOfStakeFromRuntimeApiAsync(uint subnetId, string peerId, NodeClass minClass, CancellationToken cancellationToken = default)
    {
        var args = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new ScaleWriter(args);
        w.WriteU32(subnetId);
        w.WriteByteVec(Encoding.UTF8.GetBytes(peerId));
        w.WriteU8((byte)minClass);
        byte[] output = await Client.StateCallAsync("NetworkRuntimeApi_proof_of_stake", args.WrittenSpan.ToArray(), null, cancellationToken).ConfigureAwait(false);
        var r = new ScaleReader(output);
        bool result = r.ReadBool();
        r.EnsureEnd("NetworkRuntimeApi_proof_of_stake");
        return result;
    }

    // ------------------------------------------------------------------ consensus writes (hotkey)

    public Task<ChainTransaction> ProposeAttestationAsync(uint subnetId, IReadOnlyList<ConsensusScore> scores,
        uint? prioritizeQueueNodeId = null, uint? removeQueueNodeId = null, byte[]? args = null, byte[]? attestData = null,
        CancellationToken cancellationToken = default) =>
        SubmitAsync(RequireSigner(), "propose_attestation",
        [
            ("subnet_id", subnetId),
            ("data", ScaleValue.Sequence(scores.Select(s => ScaleValue.Record(("subnet_node_id", s.SubnetNodeId), ("score", s.Score))))),
            ("prioritize_queue_node_id", ScaleValue.Option(prioritizeQueueNodeId is uint p ? p : null)),
            ("remove_queue_node_id", ScaleValue.Option(removeQueueNodeId is uint r ? r : null)),
            ("args", ScaleValue.Option(args is null ? null : ScaleValue.Bytes(args))),
            ("attest_data", ScaleValue.Option(attestData is null ? null : ScaleValue.Bytes(attestData))),
        ], cancellationToken);

    public Task<ChainTransaction> AttestAsync(uint subnetId, byte[]? attestData = null, CancellationToken cancellationToken = default) =>
        SubmitAsync(RequireSigner(), "attest",
        [
            ("subnet_id", subnetId),
            ("attest_data", ScaleValue.Option(attestData is null ? null : ScaleValue.Bytes(attestData))),
        ], cancellationToken);

    // ------------------------------------------------------------------ subnet, node and stake writes

    /// <summary><c>register_subnet</c>, signed by the future owner; returns the new subnet id (from <c>SubnetRegistered</c>).</summary>
    public async Task<uint> RegisterSubnetAsync(EthereumKeyPair owner, SubnetRegistration registration, UInt128 maxCost,
        CancellationToken cancellationToken = default)
    {
        ScaleValue data = ScaleValue.Record(
            ("name", ScaleValue.Utf8(registration.Name)),
            ("repo", ScaleValue.Utf8(registration.Repo)),
            ("description", ScaleValue.Utf8(registration.Description)),
            ("misc", ScaleValue.Utf8(registration.Misc)),
            ("min_stake", registration.MinStake),
            ("max_stake", registration.MaxStake),
            ("delegate_stake_percentage", registration.DelegateStakePercentage),
            ("initial_coldkeys", ScaleValue.Map(registration.InitialColdkeys.Select(kv => (ScaleValue.Bytes(kv.Key.Bytes), (ScaleValue)kv.Value)))),
            ("key_types", ScaleValue.Set(registration.KeyTypes.Select(k => ScaleValue.Variant(k.ToString())))),
            ("bootnodes", ScaleValue.Set(registration.Bootnodes.Select(ScaleValue.Utf8))));
        ExtrinsicResult result = await SubmitForResultAsync(owner, "register_subnet", [("max_cost", maxCost), ("subnet_data", data)], cancellationToken).ConfigureAwait(false);
        ChainEvent registered = result.Find(Pallet, "SubnetRegistered")
            ?? throw new ChainDecodeException("register_subnet succeeded without a SubnetRegistered event");
        return registered["subnet_id"].AsU32();
    }

    public Task<ChainTransaction> ActivateSubnetAsync(EthereumKeyPair owner, uint subnetId, CancellationToken cancellationToken = default) =>
        SubmitAsync(owner, "activate_subnet", [("subnet_id", subnetId)], cancellationToken);

    /// <summary><c>add_to_delegate_stake</c> (needed to meet a subnet's activation threshold).</summary>
    public Task<ChainTransaction> AddToDelegateStakeAsync(EthereumKeyPair account, uint subnetId, UInt128 amount, CancellationToken cancellationToken = default) =>
        SubmitAsync(account, "add_to_delegate_stake", [("subnet_id", subnetId), ("stake_to_be_added", amount)], cancellationToken);

    /// <summary><c>register_subnet_node</c>, signed by the coldkey; returns the node id.</summary>
    public async Task<uint> RegisterSubnetNodeAsync(EthereumKeyPair coldkey, SubnetNodeRegistration r, CancellationToken cancellationToken = default)
    {
        ExtrinsicResult result = await SubmitForResultAsync(coldkey, "register_subnet_node",
        [
            ("subnet_id", r.SubnetId),
            ("hotkey", ScaleValue.Bytes(r.Hotkey.Bytes)),
            ("peer_id", ScaleValue.Utf8(r.PeerId)),
            ("bootnode_peer_id", ScaleValue.Utf8(r.BootnodePeerId)),
            ("client_peer_id", ScaleValue.Utf8(r.ClientPeerId)),
            ("bootnode", ScaleValue.Option(r.Bootnode is null ? null : ScaleValue.Utf8(r.Bootnode))),
            ("delegate_reward_rate", r.DelegateRewardRate),
            ("stake_to_be_added", r.Stake),
            ("unique", ScaleValue.Option(r.Unique is null ? null : ScaleValue.Bytes(r.Unique))),
            ("non_unique", ScaleValue.Option(r.NonUnique is null ? null : ScaleValue.Bytes(r.NonUnique))),
            ("max_burn_amount", r.MaxBurnAmount),
        ], cancellationToken).ConfigureAwait(false);
        ChainEvent? e = result.Find(Pallet, "SubnetNodeActivated") ?? result.Find(Pallet, "SubnetNodeRegistered");
        if (e is not null)
        {
            return e["subnet_node_id"].AsU32();
        }
        return await GetSubnetNodeIdAsync(r.SubnetId, r.Hotkey, cancellationToken).ConfigureAwait(false)
            ?? throw new ChainDecodeException("register_subnet_node succeeded but the hotkey has no node id");
    }

    public Task<ChainTransaction> RemoveSubnetNodeAsync(EthereumKeyPair signer, uint subnetId, uint subnetNodeId, CancellationToken cancellationToken = default) =>
        SubmitAsync(signer, "remove_subnet_node", [("subnet_id", subnetId), ("subnet_node_id", subnetNodeId)], cancellationToken);

    public Task<ChainTransaction> UpdatePeerIdAsync(EthereumKeyPair signer, uint subnetId, uint subnetNodeId, string peerId, CancellationToken cancellationToken = default) =>
        SubmitAsync(signer, "update_peer_id", [("subnet_id", subnetId), ("subnet_node_id", subnetNodeId), ("new_peer_id", ScaleValue.Utf8(peerId))], cancellationToken);

    public Task<ChainTransaction> UpdateBootnodePeerIdAsync(EthereumKeyPair signer, uint subnetId, uint subnetNodeId, string peerId, CancellationToken cancellationToken = default) =>
        SubmitAsync(signer, "update_bootnode_peer_id", [("subnet_id", subnetId), ("subnet_node_id", subnetNodeId), ("new_bootnode_peer_id", ScaleValue.Utf8(peerId))], cancellationToken);

    public Task<ChainTransaction> UpdateClientPeerIdAsync(EthereumKeyPair signer, uint subnetId, uint subnetNodeId, string peerId, CancellationToken cancellationToken = default) =>
        SubmitAsync(signer, "update_client_peer_id", [("subnet_id", subnetId), ("subnet_node_id", subnetNodeId), ("new_client_peer_id", ScaleValue.Utf8(peerId))], cancellationToken);

    /// <summary><c>update_bootnode</c>: the node's own advertised bootnode multiaddress (null clears it).</summary>
    public Task<ChainTransaction> UpdateBootnodeAsync(EthereumKeyPair signer, uint subnetId, uint subnetNodeId, string? bootnode, CancellationToken cancellationToken = default) =>
        SubmitAsync(signer, "update_bootnode", [("subnet_id", subnetId), ("subnet_node_id", subnetNodeId),
            ("new_bootnode", ScaleValue.Option(bootnode is null ? null : ScaleValue.Utf8(bootnode)))], cancellationToken);

    /// <summary><c>update_bootnodes</c>: the subnet's official bootnodes (owner or accounts with bootnode access).</summary>
    public Task<ChainTransaction> UpdateBootnodesAsync(EthereumKeyPair signer, uint subnetId, IEnumerable<string> add, IEnumerable<string> remove,
        CancellationToken cancellationToken = default) =>
        SubmitAsync(signer, "update_bootnodes", [("subnet_id", subnetId), ("add", ScaleValue.Set(add.Select(ScaleValue.Utf8))),
            ("remove", ScaleValue.Set(remove.Select(ScaleValue.Utf8)))], cancellationToken);

    /// <summary><c>add_stake</c>, signed by the node's coldkey.</summary>
    public Task<ChainTransaction> AddStakeAsync(EthereumKeyPair coldkey, uint subnetId, uint subnetNodeId, AccountId20 hotkey, UInt128 amount,
        CancellationToken cancellationToken = default) =>
        SubmitAsync(coldkey, "add_stake", [("subnet_id", subnetId), ("subnet_node_id", subnetNodeId), ("hotkey", ScaleValue.Bytes(hotkey.Bytes)),
            ("stake_to_be_added", amount)], cancellationToken);

    /// <summary><c>remove_stake</c>, signed by the node's coldkey (the stake unbonds for <c>StakeCooldownEpochs</c>).</summary>
    public Task<ChainTransaction> RemoveStakeAsync(EthereumKeyPair coldkey, uint subnetId, AccountId20 hotkey, UInt128 amount,
        CancellationToken cancellationToken = default) =>
        SubmitAsync(coldkey, "remove_stake", [("subnet_id", subnetId), ("hotkey", ScaleValue.Bytes(hotkey.Bytes)), ("stake_to_be_removed", amount)],
            cancellationToken);

    // ------------------------------------------------------------------ plumbing

    private EthereumKeyPair RequireSigner() =>
        Signer ?? throw new InvalidOperationException("this HypertensorClient has no signer (hotkey); pass one to the constructor");

    private async Task<ChainTransaction> SubmitAsync(EthereumKeyPair signer, string call, (string, ScaleValue)[] args, CancellationToken cancellationToken)
    {
        ExtrinsicResult r = await SubmitForResultAsync(signer, call, args, cancellationToken).ConfigureAwait(false);
        return new ChainTransaction(r.ExtrinsicHash, r.BlockHash, r.BlockNumber);
    }

    private Task<ExtrinsicResult> SubmitForResultAsync(EthereumKeyPair signer, string call, (string, ScaleValue)[] args, CancellationToken cancellationToken)
    {
        byte[] encoded = Client.Builder.EncodeCall(Pallet, call, args);
        return Client.SignAndSubmitAsync(signer, encoded, TransactionOptions, cancellationToken);
    }

    private Task<ScaleValue?> GetAsync(string pallet, string entry, ScaleValue[] keys, byte[]? at, CancellationToken cancellationToken) =>
        Client.GetStorageAsync(pallet, entry, keys, at, cancellationToken);

    /// <summary>Like the pallet's <c>try_get</c>: null when the key is absent, even for entries with a default.</summary>
    private async Task<ScaleValue?> GetPresentAsync(string pallet, string entry, ScaleValue[] keys, byte[]? at, CancellationToken cancellationToken)
    {
        StorageEntryMetadata e = Metadata.Storage(pallet, entry);
        byte[]? raw = await Client.GetStorageRawAsync(StorageKeys.Build(Metadata, pallet, entry, keys), at, cancellationToken).ConfigureAwait(false);
        return raw is null ? null : ScaleCodec.Decode(Metadata.Types, e.ValueTypeId, raw);
    }

    internal static SubnetNode ToNode(ScaleValue v)
    {
        ScaleValue classification = v["classification"];
        return new SubnetNode(
            v["id"].AsU32(),
            new AccountId20(v["hotkey"].AsBytes()),
            v["peer_id"].AsUtf8(),
            v["bootnode_peer_id"].AsUtf8(),
            v["client_peer_id"].AsUtf8(),
            v["bootnode"].AsOption()?.AsUtf8(),
            (NodeClass)classification["node_class"].VariantIndex,
            classification["start_epoch"].AsU32(),
            v["delegate_reward_rate"].AsU128(),
            v["unique"].AsOption()?.AsBytes(),
            v["non_unique"].AsOption()?.AsBytes());
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            await Client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
