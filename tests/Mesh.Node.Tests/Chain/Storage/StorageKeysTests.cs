using Mesh.Node.Chain.Scale;
using Mesh.Node.Chain.Storage;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Storage;

/// <summary>Keys observed on the running chain (RUNTIME.md §5), rebuilt from the metadata's hashers and key types.</summary>
public sealed class StorageKeysTests
{
    private static readonly byte[] s_hotkey = Hex.Decode("2f7703ba9953d422294079a1cb32f5d2b60e38eb");

    [Fact]
    public void Network_keys_of_runtime_md()
    {
        var m = ChainTestData.Metadata;
        Assert.Equal("f258460b41b9b2fdb96c15e5c16fdacbbb10ba25b56650486e69d99d70e617e901000000",
            Hex.Encode(StorageKeys.Build(m, "Network", "SubnetsData", 1u)));
        Assert.Equal("f258460b41b9b2fdb96c15e5c16fdacb6c207a1a60e722d5747f6ef3938ef1b20100000001000000",
            Hex.Encode(StorageKeys.Build(m, "Network", "SubnetNodesData", 1u, 1u)));
        Assert.Equal("f258460b41b9b2fdb96c15e5c16fdacb04b4f7b4a278bec988960e53b14e4eeb01000000699c1831203ad196ec99aa7c565f98dcd0313244334b6f6f574c704134574e6b587156714d4b6e74637439726b4e526b4d4863765242417755464754576f6d586b57583968",
            Hex.Encode(StorageKeys.Build(m, "Network", "PeerIdSubnetNodeId", 1u, ScaleValue.Utf8("12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h"))));
        Assert.Equal("f258460b41b9b2fdb96c15e5c16fdacb37e2c82a06dcb1105e4d8014b1b7ea70010000002e0ee1087d4e32b3daf2cb9d92864b982f7703ba9953d422294079a1cb32f5d2b60e38eb",
            Hex.Encode(StorageKeys.Build(m, "Network", "HotkeySubnetNodeId", 1u, s_hotkey)));
        Assert.Equal("f258460b41b9b2fdb96c15e5c16fdacbbcf9c6d2d20230ab2a9af505c0fc27a92e0ee1087d4e32b3daf2cb9d92864b982f7703ba9953d422294079a1cb32f5d2b60e38eb01000000",
            Hex.Encode(StorageKeys.Build(m, "Network", "AccountSubnetStake", s_hotkey, 1u)));
        Assert.Equal("f258460b41b9b2fdb96c15e5c16fdacbd601824e0535d19c70dba7e2304eeb740100000003000000",
            Hex.Encode(StorageKeys.Build(m, "Network", "SubnetElectedValidator", 1u, 3u)));
        Assert.Equal("26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7", Hex.Encode(StorageKeys.Build(m, "System", "Events")));
        Assert.Equal("26aa394eea5630e07c48ae0c9558cef702a5c1b19ab7a04f536c519aca4983ac", Hex.Encode(StorageKeys.Build(m, "System", "Number")));
    }

    [Fact]
    public void Partial_keys_are_prefixes_and_keys_decode_back()
    {
        var m = ChainTestData.Metadata;
        byte[] full = StorageKeys.Build(m, "Network", "HotkeySubnetNodeId", 7u, s_hotkey);
        byte[] prefix = StorageKeys.Build(m, "Network", "HotkeySubnetNodeId", 7u);
        Assert.True(full.AsSpan().StartsWith(prefix));
        ScaleValue?[] keys = StorageKeys.DecodeKeys(m.Types, m.Storage("Network", "HotkeySubnetNodeId"), full);
        Assert.Equal(7u, keys[0]!.AsU32());
        Assert.Equal(s_hotkey, keys[1]!.AsBytes());
        Assert.Throws<ArgumentException>(() => StorageKeys.Build(m, "Network", "SubnetsData", 1u, 2u));
    }
}
