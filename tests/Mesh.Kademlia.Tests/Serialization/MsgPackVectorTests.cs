using System.Text.Json;
using Mesh.Kademlia.Serialization;
using Mesh.TestKit;

namespace Mesh.Kademlia.Tests.Serialization;

/// <summary>Every case of vectors/msgpack.json (made by the real mesh MSGPackSerializer on msgpack-python 1.0.3).</summary>
public sealed class MsgPackVectorTests
{
    public static TheoryData<int> DumpsCases() => Indices("cases");

    public static TheoryData<int> LoadsOnlyCases() => Indices("loads_only_cases");

    private static TheoryData<int> Indices(string section)
    {
        var data = new TheoryData<int>();
        if (SharedData.Root is null)
        {
            data.Add(-1);
            return data;
        }
        using JsonDocument doc = VectorJson.Load("msgpack.json");
        int n = doc.RootElement.GetProperty(section).GetArrayLength();
        for (int i = 0; i < n; i++)
        {
            data.Add(i);
        }
        return data;
    }

    private static JsonElement Case(JsonDocument doc, string section, int i) => doc.RootElement.GetProperty(section)[i];

    [Theory]
    [MemberData(nameof(DumpsCases))]
    public void Dumps_matches_python_byte_for_byte(int i)
    {
        using JsonDocument doc = VectorJson.Load("msgpack.json");
        JsonElement c = Case(doc, "cases", i);
        MsgValue input = VectorJson.ToMsgValue(c.GetProperty("input"));
        byte[] expected = Hex.Decode(c.Hexs("dumps_hex"));

        Assert.Equal(Hex.Encode(expected), Hex.Encode(MsgPackSerializer.Serialize(input)));
        Assert.Equal(expected.Length, MsgPackSerializer.GetEncodedLength(input));

        var sink = new System.Buffers.ArrayBufferWriter<byte>();
        MsgPackSerializer.Serialize(sink, input);
        Assert.Equal(expected, sink.WrittenSpan.ToArray());
    }

    [Theory]
    [MemberData(nameof(DumpsCases))]
    public void Loads_matches_python(int i)
    {
        using JsonDocument doc = VectorJson.Load("msgpack.json");
        JsonElement c = Case(doc, "cases", i);
        byte[] bytes = Hex.Decode(c.Hexs("dumps_hex"));
        if (c.TryGetProperty("loads_error", out _))
        {
            // A dict with an int key dumps, but loads refuses it (strict_map_key).
            Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(bytes));
            return;
        }
        MsgValue expected = VectorJson.ToMsgValue(c.GetProperty("loads"));
        MsgValue loaded = MsgPackSerializer.Deserialize(bytes);
        Assert.Equal(expected, loaded);
        if (c.GetProperty("roundtrip_identical").GetBoolean())
        {
            Assert.Equal(bytes, MsgPackSerializer.Serialize(loaded));
        }
    }

    [Theory]
    [MemberData(nameof(LoadsOnlyCases))]
    public void Loads_only_cases_decode_to_the_python_value(int i)
    {
        using JsonDocument doc = VectorJson.Load("msgpack.json");
        JsonElement c = Case(doc, "loads_only_cases", i);
        MsgValue expected = VectorJson.ToMsgValue(c.GetProperty("loads"));
        Assert.Equal(expected, MsgPackSerializer.Deserialize(Hex.Decode(c.Hexs("input_hex"))));
    }

    [Fact]
    public void Dictionary_packb_payloads_match()
    {
        using JsonDocument doc = VectorJson.Load("msgpack.json");
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (!c.TryGetProperty("packb_hex", out JsonElement packb))
            {
                continue;
            }
            // packb is the ext 0x50 payload: the dumps bytes minus the ext header.
            MsgValue v = VectorJson.ToMsgValue(c.GetProperty("input"));
            byte[] dumped = MsgPackSerializer.Serialize(v);
            Assert.EndsWith(packb.GetString()!, Hex.Encode(dumped), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Error_cases_have_typed_equivalents()
    {
        using JsonDocument doc = VectorJson.Load("msgpack.json");
        string[] descriptions = doc.RootElement.GetProperty("error_cases").EnumerateArray()
            .Select(c => c.GetProperty("description").GetString()!).ToArray();
        Assert.Equal(5, descriptions.Length);

        // "int 2**64 overflows" / "int -2**63-1 overflows": the value model cannot even hold such integers; the
        // extremes it can hold encode exactly (uint64 max, int64 min).
        Assert.Equal("cfffffffffffffffff", Hex.Encode(MsgPackSerializer.Serialize(MsgValue.FromUInt64(ulong.MaxValue))));
        Assert.Equal("d38000000000000000", Hex.Encode(MsgPackSerializer.Serialize(MsgValue.FromInt64(long.MinValue))));

        // "DHTID (int subclass) is rejected" and "set is not serializable": no MsgValue kind exists for them;
        // DHTIDs travel as DhtId.ToBytes() (a bin).

        // "bytearray is accepted and packed as bin": any byte buffer is a bin.
        JsonElement bytearray = doc.RootElement.GetProperty("error_cases")[4];
        Assert.Equal(bytearray.Hexs("dumps_hex"), Hex.Encode(MsgPackSerializer.Serialize(MsgValue.FromBytes("ab"u8.ToArray()))));
    }
}
