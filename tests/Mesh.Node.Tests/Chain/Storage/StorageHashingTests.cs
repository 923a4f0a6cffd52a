using System.Text;
using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Storage;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Storage;

public sealed class StorageHashingTests
{
    // Well-known prefixes (Substrate docs "Transparent keys"; RUNTIME.md §5 for Network and its items).
    [Theory]
    [InlineData("System", "26aa394eea5630e07c48ae0c9558cef7")]
    [InlineData("Account", "b99d880ec681799c0cf30e8886371da9")]
    [InlineData("Events", "80d41e5e16056765bc8461851072c9d7")]
    [InlineData("Number", "02a5c1b19ab7a04f536c519aca4983ac")]
    [InlineData("Network", "f258460b41b9b2fdb96c15e5c16fdacb")]
    [InlineData("SubnetsData", "bb10ba25b56650486e69d99d70e617e9")]
    [InlineData("SubnetNodesData", "6c207a1a60e722d5747f6ef3938ef1b2")]
    [InlineData("SubnetElectedValidator", "d601824e0535d19c70dba7e2304eeb74")]
    public void Twox128_known_outputs(string text, string hex) =>
        Assert.Equal(hex, Hex.Encode(StorageHashing.Hash(StorageHasher.Twox128, Encoding.UTF8.GetBytes(text))));

    [Fact]
    public void Twox64Concat_of_empty_is_xxh64_seed0_le()
    {
        // xxh64("", seed 0) = 0xef46db3751d8e999
        Assert.Equal("99e9d85137db46ef", Hex.Encode(StorageHashing.Hash(StorageHasher.Twox64Concat, [])));
        byte[] concat = StorageHashing.Hash(StorageHasher.Twox64Concat, [1, 2, 3, 4]);
        Assert.Equal(12, concat.Length);
        Assert.Equal("01020304", Hex.Encode(concat.AsSpan(8)));
        Assert.Equal(Hex.Encode(StorageHashing.Hash(StorageHasher.Twox256, [1, 2, 3, 4]).AsSpan(0, 8)), Hex.Encode(concat.AsSpan(0, 8)));
    }

    [Fact]
    public void Blake2_known_outputs()
    {
        // BLAKE2b-256("") and BLAKE2b-512 reference value truncated variants (RFC 7693 Appendix A is for "abc").
        Assert.Equal("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
            Hex.Encode(StorageHashing.Hash(StorageHasher.Blake2_256, [])));
        Assert.Equal("cae66941d9efbd404e4d88758ea67670", Hex.Encode(StorageHashing.Hash(StorageHasher.Blake2_128, [])));
    }

    [Fact]
    public void Blake2_128Concat_of_an_account_matches_the_chain()
    {
        // RUNTIME.md §5: HotkeySubnetNodeId(1, 0x2f77…38EB) ends with blake2_128(hotkey) ++ hotkey.
        byte[] hotkey = Hex.Decode("2f7703ba9953d422294079a1cb32f5d2b60e38eb");
        Assert.Equal("2e0ee1087d4e32b3daf2cb9d92864b982f7703ba9953d422294079a1cb32f5d2b60e38eb",
            Hex.Encode(StorageHashing.Hash(StorageHasher.Blake2_128Concat, hotkey)));
    }

    [Fact]
    public void Identity_and_twox256()
    {
        Assert.Equal("01000000", Hex.Encode(StorageHashing.Hash(StorageHasher.Identity, [1, 0, 0, 0])));
        byte[] t256 = StorageHashing.Hash(StorageHasher.Twox256, Encoding.UTF8.GetBytes("System"));
        Assert.Equal(32, t256.Length);
        Assert.Equal("26aa394eea5630e07c48ae0c9558cef7", Hex.Encode(t256.AsSpan(0, 16)));
    }
}
