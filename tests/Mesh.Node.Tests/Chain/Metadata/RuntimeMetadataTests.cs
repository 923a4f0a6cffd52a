using Mesh.Node.Chain;
using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Scale;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Metadata;

public sealed class RuntimeMetadataTests
{
    [Fact]
    public void V14_and_V15_of_the_real_runtime_decode_and_re_encode_byte_for_byte()
    {
        RuntimeMetadata v14 = RuntimeMetadata.Decode(ChainTestData.MetadataV14);
        RuntimeMetadata v15 = RuntimeMetadata.Decode(ChainTestData.MetadataV15);
        Assert.Equal(14, v14.Version);
        Assert.Equal(15, v15.Version);
        Assert.Equal(ChainTestData.MetadataV14, v14.Encode());
        Assert.Equal(ChainTestData.MetadataV15, v15.Encode());
        Assert.Equal(25, v15.Pallets.Length);
        Assert.Equal(23, v14.Pallet("Network").Index);
        Assert.Equal(23, v15.Pallet("Network").Index);
    }

    [Fact]
    public void Signed_extensions_are_the_nine_of_runtime_md_in_order()
    {
        foreach (byte[] blob in new[] { ChainTestData.MetadataV14, ChainTestData.MetadataV15 })
        {
            RuntimeMetadata m = RuntimeMetadata.Decode(blob);
            Assert.Equal(
                ["CheckNonZeroSender", "CheckSpecVersion", "CheckTxVersion", "CheckGenesis", "CheckMortality", "CheckNonce",
                 "CheckWeight", "ChargeTransactionPayment", "StorageWeightReclaim"],
                m.Extrinsic.SignedExtensions.Select(s => s.Identifier));
            Assert.Equal(4, m.Extrinsic.Version);
        }
    }

    [Fact]
    public void Constants_decode_from_metadata_types()
    {
        RuntimeMetadata m = ChainTestData.Metadata;
        ConstantMetadata epoch = m.Constant("Network", "EpochLength");
        Assert.Equal(20u, ScaleCodec.Decode(m.Types, epoch.TypeId, epoch.Value).AsU32());
        ConstantMetadata slots = m.Constant("Network", "DesignatedEpochSlots");
        Assert.Equal(3u, ScaleCodec.Decode(m.Types, slots.TypeId, slots.Value).AsU32());
        ConstantMetadata ed = m.Constant("Balances", "ExistentialDeposit");
        Assert.Equal(500u, ScaleCodec.Decode(m.Types, ed.TypeId, ed.Value).AsU32());
    }

    [Fact]
    public void Storage_entries_carry_the_hashers_of_runtime_md()
    {
        RuntimeMetadata m = ChainTestData.Metadata;
        Assert.Equal([StorageHasher.Identity, StorageHasher.Blake2_128Concat], m.Storage("Network", "HotkeySubnetNodeId").Hashers);
        Assert.Equal([StorageHasher.Blake2_128Concat, StorageHasher.Identity], m.Storage("Network", "AccountSubnetStake").Hashers);
        Assert.Equal(StorageEntryModifier.Optional, m.Storage("Network", "SubnetsData").Modifier);
        Assert.False(m.Storage("Network", "TotalSubnetUids").IsMap);
    }

    [Fact]
    public void V15_lists_the_network_runtime_api()
    {
        RuntimeApiMetadata api = Assert.Single(ChainTestData.Metadata.Apis, a => a.Name == "NetworkRuntimeApi");
        Assert.Contains(api.Methods, x => x.Name == "proof_of_stake" && x.Inputs.Length == 3);
    }

    [Fact]
    public void Unsupported_version_and_bad_magic_are_typed_errors()
    {
        byte[] blob = (byte[])ChainTestData.MetadataV14.Clone();
        blob[4] = 13;
        Assert.Throws<ChainDecodeException>(() => RuntimeMetadata.Decode(blob));
        blob[4] = 14;
        blob[0] = 0;
        Assert.Throws<ChainDecodeException>(() => RuntimeMetadata.Decode(blob));
        Assert.Throws<ChainDecodeException>(() => RuntimeMetadata.Decode([]));
    }

    [Fact]
    public void Every_truncation_of_a_small_prefix_and_sampled_truncations_are_typed_errors()
    {
        byte[] blob = ChainTestData.MetadataV14;
        for (int len = 0; len < blob.Length; len += len < 512 ? 1 : 997)
        {
            Assert.Throws<ChainDecodeException>(() => RuntimeMetadata.Decode(blob.AsSpan(0, len)));
        }
        byte[] longer = [.. blob, 0];
        Assert.Throws<ChainDecodeException>(() => RuntimeMetadata.Decode(longer));
    }

    [Fact]
    public void Dangling_type_ids_are_refused()
    {
        // Minimal V14 document: no types, no pallets, extrinsic type #5 which does not exist.
        byte[] doc = Hex.Decode("6d6574610e" + "00" + "00" + "14" + "04" + "00" + "00");
        ChainDecodeException ex = Assert.Throws<ChainDecodeException>(() => RuntimeMetadata.Decode(doc));
        Assert.Contains("type #5", ex.Message);
    }
}

public sealed class MetadataFuzzSeedTests
{
    [Theory]
    [InlineData("minimal-v14.bin", 14)]
    [InlineData("minimal-v15.bin", 15)]
    [InlineData("hoskinson-v14.bin", 14)]
    [InlineData("hoskinson-v15.bin", 15)]
    public void Metadata_fuzz_seeds_are_valid_documents(string file, int version)
    {
        byte[] blob = File.ReadAllBytes(Path.Combine(SharedData.RepositoryRoot, "fuzz", "corpus", "metadata", file));
        RuntimeMetadata m = RuntimeMetadata.Decode(blob);
        Assert.Equal(version, m.Version);
        Assert.Equal(blob, m.Encode());
    }
}
