using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Mesh.Kademlia.Serialization;
using Mesh.TestKit;

namespace Mesh.Kademlia.Tests;

/// <summary>Reads the golden vectors' tagged JSON values (vectors/README.md, "Typed values") into <see cref="MsgValue"/>.</summary>
internal static class VectorJson
{
    public static JsonDocument Load(string fileName) =>
        JsonDocument.Parse(File.ReadAllText(SharedData.RequireVector(fileName)));

    public static MsgValue ToMsgValue(JsonElement e)
    {
        string type = e.GetProperty("type").GetString()!;
        switch (type)
        {
            case "nil":
                return MsgValue.Nil;
            case "bool":
                return MsgValue.FromBoolean(e.GetProperty("value").GetBoolean());
            case "int":
            {
                var big = BigInteger.Parse(e.GetProperty("value").GetString()!, CultureInfo.InvariantCulture);
                return big.Sign < 0 ? MsgValue.FromInt64((long)big) : MsgValue.FromUInt64((ulong)big);
            }
            case "float":
                return MsgValue.FromDouble(Double(e));
            case "str":
                return MsgValue.FromString(e.GetProperty("value").GetString()!);
            case "bytes":
                return MsgValue.FromBytes(Hex.Decode(e.GetProperty("hex").GetString()!));
            case "list":
                return MsgValue.Array(Items(e));
            case "tuple":
                return MsgValue.Tuple(Items(e));
            case "map":
                return MsgValue.Map(e.GetProperty("entries").EnumerateArray()
                    .Select(p => new MsgMapEntry(ToMsgValue(p[0]), ToMsgValue(p[1]))).ToArray());
            case "DictionaryDHTValue":
                return MsgValue.FromDictionary(ToDictionary(e));
            default:
                throw new NotSupportedException($"vector value type {type}");
        }
    }

    public static DictionaryDhtValue ToDictionary(JsonElement e)
    {
        MsgValue maxSize = ToMsgValue(e.GetProperty("maxsize"));
        double latest = Double(e.GetProperty("latest_expiration_time"));
        DictionaryDhtItem[] items = e.GetProperty("items").EnumerateArray()
            .Select(i => DictionaryDhtItem.Create(ToMsgValue(i[0]), Hex.Decode(i[1].GetProperty("hex").GetString()!), Double(i[2])))
            .ToArray();
        return new DictionaryDhtValue(maxSize, latest, items);
    }

    /// <summary>A tagged float, exactly (from its IEEE-754 bits).</summary>
    public static double Double(JsonElement e)
    {
        string bits = e.GetProperty("bits").GetString()!;
        return BitConverter.Int64BitsToDouble(long.Parse(bits, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    private static MsgValue[] Items(JsonElement e) => e.GetProperty("items").EnumerateArray().Select(ToMsgValue).ToArray();

    public static string Hexs(this JsonElement e, string name) => e.GetProperty(name).GetString()!;
}
