using System.Diagnostics.CodeAnalysis;
using Mesh.Kademlia.Serialization;

namespace Mesh.Node.Subnet;

/// <summary>A server's lifecycle state in its heartbeat (<c>ServerState</c>: OFFLINE 0, JOINING 1, ONLINE 2).</summary>
public enum ServerState
{
    Offline = 0,
    Joining = 1,
    Online = 2,
}

/// <summary>
/// The value of a heartbeat record (mesh-reference §3, mesh-template <c>utils/data_structures.py</c>
/// <c>ServerInfo.to_tuple()</c>): the msgpack tuple <c>(state: int, role: str, throughput: float, extra: dict)</c> with
/// <c>extra</c> = <c>{public_name, version, using_relay, next_pings}</c> in that order (dataclass field order; absent
/// values are nil). Reading is as strict as the Python pydantic model: state must be 0–2, throughput a finite float
/// ≥ 0 (strict: an integer is refused), <c>next_pings</c> a map of peer id text to float ≥ 0. Unknown <c>extra</c>
/// keys are ignored (Python's dataclass constructor would raise on them; ignoring keeps newer peers readable).
/// </summary>
public sealed record ServerInfo(
    ServerState State,
    string Role,
    double Throughput,
    string? PublicName = null,
    string? Version = null,
    bool? UsingRelay = null,
    IReadOnlyDictionary<string, double>? NextPings = null)
{
    /// <summary>The only role the template defines (<c>ServerClass.VALIDATOR</c>).</summary>
    public const string ValidatorRole = "validator";

    public MsgValue ToTuple()
    {
        MsgValue pings = NextPings is null
            ? MsgValue.Nil
            : MsgValue.Map([.. NextPings.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new MsgMapEntry(p.Key, p.Value))]);
        MsgValue extra = MsgValue.Map(
            new MsgMapEntry("public_name", PublicName is null ? MsgValue.Nil : PublicName),
            new MsgMapEntry("version", Version is null ? MsgValue.Nil : Version),
            new MsgMapEntry("using_relay", UsingRelay is bool relay ? relay : MsgValue.Nil),
            new MsgMapEntry("next_pings", pings));
        return MsgValue.Tuple((int)State, Role, Throughput, extra);
    }

    /// <summary>Parses a heartbeat value; false (with a reason) for anything the Python model would refuse.</summary>
    public static bool TryFromTuple(in MsgValue value, [NotNullWhen(true)] out ServerInfo? info, [NotNullWhen(false)] out string? reason)
    {
        info = null;
        if (value.Kind != MsgKind.Tuple || value.Count < 3)
        {
            reason = "not a tuple of at least (state, role, throughput)";
            return false;
        }
        var items = value.AsItems();
        if (!items[0].TryGetInt64(out long state) || state is < 0 or > 2)
        {
            reason = "state is not 0, 1 or 2";
            return false;
        }
        if (items[1].Kind != MsgKind.String)
        {
            reason = "role is not a string";
            return false;
        }
        if (items[2].Kind != MsgKind.Float || items[2].AsDouble() is var throughput && (!double.IsFinite(throughput) || throughput < 0))
        {
            reason = "throughput is not a finite float ≥ 0";
            return false;
        }
        string? publicName = null, version = null;
        bool? usingRelay = null;
        Dictionary<string, double>? pings = null;
        if (items.Length > 3 && !items[3].IsNil)
        {
            if (items[3].Kind != MsgKind.Map)
            {
                reason = "extra is not a map";
                return false;
            }
            foreach (MsgMapEntry entry in items[3].AsMap())
            {
                if (entry.Key.Kind != MsgKind.String)
                {
                    continue;
                }
                MsgValue v = entry.Value;
                switch (entry.Key.AsString())
                {
                    case "public_name" when v.IsNil || v.Kind == MsgKind.String:
                        publicName = v.IsNil ? null : v.AsString();
                        break;
                    case "version" when v.IsNil || v.Kind == MsgKind.String:
                        version = v.IsNil ? null : v.AsString();
                        break;
                    case "using_relay" when v.IsNil || v.Kind == MsgKind.Bool:
                        usingRelay = v.IsNil ? null : v.AsBoolean();
                        break;
                    case "next_pings" when v.IsNil:
                        break;
                    case "next_pings" when v.Kind == MsgKind.Map:
                        pings = [];
                        foreach (MsgMapEntry ping in v.AsMap())
                        {
                            if (ping.Key.Kind != MsgKind.String || ping.Value.Kind != MsgKind.Float || !(ping.Value.AsDouble() >= 0))
                            {
                                reason = "next_pings is not a map of peer id to float ≥ 0";
                                return false;
                            }
                            pings[ping.Key.AsString()] = ping.Value.AsDouble();
                        }
                        break;
                    case "public_name" or "version" or "using_relay" or "next_pings":
                        reason = $"extra field {entry.Key.AsString()} has the wrong type";
                        return false;
                }
            }
        }
        info = new ServerInfo((ServerState)state, items[1].AsString(), items[2].AsDouble(), publicName, version, usingRelay, pings);
        reason = null;
        return true;
    }
}
