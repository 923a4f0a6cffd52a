using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Scale;
using Mesh.Node.Chain.Signing;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Signing;

/// <summary>The hand-built extrinsics of RUNTIME.md §4, byte for byte, from the V14 and the V15 metadata.</summary>
public sealed class ExtrinsicBuilderTests
{
    private static readonly byte[] s_genesis = Enumerable.Repeat((byte)0x45, 32).ToArray();
    private static readonly EthereumKeyPair s_alith = EthereumKeyPair.FromPrivateKeyHex("0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133");

    public static TheoryData<int> Versions => new() { 14, 15 };

    private static ExtrinsicBuilder Builder(int version) =>
        new(RuntimeMetadata.Decode(version == 14 ? ChainTestData.MetadataV14 : ChainTestData.MetadataV15));

    [Theory]
    [MemberData(nameof(Versions))]
    public void Vector_a_transfer(int version)
    {
        ExtrinsicBuilder b = Builder(version);
        byte[] call = b.EncodeCall("Balances", "transfer_keep_alive",
            ("dest", Hex.Decode("2f7703ba9953d422294079a1cb32f5d2b60e38eb")), ("value", UInt128.Parse("10000000000000000000")));
        var p = new SigningParameters(1, 1, s_genesis, Era.Immortal, s_genesis, 0, 0);
        (byte[] extra, byte[] additional) = b.EncodeExtensions(p);
        Assert.Equal("000000", Hex.Encode(extra));
        Assert.Equal("01000000" + "01000000" + string.Concat(Enumerable.Repeat("45", 64)), Hex.Encode(additional));
        SignedExtrinsic x = b.Sign(call, s_alith, p);
        Assert.Equal("e10184f24ff3a9cf04c71dbc94d0b566f7a27b94566cac75a76e418bee79b16578f98562c8c3cc1a3c7bfd4976ecd8e7156ae21ca8f62d4d0aca90aef136e94bc3f8f65a1244378bcd63d39b266cde160fa07d58d368180100000004032f7703ba9953d422294079a1cb32f5d2b60e38eb130000e8890423c78a",
            Hex.Encode(x.Bytes));
        Assert.Equal(122, x.Bytes.Length);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Vector_b_register_subnet_node_is_blake2_prehashed(int version)
    {
        ExtrinsicBuilder b = Builder(version);
        UInt128 tensor = UInt128.Parse("1000000000000000000");
        byte[] call = b.EncodeCall("Network", "register_subnet_node",
            ("subnet_id", 1u),
            ("hotkey", Hex.Decode("2f7703ba9953d422294079a1cb32f5d2b60e38eb")),
            ("peer_id", ScaleValue.Utf8("12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h")),
            ("bootnode_peer_id", ScaleValue.Utf8("12D3KooWEkevMFNjRRqyzbkSgujbrnSrExG9D2YERipcUaJMRsFk")),
            ("client_peer_id", ScaleValue.Utf8("12D3KooWM9Qtjr4JiW6CcxGUT8a184N84NpG81pwqHcGzS9K6mRb")),
            ("bootnode", ScaleValue.None), ("delegate_reward_rate", 0u), ("stake_to_be_added", 100 * tensor),
            ("unique", ScaleValue.None), ("non_unique", ScaleValue.None), ("max_burn_amount", 1000 * tensor));
        var p = new SigningParameters(1, 1, s_genesis, Era.Immortal, s_genesis, 6, 0);
        Assert.Equal("b05f37de64d0ef946367e702a9a421b40bbb3bad00e7e67c29ac44c99bd38bf3", Hex.Encode(b.SigningMessage(call, p)));
        SignedExtrinsic x = b.Sign(call, s_alith, p);
        Assert.Equal(327, x.Bytes.Length);
        Assert.Equal("150584f24ff3a9cf04c71dbc94d0b566f7a27b94566cacf3e0ff6a789a6862bccf8ce3b5e8270b6593208fc5dea5b926b158dc1050f71122f869eee1fcd483ee0ea4f1e36b3889ebd96cdbc27f074bdd4a9731cfe01028000018001726010000002f7703ba9953d422294079a1cb32f5d2b60e38ebd0313244334b6f6f574c704134574e6b587156714d4b6e74637439726b4e526b4d4863765242417755464754576f6d586b57583968d0313244334b6f6f57456b65764d464e6a525271797a626b5367756a62726e537245784739443259455269706355614a4d5273466bd0313244334b6f6f574d3951746a72344a69573643637847555438613138344e38344e704738317077714863477a53394b366d52620000000000000000000000000000000000000010632d5ec76b050000000000000000000000a0dec5adc9353600000000000000",
            Hex.Encode(x.Bytes));
    }

    [Fact]
    public void Missing_or_extra_call_arguments_are_refused()
    {
        ExtrinsicBuilder b = Builder(15);
        Assert.Throws<ArgumentException>(() => b.EncodeCall("Network", "activate_subnet"));
        Assert.Throws<ArgumentException>(() => b.EncodeCall("Network", "activate_subnet", ("subnet_id", 1u), ("x", 2u)));
        Assert.Throws<Mesh.Node.Chain.ChainDecodeException>(() => b.EncodeCall("Network", "no_such_call"));
    }

    [Theory]
    [InlineData(64ul, 4ul, "4500")] // RUNTIME.md §4: period 64 from block 4
    [InlineData(64ul, 42ul, "a502")]
    [InlineData(4ul, 0ul, "0100")]
    [InlineData(65536ul, 70000ul, "7f11")] // phase 4464 quantized by 16: 15 | 279 << 4
    public void Mortal_era_encoding(ulong period, ulong block, string hex)
    {
        Era era = Era.Mortal(period, block);
        Assert.Equal(hex, Hex.Encode(era.ToBytes()));
        Era back = Era.Read(era.ToBytes(), out int consumed);
        Assert.Equal(2, consumed);
        Assert.Equal(era, back);
        Assert.True(era.BirthBlock(block) <= block);
        Assert.Equal(block % era.Period / Math.Max(era.Period >> 12, 1) * Math.Max(era.Period >> 12, 1), era.BirthBlock(block) % era.Period);
    }
}
