using System.Numerics;
using CsCheck;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Scale;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Scale;

/// <summary>The metadata-driven codec on the real runtime's own types (RUNTIME.md vectors).</summary>
public sealed class ScaleCodecTests
{
    private static RuntimeMetadata M => ChainTestData.Metadata;

    private static int CallArgType(string pallet, string call, string arg)
    {
        (_, TypeVariant v) = M.Call(pallet, call);
        return v.Fields.Single(f => f.Name == arg).TypeId;
    }

    private static byte[] EncodeCall(string pallet, string call, params (string, ScaleValue)[] args)
    {
        (PalletMetadata p, TypeVariant v) = M.Call(pallet, call);
        var bytes = new List<byte> { p.Index, v.Index };
        bytes.AddRange(ScaleCodec.Encode(M.Types, p.CallTypeId!.Value, ScaleValue.Variant(call, ScaleValue.Record(args).Fields.ToArray())).Skip(1));
        return [.. bytes];
    }

    [Fact]
    public void Transfer_call_of_vector_a()
    {
        byte[] call = EncodeCall("Balances", "transfer_keep_alive",
            ("dest", Hex.Decode("2f7703ba9953d422294079a1cb32f5d2b60e38eb")),
            ("value", UInt128.Parse("10000000000000000000")));
        Assert.Equal("04032f7703ba9953d422294079a1cb32f5d2b60e38eb130000e8890423c78a", Hex.Encode(call));
    }

    [Fact]
    public void Register_subnet_node_call_of_vector_b()
    {
        UInt128 tensor = UInt128.Parse("1000000000000000000");
        byte[] call = EncodeCall("Network", "register_subnet_node",
            ("subnet_id", 1u),
            ("hotkey", Hex.Decode("2f7703ba9953d422294079a1cb32f5d2b60e38eb")),
            ("peer_id", ScaleValue.Utf8("12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h")),
            ("bootnode_peer_id", ScaleValue.Utf8("12D3KooWEkevMFNjRRqyzbkSgujbrnSrExG9D2YERipcUaJMRsFk")),
            ("client_peer_id", ScaleValue.Utf8("12D3KooWM9Qtjr4JiW6CcxGUT8a184N84NpG81pwqHcGzS9K6mRb")),
            ("bootnode", ScaleValue.None),
            ("delegate_reward_rate", 0u),
            ("stake_to_be_added", 100 * tensor),
            ("unique", ScaleValue.None),
            ("non_unique", ScaleValue.None),
            ("max_burn_amount", 1000 * tensor));
        Assert.Equal("1726010000002f7703ba9953d422294079a1cb32f5d2b60e38ebd0313244334b6f6f574c704134574e6b587156714d4b6e74637439726b4e526b4d4863765242417755464754576f6d586b57583968d0313244334b6f6f57456b65764d464e6a525271797a626b5367756a62726e537245784739443259455269706355614a4d5273466bd0313244334b6f6f574d3951746a72344a69573643637847555438613138344e38344e704738317077714863477a53394b366d52620000000000000000000000000000000000000010632d5ec76b050000000000000000000000a0dec5adc9353600000000000000",
            Hex.Encode(call));
    }

    [Fact]
    public void BTreeMap_and_BTreeSet_are_encoded_in_rust_ord_order()
    {
        int coldkeys = CallArgType("Network", "owner_add_or_update_initial_coldkeys", "coldkeys");
        byte[] a = Hex.Decode("f24ff3a9cf04c71dbc94d0b566f7a27b94566cac");
        byte[] b = Hex.Decode("3cd0a705a2dc65e5b1e1205896baa2be8a07c6e0");
        byte[] c = Hex.Decode("798d4ba9baf0064ec19eb4f0a1a45785ae9d6dfc");
        byte[] encoded = ScaleCodec.Encode(M.Types, coldkeys, ScaleValue.Map([(a, 1u), (b, 2u), (c, 3u)]));
        Assert.Equal("0c" + Hex.Encode(b) + "02000000" + Hex.Encode(c) + "03000000" + Hex.Encode(a) + "01000000", Hex.Encode(encoded));

        // A set of u32 sorts numerically, not by little-endian bytes.
        int nodeIds = CallArgType("Network", "owner_set_emergency_validator_set", "subnet_node_ids"); // Vec<u32>: order kept
        Assert.Equal("080001000001000000", Hex.Encode(ScaleCodec.Encode(M.Types, nodeIds, ScaleValue.Sequence(256u, 1u))));
        int keyTypes = CallArgType("Network", "owner_update_key_types", "key_types");
        Assert.Equal("080103", Hex.Encode(ScaleCodec.Encode(M.Types, keyTypes,
            ScaleValue.Set([ScaleValue.Variant("Ecdsa"), ScaleValue.Variant("Ed25519")]))));
        Assert.Throws<ArgumentException>(() => ScaleCodec.Encode(M.Types, keyTypes,
            ScaleValue.Set([ScaleValue.Variant("Rsa"), ScaleValue.Variant("Rsa")])));
    }

    [Fact]
    public void Failed_extrinsic_event_record_of_runtime_md_decodes()
    {
        StorageEntryMetadata events = M.Storage("System", "Events");
        // One record in a Vec: 0x04 ++ the raw EventRecord RUNTIME.md §7 quotes.
        ScaleValue list = ScaleCodec.Decode(M.Types, events.ValueTypeId, Hex.Decode("04000100000000010317210000002261c91900000000"));
        ScaleValue record = Assert.Single(list.Items);
        Assert.True(record["phase"].IsVariant("ApplyExtrinsic"));
        Assert.Equal(1u, record["phase"][0].AsU32());
        ScaleValue evt = record["event"];
        Assert.True(evt.IsVariant("System"));
        ScaleValue failed = evt[0];
        Assert.True(failed.IsVariant("ExtrinsicFailed"));
        ScaleValue error = failed["dispatch_error"];
        Assert.True(error.IsVariant("Module"));
        Assert.Equal(23, error[0]["index"].AsU8());
        Assert.Equal("21000000", Hex.Encode(error[0]["error"].AsBytes()));
        Assert.Equal(108_157_000u, failed["dispatch_info"]["weight"]["ref_time"].AsU64());
    }

    [Fact]
    public void Option_result_and_integers_round_trip_through_registry_types()
    {
        int optionU32 = CallArgType("Network", "propose_attestation", "prioritize_queue_node_id");
        Assert.Equal("00", Hex.Encode(ScaleCodec.Encode(M.Types, optionU32, ScaleValue.None)));
        Assert.Equal("012a000000", Hex.Encode(ScaleCodec.Encode(M.Types, optionU32, ScaleValue.Some(42u))));
        Assert.Equal(42u, ScaleCodec.Decode(M.Types, optionU32, Hex.Decode("012a000000")).AsOption()!.AsU32());
        Assert.Throws<ChainDecodeException>(() => ScaleCodec.Decode(M.Types, optionU32, Hex.Decode("022a000000")));
        Assert.Throws<ChainDecodeException>(() => ScaleCodec.Decode(M.Types, optionU32, Hex.Decode("012a0000")));
        Assert.Throws<ChainDecodeException>(() => ScaleCodec.Decode(M.Types, optionU32, Hex.Decode("012a00000000")));
        int u128 = CallArgType("Network", "add_stake", "stake_to_be_added");
        Assert.Throws<ArgumentException>(() => ScaleCodec.Encode(M.Types, u128, ScaleValue.Int(BigInteger.MinusOne)));
        Assert.Throws<ArgumentException>(() => ScaleCodec.Encode(M.Types, u128, ScaleValue.Int(BigInteger.One << 128)));
    }

    [Fact]
    public void Bounded_vectors_accept_bytes_and_enforce_nothing_the_chain_does_not()
    {
        int bounded = CallArgType("Network", "attest", "attest_data"); // Option<BoundedVec<u8>>
        Assert.Equal("010c616263", Hex.Encode(ScaleCodec.Encode(M.Types, bounded, ScaleValue.Some(ScaleValue.Utf8("abc")))));
    }

    [Fact]
    public void Consensus_data_round_trips_property()
    {
        int data = CallArgType("Network", "propose_attestation", "data"); // Vec<SubnetNodeConsensusData>
        Gen.Select(Gen.UInt, Gen.ULong, Gen.ULong).Array[0, 20].Sample(items =>
        {
            ScaleValue value = ScaleValue.Sequence(items.Select(i =>
                ScaleValue.Record(("subnet_node_id", i.Item1), ("score", new UInt128(i.Item2, i.Item3)))));
            byte[] bytes = ScaleCodec.Encode(M.Types, data, value);
            ScaleValue back = ScaleCodec.Decode(M.Types, data, bytes);
            Assert.Equal(items.Length, back.Items.Count);
            for (int k = 0; k < items.Length; k++)
            {
                Assert.Equal(items[k].Item1, back[k]["subnet_node_id"].AsU32());
                Assert.Equal(new UInt128(items[k].Item2, items[k].Item3), back[k]["score"].AsU128());
            }
            Assert.Equal(bytes, ScaleCodec.Encode(M.Types, data, back));
        }, iter: 2_000, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void Every_event_type_decodes_its_own_re_encoding_of_random_bytes_or_fails_typed()
    {
        // Robustness: random bytes through the runtime's full event enum never throw anything but ChainDecodeException.
        int eventType = M.OuterEnums!.EventTypeId;
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            try
            {
                ScaleValue v = ScaleCodec.Decode(M.Types, eventType, bytes);
                Assert.Equal(bytes, ScaleCodec.Encode(M.Types, eventType, v));
            }
            catch (ChainDecodeException)
            {
            }
        }, iter: 5_000, seed: "0N0XIzNsQ0O2");
    }
}
