using Mesh.Node.Chain;
using Mesh.Node.Chain.Rpc;

namespace Mesh.Node.Tests.Chain.Rpc;

/// <summary><see cref="SubstrateClient"/> against a fake node that serves real metadata or malformed answers.</summary>
public sealed class SubstrateClientFakeChainTests
{
    private static readonly string s_metadataOption =
        "\"0x01" + Convert.ToHexStringLower(Compact(ChainTestData.MetadataV15.Length)) + Convert.ToHexStringLower(ChainTestData.MetadataV15) + "\"";

    private static byte[] Compact(int n)
    {
        var b = new byte[17];
        Mesh.Node.Chain.Scale.ScaleCompact.TryWrite(b, (uint)n, out int w);
        return b[..w];
    }

    private static FakeReply Node(string method, string? metadata = null, string? storage = null) => method switch
    {
        "chain_getBlockHash" => new FakeReply.Result("\"0x" + new string('4', 64).Replace("44", "45") + "\""),
        "state_getRuntimeVersion" => new FakeReply.Result("{\"specName\":\"hypertensor-node\",\"implName\":\"x\",\"specVersion\":1,\"implVersion\":1,\"transactionVersion\":1,\"authoringVersion\":1,\"apis\":[]}"),
        "state_call" => new FakeReply.Result(metadata ?? s_metadataOption),
        "state_getStorage" => new FakeReply.Result(storage ?? "null"),
        _ => new FakeReply.Error(-32601, "Method not found"),
    };

    private static CancellationToken Timeout30s()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts.Token;
    }

    [Fact]
    public async Task Loads_v15_metadata_and_decodes_storage_and_defaults()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, p, _) => Node(m, storage: m == "state_getStorage" && p[0].GetString()!.EndsWith("01000000", StringComparison.Ordinal) ? "\"0x2a000000\"" : null));
        await using SubstrateClient client = await SubstrateClient.ConnectAsync(server.WebSocketUri, cancellationToken: ct);
        Assert.Equal(15, client.Metadata.Version);
        Assert.Equal(1u, client.RuntimeVersion.SpecVersion);
        Assert.Equal(20u, client.Constant("Network", "EpochLength").AsU32());
        Assert.Equal(42u, (await client.GetStorageAsync("Network", "SubnetSlot", 1u))!.AsU32());
        Assert.Null(await client.GetStorageAsync("Network", "SubnetSlot", 2u)); // OptionQuery
        Assert.Equal(4u, (await client.GetStorageAsync("Network", "ChurnLimit", 2u))!.AsU32()); // ValueQuery default
    }

    [Theory]
    [InlineData("\"0x01ff\"")]          // Option<Vec<u8>> with a truncated length
    [InlineData("\"0x0108deadbeef\"")]  // a Vec<u8> that is not metadata
    [InlineData("\"nothex\"")]
    [InlineData("12")]
    public async Task Malformed_metadata_is_a_decode_error(string answer)
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, _, _) => Node(m, metadata: answer));
        await Assert.ThrowsAsync<ChainDecodeException>(() => SubstrateClient.ConnectAsync(server.WebSocketUri, cancellationToken: ct));
    }

    [Fact]
    public async Task Storage_bytes_that_do_not_match_the_type_are_a_decode_error()
    {
        CancellationToken ct = Timeout30s();
        await using var server = new FakeJsonRpcServer((m, _, _) => Node(m, storage: "\"0x2a00\""));
        await using SubstrateClient client = await SubstrateClient.ConnectAsync(server.HttpUri, cancellationToken: ct);
        await Assert.ThrowsAsync<ChainDecodeException>(() => client.GetStorageAsync("Network", "SubnetSlot", 1u));
    }
}
