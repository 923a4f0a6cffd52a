using System.Globalization;
using System.Text;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Signing;
using Microsoft.Data.Sqlite;

namespace Mesh.Node.LocalChain;

/// <summary>A subnet as the local chain stores it.</summary>
internal sealed record SubnetRow(
    uint Id,
    string Name,
    string Repo,
    string Description,
    string Misc,
    SubnetState State,
    uint StartEpoch,
    AccountId20 Owner,
    uint Slot,
    UInt128 MinStake,
    UInt128 MaxStake,
    UInt128 DelegateStakePercentage,
    UInt128 DelegateStake,
    IReadOnlyDictionary<AccountId20, uint> InitialColdkeys,
    string KeyTypes,
    IReadOnlyList<string> Bootnodes,
    uint IdleEpochs,
    uint IncludedEpochs,
    uint NextNodeId)
{
    public const string Columns = "id, name, repo, description, misc, state, start_epoch, owner, slot, min_stake, max_stake, " +
        "delegate_stake_percentage, delegate_stake, initial_coldkeys, key_types, bootnodes, idle_epochs, included_epochs, next_node_id";

    public static SubnetRow Read(SqliteDataReader r) => new(
        (uint)r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), (SubnetState)r.GetInt64(5),
        (uint)r.GetInt64(6), new AccountId20((byte[])r[7]), (uint)r.GetInt64(8), LocalChainText.ParseAmount(r.GetString(9)),
        LocalChainText.ParseAmount(r.GetString(10)), LocalChainText.ParseAmount(r.GetString(11)), LocalChainText.ParseAmount(r.GetString(12)),
        LocalChainText.ParseColdkeys(r.GetString(13)), r.GetString(14), LocalChainText.ParseLines(r.GetString(15)),
        (uint)r.GetInt64(16), (uint)r.GetInt64(17), (uint)r.GetInt64(18));
}

/// <summary>A subnet node as the local chain stores it; its class is derived from the epoch (<see cref="ClassAt"/>).</summary>
internal sealed record NodeRow(
    uint SubnetId,
    uint Id,
    AccountId20 Hotkey,
    string PeerId,
    string BootnodePeerId,
    string ClientPeerId,
    string? Bootnode,
    uint RegisteredEpoch,
    bool Queued,
    UInt128 DelegateRewardRate,
    byte[]? Unique,
    byte[]? NonUnique)
{
    public const string Columns = "subnet_id, id, hotkey, peer_id, bootnode_peer_id, client_peer_id, bootnode, registered_epoch, queued, " +
        "delegate_reward_rate, unique_param, non_unique";

    public static NodeRow Read(SqliteDataReader r) => new(
        (uint)r.GetInt64(0), (uint)r.GetInt64(1), new AccountId20((byte[])r[2]), r.GetString(3), r.GetString(4), r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6), (uint)r.GetInt64(7), r.GetInt64(8) != 0, LocalChainText.ParseAmount(r.GetString(9)),
        r.IsDBNull(10) ? null : (byte[])r[10], r.IsDBNull(11) ? null : (byte[])r[11]);

    /// <summary>
    /// The node's classification at <paramref name="subnetEpoch"/>. A node registered while its subnet was not active
    /// (and a local node that registered itself, as the Python mock does) is a Validator from its registration epoch,
    /// as the runtime activates such nodes at once. A node registered into an active subnet goes through the queue as
    /// the runtime's does: Registered in its registration epoch, Idle from the next one, Included after the subnet's
    /// idle epochs, Validator after its included epochs. (The runtime also requires consensus inclusion to graduate;
    /// the local chain promotes by time only.)
    /// </summary>
    public (NodeClass Class, uint StartEpoch) ClassAt(SubnetRow subnet, uint subnetEpoch)
    {
        if (!Queued)
        {
            return (NodeClass.Validator, RegisteredEpoch);
        }
        uint idleFrom = RegisteredEpoch + 1;
        uint includedFrom = idleFrom + subnet.IdleEpochs;
        uint validatorFrom = includedFrom + subnet.IncludedEpochs;
        return subnetEpoch >= validatorFrom ? (NodeClass.Validator, validatorFrom)
            : subnetEpoch >= includedFrom ? (NodeClass.Included, includedFrom)
            : subnetEpoch >= idleFrom ? (NodeClass.Idle, idleFrom)
            : (NodeClass.Registered, RegisteredEpoch);
    }

    public SubnetNode ToNode(SubnetRow subnet, uint subnetEpoch)
    {
        (NodeClass nodeClass, uint start) = ClassAt(subnet, subnetEpoch);
        return new SubnetNode(Id, Hotkey, PeerId, BootnodePeerId, ClientPeerId, Bootnode, nodeClass, start, DelegateRewardRate, Unique, NonUnique);
    }
}

/// <summary>Text forms of the columns SQLite has no type for.</summary>
internal static class LocalChainText
{
    public static UInt128 ParseAmount(string text) => UInt128.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);

    public static string Amount(UInt128 value) => value.ToString(CultureInfo.InvariantCulture);

    public static IReadOnlyList<string> ParseLines(string text) =>
        text.Length == 0 ? [] : text.Split('\n');

    public static string Lines(IEnumerable<string> lines) => string.Join('\n', lines);

    public static IReadOnlyDictionary<AccountId20, uint> ParseColdkeys(string text)
    {
        var result = new Dictionary<AccountId20, uint>();
        foreach (string line in ParseLines(text))
        {
            int colon = line.IndexOf(':');
            result[AccountId20.Parse(line[..colon])] = uint.Parse(line[(colon + 1)..], CultureInfo.InvariantCulture);
        }
        return result;
    }

    public static string Coldkeys(IReadOnlyDictionary<AccountId20, uint> coldkeys) =>
        Lines(coldkeys.OrderBy(kv => kv.Key).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}:{kv.Value}")));

    public static string Scores(IEnumerable<ConsensusScore> scores) =>
        Lines(scores.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.SubnetNodeId}:{Amount(s.Score)}")));

    public static IReadOnlyList<ConsensusScore> ParseScores(string text) =>
        [.. ParseLines(text).Select(line =>
        {
            int colon = line.IndexOf(':');
            return new ConsensusScore(uint.Parse(line[..colon], CultureInfo.InvariantCulture), ParseAmount(line[(colon + 1)..]));
        })];

    public static string Ids(IEnumerable<uint> ids) => string.Join(',', ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));

    public static IReadOnlyList<uint> ParseIds(string text) =>
        text.Length == 0 ? [] : [.. text.Split(',').Select(s => uint.Parse(s, CultureInfo.InvariantCulture))];

    public static string KeyTypes(IEnumerable<SubnetKeyType> types) => string.Join(',', types.Distinct().Order());

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
