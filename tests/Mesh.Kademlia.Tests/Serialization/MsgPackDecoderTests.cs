using System.Buffers;
using System.Text.Json;
using Mesh.Kademlia.Serialization;
using Mesh.TestKit;

namespace Mesh.Kademlia.Tests.Serialization;

/// <summary>The codec test matrix for the msgpack decoder: splits, prefixes, malformed input, limits.</summary>
public sealed class MsgPackDecoderTests
{
    private static IEnumerable<byte[]> VectorEncodings()
    {
        using JsonDocument doc = VectorJson.Load("msgpack.json");
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (!c.TryGetProperty("loads_error", out _))
            {
                yield return Hex.Decode(c.Hexs("dumps_hex"));
            }
        }
    }

    [Fact]
    public void Every_split_point_and_one_byte_segments_decode_every_vector()
    {
        foreach (byte[] bytes in VectorEncodings())
        {
            MsgValue expected = MsgPackSerializer.Deserialize(bytes);
            foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(bytes))
            {
                ReadOnlySequence<byte> seq = sequence;
                OperationStatus status = MsgPackSerializer.TryRead(ref seq, out MsgValue value, out _);
                Assert.True(status == OperationStatus.Done, $"{shape} of {Hex.Encode(bytes)}: {status}");
                Assert.Equal(expected, value);
                Assert.Equal(0, seq.Length);
            }
        }
    }

    [Fact]
    public void Every_proper_prefix_needs_more_data_and_is_not_consumed()
    {
        foreach (byte[] bytes in VectorEncodings())
        {
            for (int len = 0; len < bytes.Length; len++)
            {
                foreach (ReadOnlySequence<byte> prefix in new[] { new ReadOnlySequence<byte>(bytes, 0, len), Segments.OneBytePerSegment(bytes[..len]) })
                {
                    ReadOnlySequence<byte> seq = prefix;
                    OperationStatus status = MsgPackSerializer.TryRead(ref seq, out _, out _);
                    Assert.True(status == OperationStatus.NeedMoreData, $"{Hex.Encode(bytes[..len])} of {Hex.Encode(bytes)}: {status}");
                    Assert.Equal(prefix.Start, seq.Start);
                    Assert.Equal(prefix.End, seq.End);
                }
                Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(bytes.AsMemory(0, len)));
            }
        }
    }

    [Fact]
    public void Two_values_back_to_back_are_read_one_at_a_time()
    {
        var seq = new ReadOnlySequence<byte>(Hex.Decode("a46e6f6465d5409101"));
        Assert.Equal(OperationStatus.Done, MsgPackSerializer.TryRead(ref seq, out MsgValue first, out _));
        Assert.Equal(OperationStatus.Done, MsgPackSerializer.TryRead(ref seq, out MsgValue second, out _));
        Assert.Equal(MsgValue.FromString("node"), first);
        Assert.Equal(MsgValue.Tuple(1), second);
        Assert.Equal(OperationStatus.NeedMoreData, MsgPackSerializer.TryRead(ref seq, out _, out _));
    }

    [Theory]
    [InlineData("c1", "never used")]
    [InlineData("a2fffe", "UTF-8")]
    [InlineData("a3eda080", "UTF-8")] // encoded surrogate: Python's codec rejects it
    [InlineData("a2c0af", "UTF-8")] // overlong '/'
    [InlineData("810101", "map key")] // int key (strict_map_key)
    [InlineData("81c0c0", "map key")]
    [InlineData("81d44090c0", "map key")] // a tuple key
    [InlineData("d44001", "array")] // a tuple must wrap an array
    [InlineData("c70240a161", "array")] // ... not a str (Python would make a tuple of characters)
    [InlineData("d5409201", "truncated")] // the array inside the tuple runs past the ext payload
    [InlineData("c7004090", "truncated")] // empty tuple payload
    [InlineData("d6409001c0c0", "after")] // trailing bytes inside the ext payload (ExtraData)
    public void Malformed_input_is_a_typed_error(string hex, string messagePart)
    {
        byte[] bytes = Hex.Decode(hex);
        var ex = Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(bytes));
        Assert.Contains(messagePart, ex.Message, StringComparison.OrdinalIgnoreCase);

        var seq = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(OperationStatus.InvalidData, MsgPackSerializer.TryRead(ref seq, out _, out MsgPackFormatException? error));
        Assert.NotNull(error);
    }

    public static TheoryData<string, string> MalformedDictionaries() => new()
    {
        { "93c0cb41d954fc40100000", "truncated" }, // cut short
        { "92c0c0", "3 elements" },
        { "93a178cb41d954fc4010000090", "maxsize" }, // maxsize is a str
        { "9300a17890", "latest_expiration_time" },
        { "9300cb41d954fc4010000091c0", "3 elements" }, // an item that is not a triple
        { "9300cb41d954fc401000009193a178a178cb41d954fc40100000", "bytes" }, // value is a str
        { "9300cb41d954fc401000009193a178c40100a178", "expiration_time" },
        { "9300cb41d954fc401000009193" + "91a178" + "c40100cb41d954fc40100000", "unhashable" }, // list subkey
        { "9300cb41d954fc401000009193" + "81a178c0" + "c40100cb41d954fc40100000", "unhashable" }, // dict subkey
        { "9300cb41d954fc401000009193" + "d5409190" + "c40100cb41d954fc40100000", "unhashable" }, // tuple holding a list
    };

    [Theory]
    [MemberData(nameof(MalformedDictionaries))]
    public void Malformed_dictionary_payloads_are_typed_errors(string payloadHex, string messagePart)
    {
        byte[] payload = Hex.Decode(payloadHex);
        byte[] ext = [0xc7, (byte)payload.Length, 0x50, .. payload];
        var ex = Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(ext));
        Assert.Contains(messagePart, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Trailing_bytes_after_the_value_are_refused_by_deserialize()
    {
        var ex = Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(Hex.Decode("c0c0")));
        Assert.Contains("follow", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_beyond_the_depth_limit_is_refused_before_recursing()
    {
        byte[] deep = [.. Enumerable.Repeat((byte)0x91, 65), 0xc0];
        Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(deep));
        byte[] ok = [.. Enumerable.Repeat((byte)0x91, 64), 0xc0];
        Assert.Equal(MsgKind.Array, MsgPackSerializer.Deserialize(ok).Kind);

        // Tuples nest through separate payload parses; they count against the same limit.
        MsgValue nested = MsgValue.Nil;
        for (int i = 0; i < 40; i++)
        {
            nested = MsgValue.Tuple(nested);
        }
        byte[] tuples = MsgPackSerializer.Serialize(nested);
        Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(tuples));
        Assert.Equal(nested, MsgPackSerializer.Deserialize(tuples, new MsgPackReadOptions { MaxDepth = 100 }));

        Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(Hex.Decode("9191c0"), new MsgPackReadOptions { MaxDepth = 1 }));
    }

    [Fact]
    public void Declared_lengths_over_the_limit_fail_at_the_header_without_waiting_for_data()
    {
        // bin32 declaring 4 GiB - 1, with no payload present: InvalidData at once, not NeedMoreData.
        foreach (string hex in new[] { "c6ffffffff", "dbffffffff", "c9ffffffff40", "ddffffffff", "dfffffffff" })
        {
            var seq = new ReadOnlySequence<byte>(Hex.Decode(hex));
            Assert.Equal(OperationStatus.InvalidData, MsgPackSerializer.TryRead(ref seq, out _, out _));
        }
        var small = new MsgPackReadOptions { MaxLength = 3 };
        Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(Hex.Decode("a461626364"), small));
        Assert.Equal(MsgValue.FromString("abc"), MsgPackSerializer.Deserialize(Hex.Decode("a3616263"), small));
    }

    [Fact]
    public void Element_counts_beyond_the_remaining_input_allocate_nothing()
    {
        // array32 of 2^31 elements inside a complete ext payload: refused by the count check, not by running out.
        var ex = Assert.Throws<MsgPackFormatException>(() => MsgPackSerializer.Deserialize(Hex.Decode("c70540dd7fffffff"), new MsgPackReadOptions { MaxLength = int.MaxValue }));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        // At top level the same header just needs more data.
        var seq = new ReadOnlySequence<byte>(Hex.Decode("dd00010000"));
        Assert.Equal(OperationStatus.NeedMoreData, MsgPackSerializer.TryRead(ref seq, out _, out _));
    }

    [Fact]
    public void Repeated_map_keys_keep_the_first_position_and_the_last_value_like_a_python_dict()
    {
        MsgValue m = MsgPackSerializer.Deserialize(Hex.Decode("83a16101a16202a16103"));
        Assert.Equal(MsgValue.Map(new MsgMapEntry("a", 3), new MsgMapEntry("b", 2)), m);
        // str and bytes keys are different keys.
        Assert.Equal(2, MsgPackSerializer.Deserialize(Hex.Decode("82a16101c4016102")).Count);
        // Many entries go through the hashed path.
        byte[] big = [0x8f, .. Enumerable.Range(0, 15).SelectMany(i => new byte[] { 0xa1, (byte)('a' + (i % 10)), (byte)i })];
        MsgValue dedup = MsgPackSerializer.Deserialize(big);
        Assert.Equal(10, dedup.Count);
        Assert.True(dedup.TryGetMapValue("a", out MsgValue a));
        Assert.Equal(MsgValue.FromInt64(10), a);
    }

    [Fact]
    public void Unknown_extensions_keep_their_code_and_re_encode_identically()
    {
        foreach (string hex in new[] { "d433aa", "c70051", "c703ff010203", "d7ff0000000000000000" })
        {
            byte[] bytes = Hex.Decode(hex);
            MsgValue v = MsgPackSerializer.Deserialize(bytes);
            Assert.Equal(MsgKind.Extension, v.Kind);
            Assert.Equal(bytes, MsgPackSerializer.Serialize(v));
        }
    }

    [Fact]
    public void Dictionary_payload_follows_unpackb()
    {
        // Two items with the same subkey "x": the later expiration wins in the first one's position; maxsize 0 is
        // falsy in Python (maxsize or inf) and becomes inf.
        MsgValue payload = MsgValue.Array(0, 1700000100.0, MsgValue.Array(
            MsgValue.Array("x", new byte[] { 1 }, 1700000010.0),
            MsgValue.Array("y", new byte[] { 2 }, 1700000020.0),
            MsgValue.Array("x", new byte[] { 3 }, 1700000030.0),
            MsgValue.Array("x", new byte[] { 4 }, 1700000005.0)));
        byte[] body = MsgPackSerializer.Serialize(payload);
        byte[] ext = [0xc7, (byte)body.Length, 0x50, .. body];
        DictionaryDhtValue d = MsgPackSerializer.Deserialize(ext).AsDictionary();
        Assert.Equal(double.PositiveInfinity, d.MaxSize.AsDouble());
        Assert.Equal(1700000100.0, d.LatestExpirationTime);
        Assert.Equal(2, d.Count);
        Assert.Equal(MsgValue.FromString("x"), d.Items[0].DecodeSubkey());
        Assert.Equal(new byte[] { 3 }, d.Items[0].Value.ToArray());
        Assert.Equal(1700000030.0, d.Items[0].ExpirationTime);
    }

    [Fact]
    public void Dictionary_subkeys_are_canonicalised()
    {
        // The subkey "node" arrives as a (non-minimal) str8; it is stored as Python would re-pack it: a4 6e6f6465.
        byte[] body = Hex.Decode("93c0cb41d954fc4010000091" + "93d9046e6f6465c40101cb41d954fc40100000");
        byte[] ext = [0xc7, (byte)body.Length, 0x50, .. body];
        DictionaryDhtValue d = MsgPackSerializer.Deserialize(ext).AsDictionary();
        Assert.Equal("a46e6f6465", Hex.Encode(d.Items[0].PackedSubkey.Span));
    }

    [Fact]
    public void Prune_drops_what_python_packb_drops()
    {
        var d = new DictionaryDhtValue(MsgValue.FromInt64(2), 50, [
            DictionaryDhtItem.Create("a", new byte[] { 1 }, 10),
            DictionaryDhtItem.Create("b", new byte[] { 2 }, 40),
            DictionaryDhtItem.Create("c", new byte[] { 3 }, 30),
            DictionaryDhtItem.Create("d", new byte[] { 4 }, 50),
        ]);
        DictionaryDhtValue pruned = d.Prune(now: 20);
        // "a" expired; of b, c, d only two may stay: the earliest-expiring "c" goes.
        Assert.Equal(["b", "d"], pruned.Items.Select(i => i.DecodeSubkey().AsString()));
        Assert.Same(pruned, pruned.Prune(20));
    }

    [Fact]
    public void Float32_is_widened_and_re_encoded_as_float64()
    {
        MsgValue v = MsgPackSerializer.Deserialize(Hex.Decode("ca3fc00000"));
        Assert.Equal(1.5, v.AsDouble());
        Assert.Equal("cb3ff8000000000000", Hex.Encode(MsgPackSerializer.Serialize(v)));
    }

    [Fact]
    public void Aliasing_is_opt_in()
    {
        byte[] input = Hex.Decode("c403010203");
        MsgValue copied = MsgPackSerializer.Deserialize(input.AsMemory());
        MsgValue aliased = MsgPackSerializer.Deserialize(input.AsMemory(), new MsgPackReadOptions { AliasInput = true });
        input[2] = 0xff;
        Assert.Equal(new byte[] { 1, 2, 3 }, copied.AsSpan().ToArray());
        Assert.Equal(new byte[] { 0xff, 2, 3 }, aliased.AsSpan().ToArray());
    }

    [Fact]
    public void Strings_with_lone_surrogates_cannot_be_encoded()
    {
        Assert.Throws<ArgumentException>(() => MsgPackSerializer.Serialize("a\ud800b"));
        Assert.Throws<ArgumentException>(() => MsgPackSerializer.SerializeString("\udc00"));
    }

    [Fact]
    public void Value_model_accessors_and_equality()
    {
        Assert.Equal(MsgValue.Nil, default);
        Assert.NotEqual(MsgValue.FromInt64(1), MsgValue.FromDouble(1.0));
        Assert.NotEqual(MsgValue.FromInt64(1), MsgValue.True);
        Assert.NotEqual(MsgValue.FromString("a"), MsgValue.FromBytes("a"u8.ToArray()));
        Assert.NotEqual(MsgValue.Array(1), MsgValue.Tuple(1));
        Assert.Equal(MsgValue.FromDouble(double.NaN), MsgValue.FromDouble(double.NaN));
        Assert.Equal(MsgValue.FromUInt64(5), MsgValue.FromInt64(5));
        Assert.True(MsgValue.FromUInt64(ulong.MaxValue).TryGetUInt64(out ulong u) && u == ulong.MaxValue);
        Assert.False(MsgValue.FromUInt64(ulong.MaxValue).TryGetInt64(out _));
        Assert.False(MsgValue.FromInt64(-1).TryGetUInt64(out _));
        Assert.Throws<InvalidOperationException>(() => MsgValue.FromInt64(1).AsString());
        Assert.Equal("(1, 'a', b'b', [None, True], {'k': 1.5})", MsgValue.Tuple(1, "a", new byte[] { 0x62 }, MsgValue.Array(MsgValue.Nil, true), MsgValue.Map(new MsgMapEntry("k", 1.5))).ToString());
        Assert.Equal("(1,)", MsgValue.Tuple(1).ToString());
    }
}
