using System.Globalization;
using System.Security.Cryptography;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Mesh.Transport.Identity;
using Microsoft.Data.Sqlite;

namespace Mesh.Node.LocalChain;

/// <summary>
/// An embedded Hypertensor for <c>--no_blockchain_rpc</c> (the Python mesh's <c>LocalMockHypertensor</c>, mesh-reference
/// §8 "Mock mode"), implementing <see cref="IHypertensorChain"/> and <see cref="IHypertensorAdmin"/> over a SQLite file
/// that every local node process shares, so it behaves like the runtime for everything a node and the operator verbs
/// use:
/// <list type="bullet">
/// <item>Blocks come from the wall clock: block = (now − genesis) / block time, fixed when the file is created, so
/// every process agrees without talking to the others. Epoch = block / epoch length; a subnet's epoch counts from its
/// slot (the runtime's rule, <see cref="ChainClock"/>), slots assigned as the runtime does (first free in [3, epoch
/// length)).</item>
/// <item>Subnets, nodes, stakes and classes with the pallet's checks and error names (<c>Network.PeerIdExist</c>,
/// <c>MinStakeNotReached</c>, …; balances and fees are not modelled). Classes as <see cref="NodeRow.ClassAt"/>.</item>
/// <item>The elected validator of a subnet epoch rotates among the nodes eligible in it (Validator class from their
/// start epoch, staked at least the minimum), in node-id order: epoch e elects eligible[e mod n]. It is chosen by the
/// first process that asks during the epoch and stored, so all agree. (The Python mock always elects node 6; the
/// runtime elects at random, which a test cannot predict.)</item>
/// <item><c>propose_attestation</c> and <c>attest</c> with the pallet's rules (only the elected validator, once per
/// epoch, during the epoch; attestations need a submission, once per node; the validator's own attestation is
/// included), and proof of stake with the runtime's rule (<see cref="ProofOfStakeAsync"/>), where the Python mock says
/// yes to everyone.</item>
/// </list>
/// The file survives restarts; <see cref="LocalChainOptions.Reset"/> (<c>--new_swarm</c>) starts a new chain.
/// Thread-safe and multi-process-safe (<see cref="LocalChainDatabase"/>).
/// </summary>
public sealed class LocalHypertensor : IHypertensorChain, IHypertensorAdmin
{
    /// <summary>The runtime's minimum subnet minimum stake (<c>MinSubnetMinStake</c>, 100 TENSOR).</summary>
    public static readonly UInt128 MinSubnetMinStake = 100 * Tensor.One;

    /// <summary>The runtime's <c>MinSubnetNodes</c> (initial coldkeys and nodes needed to activate).</summary>
    public const int MinSubnetNodes = 3;

    /// <summary>First slot the runtime assigns (<c>DesignatedEpochSlots</c>).</summary>
    public const uint FirstSlot = 3;

    private readonly LocalChainDatabase _db;
    private readonly TimeProvider _time;
    private long _transactionCounter;

    private LocalHypertensor(LocalChainDatabase db, LocalChainOptions options, long genesisUnixMs, TimeSpan blockTime, uint epochLength, bool created)
    {
        _db = db;
        Options = options;
        _time = options.TimeProvider;
        GenesisUnixMilliseconds = genesisUnixMs;
        BlockTime = blockTime;
        EpochLength = epochLength;
        Created = created;
    }

    public LocalChainOptions Options { get; }

    /// <summary>The database file.</summary>
    public string DatabasePath => _db.Path;

    /// <summary>True when this process created the chain (a new file or a reset).</summary>
    public bool Created { get; }

    public long GenesisUnixMilliseconds { get; }

    /// <summary>The block time of this chain (the file's, which may differ from the options').</summary>
    public TimeSpan BlockTime { get; }

    public uint EpochLength { get; }

    /// <summary>The hotkey that signs consensus writes.</summary>
    public EthereumKeyPair? Signer => Options.Signer;

    /// <summary>Opens (or creates, or with <see cref="LocalChainOptions.Reset"/> recreates) the chain in its file.</summary>
    public static LocalHypertensor Open(LocalChainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        LocalChainDatabase db;
        try
        {
            db = LocalChainDatabase.Open(options.DatabasePath, options.Reset, options.BusyTimeout);
        }
        catch (SqliteException ex)
        {
            throw new LocalChainException($"cannot open the local chain database '{options.DatabasePath}': {ex.Message}", ex);
        }
        long now = options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        (long genesis, long blockMs, uint epochLength, bool created) = db.Write((c, t) =>
        {
            string? g = LocalChainDatabase.GetMeta(c, t, "genesis_unix_ms");
            if (g is null)
            {
                LocalChainDatabase.SetMeta(c, t, "genesis_unix_ms", now.ToString(CultureInfo.InvariantCulture));
                LocalChainDatabase.SetMeta(c, t, "block_ms", ((long)options.BlockTime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
                LocalChainDatabase.SetMeta(c, t, "epoch_length", options.EpochLength.ToString(CultureInfo.InvariantCulture));
                return (now, (long)options.BlockTime.TotalMilliseconds, options.EpochLength, true);
            }
            return (long.Parse(g, CultureInfo.InvariantCulture),
                long.Parse(LocalChainDatabase.GetMeta(c, t, "block_ms") ?? "6000", CultureInfo.InvariantCulture),
                uint.Parse(LocalChainDatabase.GetMeta(c, t, "epoch_length") ?? "20", CultureInfo.InvariantCulture), false);
        });
        return new LocalHypertensor(db, options, genesis, TimeSpan.FromMilliseconds(blockMs), epochLength, created);
    }

    /// <summary>The same chain with another signer (for the verbs' signed writes and tests acting as other nodes).</summary>
    public LocalHypertensor WithSigner(EthereumKeyPair? signer) =>
        new(_db, Options with { Signer = signer, Reset = false }, GenesisUnixMilliseconds, BlockTime, EpochLength, created: false);

    // ------------------------------------------------------------------ clock

    /// <summary>The current block number.</summary>
    public ulong CurrentBlock
    {
        get
        {
            long elapsed = _time.GetUtcNow().ToUnixTimeMilliseconds() - GenesisUnixMilliseconds;
            return elapsed <= 0 ? 0 : (ulong)(elapsed / (long)BlockTime.TotalMilliseconds);
        }
    }

    /// <summary>Wall-clock time until <paramref name="block"/> starts (zero if it has).</summary>
    public TimeSpan TimeUntilBlock(ulong block)
    {
        long at = GenesisUnixMilliseconds + (long)block * (long)BlockTime.TotalMilliseconds;
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return at <= now ? TimeSpan.Zero : TimeSpan.FromMilliseconds(at - now);
    }

    public Task<uint> GetEpochLengthAsync(CancellationToken cancellationToken = default) => Task.FromResult(EpochLength);

    public Task<ChainClock> GetClockAsync(uint subnetId, CancellationToken cancellationToken = default)
    {
        SubnetRow? subnet = _db.Read((c, t) => FindSubnet(c, t, subnetId));
        return Task.FromResult(ChainClock.At(CurrentBlock, EpochLength, subnet?.Slot));
    }

    private uint SubnetEpoch(SubnetRow subnet) => ChainClock.SubnetEpochAt(CurrentBlock, EpochLength, subnet.Slot);

    // ------------------------------------------------------------------ reads

    public Task<SubnetInfo?> GetSubnetAsync(uint subnetId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Read((c, t) =>
        {
            SubnetRow? s = FindSubnet(c, t, subnetId);
            if (s is null)
            {
                return null;
            }
            uint epoch = SubnetEpoch(s);
            IReadOnlyList<NodeRow> nodes = ListNodes(c, t, subnetId);
            uint active = (uint)nodes.Count(n => n.ClassAt(s, epoch).Class >= NodeClass.Idle);
            return new SubnetInfo(s.Id, s.Id, s.Name, s.Repo, s.Description, s.Misc, s.State, s.StartEpoch, s.Owner, s.Slot,
                s.MinStake, s.MaxStake, (uint)nodes.Count, active);
        }));

    public Task<IReadOnlyList<SubnetNode>> GetSubnetNodesAsync(uint subnetId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Read<IReadOnlyList<SubnetNode>>((c, t) =>
        {
            SubnetRow? s = FindSubnet(c, t, subnetId);
            if (s is null)
            {
                return [];
            }
            uint epoch = SubnetEpoch(s);
            return [.. ListNodes(c, t, subnetId).Select(n => n.ToNode(s, epoch))];
        }));

    public Task<SubnetNode?> GetSubnetNodeAsync(uint subnetId, uint subnetNodeId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Read((c, t) =>
        {
            SubnetRow? s = FindSubnet(c, t, subnetId);
            NodeRow? n = s is null ? null : FindNode(c, t, subnetId, subnetNodeId);
            return n?.ToNode(s!, SubnetEpoch(s!));
        }));

    public Task<uint?> GetSubnetNodeIdAsync(uint subnetId, AccountId20 hotkey, CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Read((c, t) => FindNodeByHotkey(c, t, subnetId, hotkey)?.Id));

    public Task<UInt128> GetStakeAsync(uint subnetId, AccountId20 hotkey, CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Read((c, t) => GetStake(c, t, hotkey, subnetId)));

    public Task<SubnetBootnodes> GetBootnodesAsync(uint subnetId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Read((c, t) =>
        {
            SubnetRow? s = FindSubnet(c, t, subnetId);
            return new SubnetBootnodes(s?.Bootnodes ?? [],
                [.. ListNodes(c, t, subnetId).Where(n => n.Bootnode is not null).Select(n => n.Bootnode!).Distinct().Order(StringComparer.Ordinal)]);
        }));

    /// <summary>
    /// The runtime's proof-of-stake rule (<c>rpc_info::proof_of_stake</c>, as <see cref="HypertensorClient.ProofOfStakeAsync"/>):
    /// <paramref name="peerId"/> is the main, bootnode or client peer id of a node of the subnet whose class is ≥
    /// <paramref name="minClass"/> from its start epoch on and whose hotkey holds at least the subnet's minimum stake.
    /// </summary>
    public Task<bool> ProofOfStakeAsync(uint subnetId, string peerId, NodeClass minClass, CancellationToken cancellationToken = default) =>
        Task.FromResult(!string.IsNullOrEmpty(peerId) && minClass <= NodeClass.Validator && _db.Read((c, t) =>
        {
            SubnetRow? s = FindSubnet(c, t, subnetId);
            if (s is null)
            {
                return false;
            }
            uint epoch = SubnetEpoch(s);
            foreach (NodeRow n in ListNodes(c, t, subnetId))
            {
                if ((n.PeerId == peerId || n.BootnodePeerId == peerId || n.ClientPeerId == peerId)
                    && n.ToNode(s, epoch).HasClassification(minClass, epoch)
                    && GetStake(c, t, n.Hotkey, subnetId) >= s.MinStake)
                {
                    return true;
                }
            }
            return false;
        }));

    /// <summary>
    /// The node elected for <paramref name="subnetEpoch"/>: stored once chosen; chosen (rotation, see the type) when
    /// asked for during that epoch of an active subnet with an eligible node; null for a future epoch, a past epoch
    /// nobody asked about in time, an inactive subnet or no eligible node (as <c>SubnetElectedValidator</c> is empty
    /// then).
    /// </summary>
    public Task<uint?> GetElectedValidatorAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default) =>
        Task.FromResult(EnsureElection(subnetId, subnetEpoch));

    /// <summary>The stored election of the epoch, or the one made now when it is due (the database is synchronous).</summary>
    private uint? EnsureElection(uint subnetId, uint subnetEpoch)
    {
        uint? stored = _db.Read((c, t) => FindElection(c, t, subnetId, subnetEpoch));
        if (stored is not null)
        {
            return stored;
        }
        return _db.Write((c, t) =>
        {
            uint? again = FindElection(c, t, subnetId, subnetEpoch);
            if (again is not null)
            {
                return again;
            }
            SubnetRow? s = FindSubnet(c, t, subnetId);
            if (s is null || s.State != SubnetState.Active || subnetEpoch != SubnetEpoch(s) || subnetEpoch < s.StartEpoch)
            {
                return null;
            }
            uint[] eligible = [.. EligibleValidators(c, t, s, subnetEpoch)];
            if (eligible.Length == 0)
            {
                return (uint?)null;
            }
            uint elected = eligible[(int)(subnetEpoch % (uint)eligible.Length)];
            Execute(c, t, "INSERT INTO elections(subnet_id, epoch, node_id) VALUES ($s, $e, $n)", ("$s", subnetId), ("$e", subnetEpoch), ("$n", elected));
            return elected;
        });
    }

    public Task<ConsensusSubmission?> GetConsensusSubmissionAsync(uint subnetId, uint subnetEpoch, CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Read((c, t) => ReadSubmission(c, t, subnetId, subnetEpoch)));

    // ------------------------------------------------------------------ consensus writes (the signer's hotkey)

    public Task<ChainTransaction> ProposeAttestationAsync(uint subnetId, IReadOnlyList<ConsensusScore> scores,
        uint? prioritizeQueueNodeId = null, uint? removeQueueNodeId = null, byte[]? args = null, byte[]? attestData = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scores);
        AccountId20 hotkey = RequireSigner().Address;
        // The election happens on first read, as the runtime's happens at the slot block before anyone proposes.
        SubnetRow? subnet = _db.Read((c, t) => FindSubnet(c, t, subnetId));
        if (subnet is not null)
        {
            EnsureElection(subnetId, SubnetEpoch(subnet));
        }
        return Task.FromResult(_db.Write((c, t) =>
        {
            SubnetRow s = FindSubnet(c, t, subnetId) ?? LocalChainRefusal.Throw<SubnetRow>("InvalidSubnetId", "Subnet doesn't exist");
            if (s.State != SubnetState.Active)
            {
                LocalChainRefusal.Throw("SubnetMustBeActive", "Subnet state must be active to perform this action");
            }
            ulong block = CurrentBlock;
            uint epoch = ChainClock.SubnetEpochAt(block, EpochLength, s.Slot);
            uint elected = FindElection(c, t, subnetId, epoch) ?? LocalChainRefusal.Throw<uint>("NoElectedValidator", "Validator not elected on subnet epoch");
            NodeRow validator = FindNodeByHotkey(c, t, subnetId, hotkey) ?? LocalChainRefusal.Throw<NodeRow>("InvalidHotkeySubnetNodeId", "Hotkey doesn't have a subnet node");
            if (validator.Id != elected)
            {
                LocalChainRefusal.Throw("InvalidValidator", "Not epoch validator");
            }
            if (ReadSubmission(c, t, subnetId, epoch) is not null)
            {
                LocalChainRefusal.Throw("SubnetRewardsAlreadySubmitted", "Subnet rewards data already submitted by validator");
            }
            if (scores.Select(x => x.SubnetNodeId).Distinct().Count() != scores.Count)
            {
                LocalChainRefusal.Throw("InvalidValues", "Invalid values");
            }
            string progress = LocalChainText.Amount(EpochProgress(block, s.Slot));
            // The nodes the submission covers: those included (or better) in this epoch, as the runtime records them.
            uint[] included = [.. ListNodes(c, t, subnetId).Where(n => n.ClassAt(s, epoch).Class >= NodeClass.Included).Select(n => n.Id)];
            Execute(c, t, """
                INSERT INTO submissions(subnet_id, epoch, validator_id, block, progress, scores, subnet_nodes, prioritize_queue_node_id, remove_queue_node_id, args)
                VALUES ($s, $e, $v, $b, $p, $scores, $nodes, $prio, $rm, $args)
                """,
                ("$s", subnetId), ("$e", epoch), ("$v", elected), ("$b", (long)block), ("$p", progress), ("$scores", LocalChainText.Scores(scores)),
                ("$nodes", LocalChainText.Ids(included)), ("$prio", prioritizeQueueNodeId), ("$rm", removeQueueNodeId), ("$args", args));
            Execute(c, t, "INSERT INTO attestations(subnet_id, epoch, node_id, block, progress, data) VALUES ($s, $e, $n, $b, $p, $d)",
                ("$s", subnetId), ("$e", epoch), ("$n", elected), ("$b", (long)block), ("$p", progress), ("$d", attestData));
            return Transaction(block);
        }));
    }

    public Task<ChainTransaction> AttestAsync(uint subnetId, byte[]? attestData = null, CancellationToken cancellationToken = default)
    {
        AccountId20 hotkey = RequireSigner().Address;
        return Task.FromResult(_db.Write((c, t) =>
        {
            SubnetRow s = FindSubnet(c, t, subnetId) ?? LocalChainRefusal.Throw<SubnetRow>("InvalidSubnetId", "Subnet doesn't exist");
            ulong block = CurrentBlock;
            uint epoch = ChainClock.SubnetEpochAt(block, EpochLength, s.Slot);
            NodeRow attestor = FindNodeByHotkey(c, t, subnetId, hotkey) ?? LocalChainRefusal.Throw<NodeRow>("InvalidHotkeySubnetNodeId", "Hotkey doesn't have a subnet node");
            if (ReadSubmission(c, t, subnetId, epoch) is null)
            {
                LocalChainRefusal.Throw("InvalidSubnetConsensusSubmission", "Consensus submission doesn't exist on this epoch");
            }
            if (!attestor.ToNode(s, epoch).HasClassification(NodeClass.Validator, epoch))
            {
                LocalChainRefusal.Throw("InvalidValidator", "Only Validator-class nodes of this epoch attest");
            }
            if (Scalar(c, t, "SELECT COUNT(*) FROM attestations WHERE subnet_id = $s AND epoch = $e AND node_id = $n",
                    ("$s", subnetId), ("$e", epoch), ("$n", attestor.Id)) > 0)
            {
                LocalChainRefusal.Throw("AlreadyAttested", "Already attested validator data");
            }
            Execute(c, t, "INSERT INTO attestations(subnet_id, epoch, node_id, block, progress, data) VALUES ($s, $e, $n, $b, $p, $d)",
                ("$s", subnetId), ("$e", epoch), ("$n", attestor.Id), ("$b", (long)block), ("$p", LocalChainText.Amount(EpochProgress(block, s.Slot))), ("$d", attestData));
            return Transaction(block);
        }));
    }

    // ------------------------------------------------------------------ operator writes (IHypertensorAdmin)

    public Task<uint> RegisterSubnetAsync(EthereumKeyPair owner, SubnetRegistration registration, UInt128 maxCost, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(registration);
        return Task.FromResult(_db.Write((c, t) =>
        {
            if (registration.Bootnodes.Count == 0)
            {
                LocalChainRefusal.Throw("BootnodesEmpty", "Bootnodes is empty");
            }
            if (registration.InitialColdkeys.Count < MinSubnetNodes || registration.InitialColdkeys.Values.Any(v => v == 0))
            {
                LocalChainRefusal.Throw("InvalidSubnetRegistrationInitialColdkeys",
                    "The number of initial coldkeys must be greater than or equal to the minimum nodes requirement");
            }
            if (registration.MinStake < MinSubnetMinStake)
            {
                LocalChainRefusal.Throw("InvalidSubnetMinStake", "the minimum stake must be at least 100 TENSOR");
            }
            if (registration.MaxStake < registration.MinStake)
            {
                LocalChainRefusal.Throw("InvalidSubnetStakeParameters", "the maximum stake must not be below the minimum stake");
            }
            if (registration.DelegateStakePercentage > Tensor.One)
            {
                LocalChainRefusal.Throw("InvalidDelegateStakePercentage", "the delegate stake percentage must be at most 1e18 (100%)");
            }
            if (Scalar(c, t, "SELECT COUNT(*) FROM subnets WHERE name = $n", ("$n", registration.Name)) > 0)
            {
                LocalChainRefusal.Throw("SubnetNameExist", "Subnet name already exists");
            }
            if (Scalar(c, t, "SELECT COUNT(*) FROM subnets WHERE repo = $r", ("$r", registration.Repo)) > 0)
            {
                LocalChainRefusal.Throw("SubnetRepoExist", "Subnet repository already exists");
            }
            uint id = (uint)Scalar(c, t, "SELECT COALESCE(MAX(id), 0) + 1 FROM subnets");
            InsertSubnet(c, t, id, registration, owner.Address, SubnetState.Registered, uint.MaxValue);
            return id;
        }));
    }

    public Task<ChainTransaction> ActivateSubnetAsync(EthereumKeyPair owner, uint subnetId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return Task.FromResult(_db.Write((c, t) =>
        {
            SubnetRow s = FindSubnet(c, t, subnetId) ?? LocalChainRefusal.Throw<SubnetRow>("InvalidSubnetId", "Subnet doesn't exist");
            if (s.Owner != owner.Address)
            {
                LocalChainRefusal.Throw("NotSubnetOwner", "Not subnet owner");
            }
            if (s.State != SubnetState.Registered)
            {
                LocalChainRefusal.Throw("SubnetActivatedAlready", "the subnet is already active");
            }
            if (ListNodes(c, t, subnetId).Count < MinSubnetNodes)
            {
                LocalChainRefusal.Throw("SubnetActivationConditionsNotMetYet", $"Conditions to activate subnet no reached: it needs {MinSubnetNodes} nodes");
            }
            ulong block = CurrentBlock;
            // As observed on the runtime: activation in subnet epoch e makes the subnet active from e + 1.
            uint start = ChainClock.SubnetEpochAt(block, EpochLength, s.Slot) + 1;
            Execute(c, t, "UPDATE subnets SET state = $st, start_epoch = $e WHERE id = $id", ("$st", (int)SubnetState.Active), ("$e", start), ("$id", subnetId));
            return Transaction(block);
        }));
    }

    public Task<ChainTransaction> AddToDelegateStakeAsync(EthereumKeyPair account, uint subnetId, UInt128 amount, CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Write((c, t) =>
        {
            SubnetRow s = FindSubnet(c, t, subnetId) ?? LocalChainRefusal.Throw<SubnetRow>("InvalidSubnetId", "Subnet doesn't exist");
            if (amount == UInt128.Zero)
            {
                LocalChainRefusal.Throw("AmountZero", "Amount entered is zero, must be greater than");
            }
            Execute(c, t, "UPDATE subnets SET delegate_stake = $d WHERE id = $id", ("$d", LocalChainText.Amount(s.DelegateStake + amount)), ("$id", subnetId));
            return Transaction(CurrentBlock);
        }));

    public Task<uint> RegisterSubnetNodeAsync(EthereumKeyPair coldkey, SubnetNodeRegistration r, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(coldkey);
        ArgumentNullException.ThrowIfNull(r);
        return Task.FromResult(_db.Write((c, t) =>
        {
            SubnetRow s = FindSubnet(c, t, r.SubnetId) ?? LocalChainRefusal.Throw<SubnetRow>("InvalidSubnetId", "Subnet doesn't exist");
            if (s.State == SubnetState.Registered && !s.InitialColdkeys.ContainsKey(coldkey.Address))
            {
                LocalChainRefusal.Throw("ColdkeyRegistrationWhitelist", "Coldkey not whitelisted to register");
            }
            if (r.Hotkey == coldkey.Address)
            {
                LocalChainRefusal.Throw("ColdkeyMatchesHotkey", "the hotkey must differ from the coldkey");
            }
            CheckPeerIds(c, t, s.Id, r.PeerId, r.BootnodePeerId, r.ClientPeerId, ignoreNode: null);
            ClaimHotkey(c, t, r.Hotkey, coldkey.Address, ignoreNode: null);
            if (r.Stake < s.MinStake)
            {
                LocalChainRefusal.Throw("MinStakeNotReached", $"the stake must be at least the subnet's minimum ({Tensor.Format(s.MinStake)} TENSOR)");
            }
            if (GetStake(c, t, r.Hotkey, s.Id) + r.Stake > s.MaxStake)
            {
                LocalChainRefusal.Throw("MaxStakeReached", $"the stake would exceed the subnet's maximum ({Tensor.Format(s.MaxStake)} TENSOR)");
            }
            uint epoch = SubnetEpoch(s);
            uint id = s.NextNodeId;
            InsertNode(c, t, new NodeRow(s.Id, id, r.Hotkey, r.PeerId, r.BootnodePeerId, r.ClientPeerId, r.Bootnode, epoch,
                Queued: s.State == SubnetState.Active, r.DelegateRewardRate, r.Unique, r.NonUnique));
            Execute(c, t, "UPDATE subnets SET next_node_id = $n WHERE id = $id", ("$n", id + 1), ("$id", s.Id));
            SetStake(c, t, r.Hotkey, s.Id, GetStake(c, t, r.Hotkey, s.Id) + r.Stake);
            return id;
        }));
    }

    public Task<ChainTransaction> RemoveSubnetNodeAsync(EthereumKeyPair signer, uint subnetId, uint subnetNodeId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Write((c, t) =>
        {
            NodeRow n = FindNode(c, t, subnetId, subnetNodeId) ?? LocalChainRefusal.Throw<NodeRow>("InvalidSubnetNodeId", "the subnet node does not exist");
            if (n.Hotkey != signer.Address && ColdkeyOf(c, t, n.Hotkey) != signer.Address)
            {
                LocalChainRefusal.Throw("NotKeyOwner", "Not the key owner");
            }
            Execute(c, t, "DELETE FROM nodes WHERE subnet_id = $s AND id = $n", ("$s", subnetId), ("$n", subnetNodeId));
            return Transaction(CurrentBlock);
        }));

    public Task<ChainTransaction> AddStakeAsync(EthereumKeyPair coldkey, uint subnetId, uint subnetNodeId, AccountId20 hotkey, UInt128 amount,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Write((c, t) =>
        {
            SubnetRow s = FindSubnet(c, t, subnetId) ?? LocalChainRefusal.Throw<SubnetRow>("InvalidSubnetId", "Subnet doesn't exist");
            NodeRow n = FindNode(c, t, subnetId, subnetNodeId) ?? LocalChainRefusal.Throw<NodeRow>("InvalidSubnetNodeId", "the subnet node does not exist");
            if (n.Hotkey != hotkey || ColdkeyOf(c, t, hotkey) != coldkey.Address)
            {
                LocalChainRefusal.Throw("NotKeyOwner", "Not the key owner");
            }
            if (amount == UInt128.Zero)
            {
                LocalChainRefusal.Throw("AmountZero", "Amount entered is zero, must be greater than");
            }
            UInt128 total = GetStake(c, t, hotkey, subnetId) + amount;
            if (total > s.MaxStake)
            {
                LocalChainRefusal.Throw("MaxStakeReached", $"the stake would exceed the subnet's maximum ({Tensor.Format(s.MaxStake)} TENSOR)");
            }
            SetStake(c, t, hotkey, subnetId, total);
            return Transaction(CurrentBlock);
        }));

    public Task<ChainTransaction> RemoveStakeAsync(EthereumKeyPair coldkey, uint subnetId, AccountId20 hotkey, UInt128 amount,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(_db.Write((c, t) =>
        {
            SubnetRow s = FindSubnet(c, t, subnetId) ?? LocalChainRefusal.Throw<SubnetRow>("InvalidSubnetId", "Subnet doesn't exist");
            if (ColdkeyOf(c, t, hotkey) != coldkey.Address)
            {
                LocalChainRefusal.Throw("NotKeyOwner", "Not the key owner");
            }
            if (amount == UInt128.Zero)
            {
                LocalChainRefusal.Throw("AmountZero", "Amount entered is zero, must be greater than");
            }
            UInt128 stake = GetStake(c, t, hotkey, subnetId);
            if (stake < amount)
            {
                LocalChainRefusal.Throw("NotEnoughStakeToWithdraw", "Not enough stake to withdraw");
            }
            if (FindNodeByHotkey(c, t, subnetId, hotkey) is not null && stake - amount < s.MinStake)
            {
                LocalChainRefusal.Throw("MinStakeNotReached", "a registered node must keep the subnet's minimum stake; remove the node first");
            }
            SetStake(c, t, hotkey, subnetId, stake - amount);
            return Transaction(CurrentBlock);
        }));

    // ------------------------------------------------------------------ the local node's own registration

    /// <summary>
    /// Creates subnet <paramref name="subnetId"/> if it does not exist, already active, as the Python mock's
    /// <c>get_formatted_subnet_info</c> always reports (<c>mesh server --no_blockchain_rpc</c> needs no prior
    /// registration). Returns the subnet.
    /// </summary>
    public SubnetInfo EnsureSubnet(uint subnetId, AccountId20 owner)
    {
        if (subnetId == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(subnetId), "subnet ids start at 1");
        }
        _db.Write((c, t) =>
        {
            if (FindSubnet(c, t, subnetId) is null)
            {
                var registration = new SubnetRegistration($"local-subnet-{subnetId}", $"local://subnet-{subnetId}", "embedded local chain subnet", "",
                    MinSubnetMinStake, 1000 * MinSubnetMinStake, Tensor.One / 10, new Dictionary<AccountId20, uint>(), [SubnetKeyType.Rsa, SubnetKeyType.Ed25519], ["local"]);
                InsertSubnet(c, t, subnetId, registration, owner, SubnetState.Active, startEpoch: 0);
            }
            return 0;
        });
        return GetSubnetAsync(subnetId).Result!;
    }

    /// <summary>
    /// Registers the running node (as the Python mock does on start): a Validator from the current epoch, staked with
    /// the subnet minimum. <paramref name="subnetNodeId"/> null takes the next free id. A peer already registered keeps
    /// its node (its hotkey is updated); an id held by another peer is taken over (the local chain is a development
    /// chain: restarting node 2 with a new identity must not need a reset), which <see cref="LocalNodeRegistration.PreviousPeerId"/>
    /// reports.
    /// </summary>
    public LocalNodeRegistration RegisterLocalNode(uint subnetId, uint? subnetNodeId, PeerId peer, AccountId20 hotkey)
    {
        string peerId = peer.ToString();
        return _db.Write((c, t) =>
        {
            SubnetRow s = FindSubnet(c, t, subnetId) ?? throw new LocalChainException($"subnet {subnetId} does not exist on the local chain");
            uint epoch = SubnetEpoch(s);
            NodeRow? mine = ListNodes(c, t, subnetId).FirstOrDefault(n => n.PeerId == peerId);
            if (mine is not null && subnetNodeId is uint wanted && wanted != mine.Id)
            {
                LocalChainRefusal.Throw("PeerIdExist", $"peer {peerId} is already subnet node {mine.Id}; pass --subnet_node_id {mine.Id}, or start with --new_swarm");
            }
            uint id = mine?.Id ?? subnetNodeId ?? s.NextNodeId;
            NodeRow? existing = mine ?? FindNode(c, t, subnetId, id);
            ClaimHotkey(c, t, hotkey, hotkey, ignoreNode: existing is null ? null : (subnetId, existing.Id));
            var row = new NodeRow(subnetId, id, hotkey, peerId, "", "", null, existing?.RegisteredEpoch ?? epoch, Queued: false, UInt128.Zero, null, null);
            if (existing is null)
            {
                InsertNode(c, t, row);
            }
            else
            {
                Execute(c, t, "UPDATE nodes SET hotkey = $h, peer_id = $p WHERE subnet_id = $s AND id = $n",
                    ("$h", hotkey.ToArray()), ("$p", peerId), ("$s", subnetId), ("$n", id));
            }
            Execute(c, t, "UPDATE subnets SET next_node_id = MAX(next_node_id, $n) WHERE id = $id", ("$n", id + 1), ("$id", subnetId));
            if (GetStake(c, t, hotkey, subnetId) < s.MinStake)
            {
                SetStake(c, t, hotkey, subnetId, s.MinStake);
            }
            return new LocalNodeRegistration(id, existing is null, existing is not null && existing.PeerId != peerId ? existing.PeerId : null);
        });
    }

    // ------------------------------------------------------------------ plumbing

    private EthereumKeyPair RequireSigner() =>
        Options.Signer ?? throw new InvalidOperationException("this local chain has no signer (hotkey) for consensus writes");

    private UInt128 EpochProgress(ulong block, uint slot) =>
        block < slot ? UInt128.Zero : (UInt128)((block - slot) % EpochLength) * Tensor.One / EpochLength;

    private ChainTransaction Transaction(ulong block)
    {
        long n = Interlocked.Increment(ref _transactionCounter);
        Span<byte> seed = stackalloc byte[24];
        RandomNumberGenerator.Fill(seed[..16]);
        BitConverter.TryWriteBytes(seed[16..], n);
        string hash = "0x" + Convert.ToHexStringLower(SHA256.HashData(seed));
        string blockHash = "0x" + Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(block ^ (ulong)GenesisUnixMilliseconds)));
        return new ChainTransaction(hash, blockHash, block);
    }

    private IEnumerable<uint> EligibleValidators(SqliteConnection c, SqliteTransaction t, SubnetRow s, uint epoch) =>
        ListNodes(c, t, s.Id)
            .Where(n => n.ToNode(s, epoch).HasClassification(NodeClass.Validator, epoch) && GetStake(c, t, n.Hotkey, s.Id) >= s.MinStake)
            .Select(n => n.Id)
            .Order();

    private void CheckPeerIds(SqliteConnection c, SqliteTransaction t, uint subnetId, string peerId, string bootnodePeerId, string clientPeerId,
        (uint, uint)? ignoreNode)
    {
        foreach ((string value, string error) in ((string, string)[])[(peerId, "InvalidPeerId"), (bootnodePeerId, "InvalidBootnodePeerId"), (clientPeerId, "InvalidClientPeerId")])
        {
            if (!PeerId.TryParse(value, out _))
            {
                LocalChainRefusal.Throw(error, $"PeerId format invalid: '{value}'");
            }
        }
        if (peerId == bootnodePeerId || peerId == clientPeerId || bootnodePeerId == clientPeerId)
        {
            LocalChainRefusal.Throw("PeerIdsMustBeUnique", "the peer id, bootnode peer id and client peer id must differ");
        }
        foreach (NodeRow n in ListNodes(c, t, subnetId))
        {
            if (ignoreNode == (n.SubnetId, n.Id))
            {
                continue;
            }
            string[] taken = [n.PeerId, n.BootnodePeerId, n.ClientPeerId];
            if (taken.Contains(peerId))
            {
                LocalChainRefusal.Throw("PeerIdExist", "Peer ID already in use in subnet");
            }
            if (taken.Contains(bootnodePeerId))
            {
                LocalChainRefusal.Throw("BootnodePeerIdExist", "Bootnode peer ID already in use in subnet");
            }
            if (taken.Contains(clientPeerId))
            {
                LocalChainRefusal.Throw("ClientPeerIdExist", "Client peer ID already in use in subnet");
            }
        }
    }

    /// <summary>Hotkeys are unique network-wide and belong to one coldkey for life (the runtime's <c>HotkeyOwner</c>).</summary>
    private static void ClaimHotkey(SqliteConnection c, SqliteTransaction t, AccountId20 hotkey, AccountId20 coldkey, (uint, uint)? ignoreNode)
    {
        using (SqliteCommand nodes = Command(c, t, "SELECT subnet_id, id FROM nodes WHERE hotkey = $h", ("$h", hotkey.ToArray())))
        using (SqliteDataReader r = nodes.ExecuteReader())
        {
            while (r.Read())
            {
                if (ignoreNode != ((uint)r.GetInt64(0), (uint)r.GetInt64(1)))
                {
                    LocalChainRefusal.Throw("HotkeyHasOwner", $"hotkey {hotkey} is already subnet node {r.GetInt64(1)} of subnet {r.GetInt64(0)}");
                }
            }
        }
        AccountId20? owner = ColdkeyOf(c, t, hotkey);
        if (owner is not null && owner != coldkey)
        {
            LocalChainRefusal.Throw("HotkeyHasOwner", "Hotkey has an owner and hotkeys must be unique to each node. If you're the owner, use a fresh hotkey");
        }
        Execute(c, t, "INSERT INTO hotkeys(hotkey, coldkey) VALUES ($h, $c) ON CONFLICT(hotkey) DO NOTHING", ("$h", hotkey.ToArray()), ("$c", coldkey.ToArray()));
    }

    private static AccountId20? ColdkeyOf(SqliteConnection c, SqliteTransaction t, AccountId20 hotkey)
    {
        using SqliteCommand command = Command(c, t, "SELECT coldkey FROM hotkeys WHERE hotkey = $h", ("$h", hotkey.ToArray()));
        return command.ExecuteScalar() is byte[] bytes ? new AccountId20(bytes) : null;
    }

    private void InsertSubnet(SqliteConnection c, SqliteTransaction t, uint id, SubnetRegistration r, AccountId20 owner, SubnetState state, uint startEpoch)
    {
        var taken = new HashSet<long>();
        using (SqliteCommand slots = Command(c, t, "SELECT slot FROM subnets"))
        using (SqliteDataReader reader = slots.ExecuteReader())
        {
            while (reader.Read())
            {
                taken.Add(reader.GetInt64(0));
            }
        }
        uint slot = FirstSlot;
        while (taken.Contains(slot))
        {
            slot++;
        }
        if (slot >= EpochLength)
        {
            LocalChainRefusal.Throw("NoAvailableSlots", "every slot of the epoch is assigned to a subnet");
        }
        Execute(c, t, $"""
            INSERT INTO subnets({SubnetRow.Columns})
            VALUES ($id, $name, $repo, $desc, $misc, $state, $start, $owner, $slot, $min, $max, $dsp, '0', $cold, $kt, $boot, 1, 1, 1)
            """,
            ("$id", id), ("$name", r.Name), ("$repo", r.Repo), ("$desc", r.Description), ("$misc", r.Misc), ("$state", (int)state),
            ("$start", startEpoch), ("$owner", owner.ToArray()), ("$slot", slot), ("$min", LocalChainText.Amount(r.MinStake)),
            ("$max", LocalChainText.Amount(r.MaxStake)), ("$dsp", LocalChainText.Amount(r.DelegateStakePercentage)),
            ("$cold", LocalChainText.Coldkeys(r.InitialColdkeys)), ("$kt", LocalChainText.KeyTypes(r.KeyTypes)),
            ("$boot", LocalChainText.Lines(r.Bootnodes.Distinct().Order(StringComparer.Ordinal))));
    }

    private static void InsertNode(SqliteConnection c, SqliteTransaction t, NodeRow n) =>
        Execute(c, t, $"""
            INSERT INTO nodes({NodeRow.Columns})
            VALUES ($s, $id, $h, $p, $bp, $cp, $b, $e, $q, $dr, $u, $nu)
            """,
            ("$s", n.SubnetId), ("$id", n.Id), ("$h", n.Hotkey.ToArray()), ("$p", n.PeerId), ("$bp", n.BootnodePeerId), ("$cp", n.ClientPeerId),
            ("$b", n.Bootnode), ("$e", n.RegisteredEpoch), ("$q", n.Queued ? 1 : 0), ("$dr", LocalChainText.Amount(n.DelegateRewardRate)),
            ("$u", n.Unique), ("$nu", n.NonUnique));

    private static SubnetRow? FindSubnet(SqliteConnection c, SqliteTransaction t, uint id)
    {
        using SqliteCommand command = Command(c, t, $"SELECT {SubnetRow.Columns} FROM subnets WHERE id = $id", ("$id", id));
        using SqliteDataReader r = command.ExecuteReader();
        return r.Read() ? SubnetRow.Read(r) : null;
    }

    private static NodeRow? FindNode(SqliteConnection c, SqliteTransaction t, uint subnetId, uint id)
    {
        using SqliteCommand command = Command(c, t, $"SELECT {NodeRow.Columns} FROM nodes WHERE subnet_id = $s AND id = $id", ("$s", subnetId), ("$id", id));
        using SqliteDataReader r = command.ExecuteReader();
        return r.Read() ? NodeRow.Read(r) : null;
    }

    private static NodeRow? FindNodeByHotkey(SqliteConnection c, SqliteTransaction t, uint subnetId, AccountId20 hotkey)
    {
        using SqliteCommand command = Command(c, t, $"SELECT {NodeRow.Columns} FROM nodes WHERE subnet_id = $s AND hotkey = $h", ("$s", subnetId), ("$h", hotkey.ToArray()));
        using SqliteDataReader r = command.ExecuteReader();
        return r.Read() ? NodeRow.Read(r) : null;
    }

    private static List<NodeRow> ListNodes(SqliteConnection c, SqliteTransaction t, uint subnetId)
    {
        using SqliteCommand command = Command(c, t, $"SELECT {NodeRow.Columns} FROM nodes WHERE subnet_id = $s ORDER BY id", ("$s", subnetId));
        using SqliteDataReader r = command.ExecuteReader();
        var list = new List<NodeRow>();
        while (r.Read())
        {
            list.Add(NodeRow.Read(r));
        }
        return list;
    }

    private static uint? FindElection(SqliteConnection c, SqliteTransaction t, uint subnetId, uint epoch)
    {
        using SqliteCommand command = Command(c, t, "SELECT node_id FROM elections WHERE subnet_id = $s AND epoch = $e", ("$s", subnetId), ("$e", epoch));
        return command.ExecuteScalar() is long id ? (uint)id : null;
    }

    private static UInt128 GetStake(SqliteConnection c, SqliteTransaction t, AccountId20 hotkey, uint subnetId)
    {
        using SqliteCommand command = Command(c, t, "SELECT amount FROM stakes WHERE hotkey = $h AND subnet_id = $s", ("$h", hotkey.ToArray()), ("$s", subnetId));
        return command.ExecuteScalar() is string text ? LocalChainText.ParseAmount(text) : UInt128.Zero;
    }

    private static void SetStake(SqliteConnection c, SqliteTransaction t, AccountId20 hotkey, uint subnetId, UInt128 amount) =>
        Execute(c, t, "INSERT INTO stakes(hotkey, subnet_id, amount) VALUES ($h, $s, $a) ON CONFLICT(hotkey, subnet_id) DO UPDATE SET amount = excluded.amount",
            ("$h", hotkey.ToArray()), ("$s", subnetId), ("$a", LocalChainText.Amount(amount)));

    private static ConsensusSubmission? ReadSubmission(SqliteConnection c, SqliteTransaction t, uint subnetId, uint epoch)
    {
        using SqliteCommand command = Command(c, t, """
            SELECT validator_id, block, progress, scores, subnet_nodes, prioritize_queue_node_id, remove_queue_node_id, args
            FROM submissions WHERE subnet_id = $s AND epoch = $e
            """, ("$s", subnetId), ("$e", epoch));
        using SqliteDataReader r = command.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }
        uint validator = (uint)r.GetInt64(0);
        uint block = (uint)r.GetInt64(1);
        UInt128 progress = LocalChainText.ParseAmount(r.GetString(2));
        IReadOnlyList<ConsensusScore> scores = LocalChainText.ParseScores(r.GetString(3));
        IReadOnlyList<uint> nodes = LocalChainText.ParseIds(r.GetString(4));
        uint? prioritize = r.IsDBNull(5) ? null : (uint)r.GetInt64(5);
        uint? remove = r.IsDBNull(6) ? null : (uint)r.GetInt64(6);
        byte[]? args = r.IsDBNull(7) ? null : (byte[])r[7];
        var attests = new List<Attestation>();
        using (SqliteCommand a = Command(c, t, "SELECT node_id, block, progress, data FROM attestations WHERE subnet_id = $s AND epoch = $e ORDER BY node_id",
                   ("$s", subnetId), ("$e", epoch)))
        using (SqliteDataReader ar = a.ExecuteReader())
        {
            while (ar.Read())
            {
                attests.Add(new Attestation((uint)ar.GetInt64(0), (uint)ar.GetInt64(1), LocalChainText.ParseAmount(ar.GetString(2)), Tensor.One,
                    ar.IsDBNull(3) ? null : (byte[])ar[3]));
            }
        }
        return new ConsensusSubmission(validator, block, progress, Tensor.One, attests, scores, nodes, prioritize, remove, args);
    }

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction t, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value switch
            {
                null => DBNull.Value,
                uint u => (long)u,
                _ => value,
            });
        }
        return command;
    }

    private static int Execute(SqliteConnection c, SqliteTransaction t, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = Command(c, t, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection c, SqliteTransaction t, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = Command(c, t, sql, parameters);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}

/// <summary>The outcome of <see cref="LocalHypertensor.RegisterLocalNode"/>.</summary>
public sealed record LocalNodeRegistration(uint SubnetNodeId, bool Created, string? PreviousPeerId);
