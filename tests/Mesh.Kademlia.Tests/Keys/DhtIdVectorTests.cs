using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.TestKit;

namespace Mesh.Kademlia.Tests.Keys;

/// <summary>vectors/dhtid.json: DHTID.generate for every key type, xor_distance, longest_common_prefix_length, from_bytes.</summary>
public sealed class DhtIdVectorTests
{
    [Fact]
    public void Generate_matches_python_for_every_key_type()
    {
        using JsonDocument doc = VectorJson.Load("dhtid.json");
        int n = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty("generate_cases").EnumerateArray())
        {
            JsonElement input = c.GetProperty("input");
            MsgValue source = VectorJson.ToMsgValue(input);
            string expectedHex = c.Hexs("dhtid_hex");
            string hashed = c.Hexs("hashed_bytes_hex");

            Assert.Equal(expectedHex, DhtId.Generate(source).ToString());
            if (source.Kind == MsgKind.String)
            {
                Assert.Equal(expectedHex, DhtId.Generate(source.AsString()).ToString());
                Assert.Equal(hashed, Hex.Encode(MsgPackSerializer.SerializeString(source.AsString())));
            }
            else if (source.Kind == MsgKind.Binary)
            {
                Assert.Equal(expectedHex, DhtId.GenerateFromBytes(source.AsSpan()).ToString());
                Assert.Equal(hashed, Hex.Encode(source.AsSpan()));
            }
            else
            {
                Assert.Equal(hashed, Hex.Encode(MsgPackSerializer.Serialize(source)));
            }
            Assert.Equal(BigInteger.Parse(c.Hexs("dhtid_int"), CultureInfo.InvariantCulture), ToBigInteger(DhtId.ParseHex(expectedHex)));
            n++;
        }
        Assert.Equal(26, n);
    }

    [Fact]
    public void Xor_distance_and_common_prefix_match_python()
    {
        using JsonDocument doc = VectorJson.Load("dhtid.json");
        foreach (JsonElement c in doc.RootElement.GetProperty("xor_cases").EnumerateArray())
        {
            DhtId a = DhtId.Generate(VectorJson.ToMsgValue(c.GetProperty("a")));
            DhtId b = DhtId.Generate(VectorJson.ToMsgValue(c.GetProperty("b")));
            Assert.Equal(c.Hexs("a_hex"), a.ToString());
            Assert.Equal(c.Hexs("b_hex"), b.ToString());
            DhtId d = DhtId.Xor(a, b);
            Assert.Equal(c.Hexs("distance_hex"), d.ToString());
            Assert.Equal(BigInteger.Parse(c.Hexs("distance_int"), CultureInfo.InvariantCulture), ToBigInteger(d));
            int lcp = c.GetProperty("longest_common_prefix_length").GetInt32();
            Assert.Equal(lcp, DhtId.CommonPrefixLength(a, b));
            Assert.Equal(lcp, DhtId.CommonPrefixLength([a, b]));
        }
    }

    [Fact]
    public void From_bytes_edge_cases_match_python()
    {
        using JsonDocument doc = VectorJson.Load("dhtid.json");
        foreach (JsonElement c in doc.RootElement.GetProperty("from_bytes_cases").EnumerateArray())
        {
            DhtId id = DhtId.FromBytes(Hex.Decode(c.Hexs("input_hex")));
            Assert.Equal(c.Hexs("to_bytes_hex"), Hex.Encode(id.ToBytes()));
            Assert.Equal(BigInteger.Parse(c.Hexs("int"), CultureInfo.InvariantCulture), ToBigInteger(id));
        }
    }

    [Fact]
    public void From_bytes_accepts_any_length_below_two_to_the_160()
    {
        Assert.Equal("0000000000000000000000000000000000000102", DhtId.FromBytes([1, 2]).ToString());
        Assert.Equal("ff" + new string('0', 38), DhtId.FromBytes([0, 0, 0xff, .. new byte[19]]).ToString());
        Assert.False(DhtId.TryFromBytes([1, .. new byte[20]], out _));
        Assert.Throws<KadKeyFormatException>(() => DhtId.FromBytes(new byte[21] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }));
        Assert.Throws<KadKeyFormatException>(() => DhtId.ParseHex("xyz"));
    }

    internal static BigInteger ToBigInteger(DhtId id) => new(id.ToBytes(), isUnsigned: true, isBigEndian: true);
}
