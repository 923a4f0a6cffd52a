using Mesh.Kademlia.Serialization;
using Mesh.Node.Subnet;

namespace Mesh.Node.Tests.Subnet;

/// <summary>The heartbeat value: the template's <c>ServerInfo.to_tuple()</c> bytes, and its strict parsing.</summary>
public sealed class ServerInfoTests
{
    [Fact]
    public void To_tuple_is_the_msgpack_python_writes_for_the_same_server_info()
    {
        // ServerInfo(ONLINE, VALIDATOR, 1.0, public_name="node-a", version="1.0.0", using_relay=False,
        // next_pings={"12D3KooWA": 0.25}).to_tuple() through MSGPackSerializer.dumps: ext 0x40 around a 4-array,
        // float64 throughput, the extra dict in dataclass field order (hand-encoded from the msgpack spec).
        var info = new ServerInfo(ServerState.Online, ServerInfo.ValidatorRole, 1.0, "node-a", "1.0.0", false,
            new Dictionary<string, double> { ["12D3KooWA"] = 0.25 });
        Assert.Equal(
            "c763409402a976616c696461746f72cb3ff000000000000084ab7075626c69635f6e616d65a66e6f64652d61a776657273696f6ea5312e302e30ab7573696e675f72656c6179c2aa6e6578745f70696e677381a9313244334b6f6f5741cb3fd0000000000000",
            Convert.ToHexStringLower(MsgPackSerializer.Serialize(info.ToTuple())));
    }

    [Fact]
    public void Round_trips_through_msgpack()
    {
        var info = new ServerInfo(ServerState.Joining, "validator", 0.5, null, "9.9.9", null, null);
        MsgValue decoded = MsgPackSerializer.Deserialize(MsgPackSerializer.Serialize(info.ToTuple()));
        Assert.True(ServerInfo.TryFromTuple(decoded, out ServerInfo? back, out string? reason), reason);
        Assert.Equal(info, back);
    }

    public static TheoryData<string, MsgValue> Refused => new()
    {
        { "not a tuple", MsgValue.Array(2, "validator", 1.0) },
        { "too short", MsgValue.Tuple(2, "validator") },
        { "state out of range", MsgValue.Tuple(3, "validator", 1.0) },
        { "role not a string", MsgValue.Tuple(2, 7, 1.0) },
        { "throughput an int (pydantic strict)", MsgValue.Tuple(2, "validator", 1) },
        { "throughput negative", MsgValue.Tuple(2, "validator", -1.0) },
        { "throughput NaN", MsgValue.Tuple(2, "validator", double.NaN) },
        { "extra not a map", MsgValue.Tuple(2, "validator", 1.0, "x") },
        { "public_name wrong type", MsgValue.Tuple(2, "validator", 1.0, MsgValue.Map(new MsgMapEntry("public_name", 5))) },
        { "using_relay wrong type", MsgValue.Tuple(2, "validator", 1.0, MsgValue.Map(new MsgMapEntry("using_relay", "yes"))) },
        { "negative ping", MsgValue.Tuple(2, "validator", 1.0, MsgValue.Map(new MsgMapEntry("next_pings", MsgValue.Map(new MsgMapEntry("p", -0.1))))) },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Values_the_python_model_refuses_are_refused_with_a_reason(string why, MsgValue value)
    {
        Assert.False(ServerInfo.TryFromTuple(value, out _, out string? reason), why);
        Assert.False(string.IsNullOrEmpty(reason));
    }

    [Fact]
    public void Unknown_extra_keys_are_ignored()
    {
        MsgValue value = MsgValue.Tuple(2, "validator", 1.0, MsgValue.Map(new MsgMapEntry("future_field", 1), new MsgMapEntry("version", "2.0")));
        Assert.True(ServerInfo.TryFromTuple(value, out ServerInfo? info, out _));
        Assert.Equal("2.0", info.Version);
    }
}
