using System.Diagnostics;
using System.Text.Json;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Rpc;
using Mesh.Node.Chain.Scale;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Chain.Storage;

namespace Mesh.Interop.Tests.Chain;

/// <summary>The generic Substrate client against the real runtime: reads, HTTP, subscriptions, fees, transfers and
/// the two ways a write fails (dispatch error in a block; pool rejection before any block).</summary>
[Collection("chopsticks")]
public sealed class SubstrateClientChainTests(ChopsticksFixture chain, ITestOutputHelper output)
{
    private const string DevMnemonic = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
    private static readonly UInt128 s_tensor = UInt128.Parse("1000000000000000000");

    private static CancellationToken Budget(TimeSpan budget)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(budget);
        return cts.Token;
    }

    [Fact]
    public async Task Reads_identity_version_metadata_constants_and_storage()
    {
        chain.Require();
        CancellationToken ct = Budget(TimeSpan.FromSeconds(60));
        SubstrateClient c = chain.Client;
        Assert.Equal("hoskinson_testnet", await c.ChainNameAsync(ct));
        Assert.Equal("hypertensor-node", c.RuntimeVersion.SpecName);
        Assert.Equal(1u, c.RuntimeVersion.SpecVersion);
        Assert.Equal(15, c.Metadata.Version);
        Assert.Equal(23, c.Metadata.Pallet("Network").Index);
        Assert.Equal(20u, c.Constant("Network", "EpochLength").AsU32());
        Assert.Equal(c.GenesisHash, await c.BlockHashAsync(0, ct));
        ulong best = await c.BlockNumberAsync(null, ct);
        Assert.True(best >= 1);
        Assert.Equal(best, (await c.GetStorageAsync("System", "Number"))!.AsU64());
        // A query at an older block sees that block's state.
        byte[] one = await c.BlockHashAsync(1, ct);
        Assert.Equal(1u, (await c.GetStorageAsync("System", "Number", [], one, ct))!.AsU64());
        // Genesis values of RUNTIME.md §9.
        Assert.Equal(3u, (await c.GetStorageAsync("Network", "MinSubnetNodes"))!.AsU32());
        Assert.Equal(2u, (await c.GetStorageAsync("Network", "OverwatchEpochLengthMultiplier"))!.AsU32());
        EthereumKeyPair alith = EthereumKeyPair.FromMnemonic(DevMnemonic);
        Assert.True(await c.FreeBalanceAsync(alith.Address, ct) > 0);
        // The same reads over HTTP.
        await using SubstrateClient http = await SubstrateClient.ConnectAsync(chain.HttpUri, cancellationToken: ct);
        Assert.Equal(c.GenesisHash, http.GenesisHash);
        Assert.Equal(c.Metadata.Encode(), http.Metadata.Encode());
        Assert.Equal(3u, (await http.GetStorageAsync("Network", "MinSubnetNodes"))!.AsU32());
    }

    [Fact]
    public async Task Paged_key_iteration_walks_every_account()
    {
        chain.Require();
        CancellationToken ct = Budget(TimeSpan.FromSeconds(60));
        SubstrateClient c = chain.Client;
        var accounts = new List<byte[]>();
        await foreach ((ScaleValue?[] keys, ScaleValue value) in c.IterateStorageAsync("System", "Account", [], pageSize: 4, cancellationToken: ct))
        {
            accounts.Add(keys[0]!.AsBytes());
            Assert.True(value["data"]["free"].AsU128() > 0);
        }
        Assert.True(accounts.Count >= 14, $"{accounts.Count} accounts");
        Assert.Equal(accounts.Count, accounts.Select(Convert.ToHexString).Distinct().Count());
        Assert.Contains(accounts, a => Convert.ToHexStringLower(a) == "f24ff3a9cf04c71dbc94d0b566f7a27b94566cac");
        IReadOnlyList<byte[]> page = await c.GetKeysPagedAsync(StorageKeys.Build(c.Metadata, "System", "Account"), 2, null, null, ct);
        Assert.Equal(2, page.Count);
    }

    [Fact]
    public async Task Transfer_with_fee_query_events_and_head_and_storage_subscriptions()
    {
        chain.Require();
        CancellationToken ct = Budget(TimeSpan.FromSeconds(90));
        SubstrateClient c = chain.Client;
        EthereumKeyPair baltathar = EthereumKeyPair.FromMnemonic(DevMnemonic, "", "m/44'/60'/0'/0/1");
        EthereumKeyPair fresh = EthereumKeyPair.FromPrivateKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using RpcSubscription heads = await c.SubscribeNewHeadsAsync(ct);
        await using RpcSubscription finalized = await c.SubscribeFinalizedHeadsAsync(ct);
        byte[] accountKey = StorageKeys.Build(c.Metadata, "System", "Account", ScaleValue.Bytes(fresh.Address.Bytes));
        await using RpcSubscription storage = await c.SubscribeStorageAsync([accountKey], ct);
        JsonElement initial = await storage.NextAsync(TimeSpan.FromSeconds(20), ct); // the current value (absent)
        Assert.Equal(JsonValueKind.Null, initial.GetProperty("changes")[0][1].ValueKind);

        byte[] call = c.Builder.EncodeCall("Balances", "transfer_keep_alive", ("dest", ScaleValue.Bytes(fresh.Address.Bytes)), ("value", 10 * s_tensor));
        SignedExtrinsic x = await c.SignAsync(baltathar, call, null, ct);
        FeeInfo fee = await c.QueryFeeAsync(x, ct);
        output.WriteLine($"transfer fee: {fee}");
        Assert.True(fee.PartialFee > 0);
        Assert.Equal("Normal", fee.DispatchClass);
        var sw = Stopwatch.StartNew();
        ExtrinsicResult result = await c.SubmitAndWatchAsync(x, WaitFor.Finalized, TimeSpan.FromSeconds(60), ct);
        output.WriteLine($"transfer finalized in {sw.Elapsed.TotalSeconds:0.00} s at block {result.BlockNumber}");
        ChainEvent transfer = result.Find("Balances", "Transfer") ?? throw new Xunit.Sdk.XunitException("no Transfer event: " + string.Join("; ", result.Events));
        Assert.Equal(baltathar.Address.ToArray(), transfer["from"].AsBytes());
        Assert.Equal(fresh.Address.ToArray(), transfer["to"].AsBytes());
        Assert.Equal(10 * s_tensor, transfer["amount"].AsU128());
        Assert.NotNull(result.Find("System", "ExtrinsicSuccess"));
        Assert.Equal(10 * s_tensor, await c.FreeBalanceAsync(fresh.Address, ct));

        JsonElement head = await heads.NextAsync(TimeSpan.FromSeconds(20), ct);
        Assert.True(ChainJson.HexNumber(head.GetProperty("number").GetString()!, "number") >= 1);
        Assert.Equal(JsonValueKind.String, (await finalized.NextAsync(TimeSpan.FromSeconds(20), ct)).GetProperty("parentHash").ValueKind);
        JsonElement change = await storage.NextAsync(TimeSpan.FromSeconds(20), ct);
        Assert.Equal(JsonValueKind.String, change.GetProperty("changes")[0][1].ValueKind);
    }

    [Fact]
    public async Task A_failed_dispatch_surfaces_the_pallet_error_name_and_docs()
    {
        chain.Require();
        CancellationToken ct = Budget(TimeSpan.FromSeconds(60));
        SubstrateClient c = chain.Client;
        EthereumKeyPair charleth = EthereumKeyPair.FromMnemonic(DevMnemonic, "", "m/44'/60'/0'/0/2");
        uint nonceBefore = await c.AccountNextIndexAsync(charleth.Address, ct);
        // RUNTIME.md §7: register_subnet_node on a subnet that does not exist fails with InvalidSubnetId.
        byte[] call = c.Builder.EncodeCall("Network", "register_subnet_node",
            ("subnet_id", 999u), ("hotkey", ScaleValue.Bytes(EthereumKeyPair.FromMnemonic(DevMnemonic, "", "m/44'/60'/0'/0/9").Address.Bytes)),
            ("peer_id", ScaleValue.Utf8("12D3KooWLpA4WNkXqVqMKntct9rkNRkMHcvRBAwUFGTWomXkWX9h")),
            ("bootnode_peer_id", ScaleValue.Utf8("12D3KooWEkevMFNjRRqyzbkSgujbrnSrExG9D2YERipcUaJMRsFk")),
            ("client_peer_id", ScaleValue.Utf8("12D3KooWM9Qtjr4JiW6CcxGUT8a184N84NpG81pwqHcGzS9K6mRb")),
            ("bootnode", ScaleValue.None), ("delegate_reward_rate", 0u), ("stake_to_be_added", 100 * s_tensor),
            ("unique", ScaleValue.None), ("non_unique", ScaleValue.None), ("max_burn_amount", 1000 * s_tensor));
        ExtrinsicFailedException ex = await Assert.ThrowsAsync<ExtrinsicFailedException>(() => c.SignAndSubmitAsync(charleth, call, null, ct));
        output.WriteLine(ex.Message);
        Assert.Equal("Network", ex.Pallet);
        Assert.Equal("InvalidSubnetId", ex.Error);
        Assert.Equal("Subnet doesn't exist", ex.Docs);
        Assert.True(ex.ExtrinsicIndex >= 1); // index 0 is the timestamp inherent
        // The pallet checks ownership before existence for activate_subnet.
        ExtrinsicFailedException owner = await Assert.ThrowsAsync<ExtrinsicFailedException>(() =>
            c.SignAndSubmitAsync(charleth, c.Builder.EncodeCall("Network", "activate_subnet", ("subnet_id", 999u)), null, ct));
        Assert.Equal("NotSubnetOwner", owner.Error);
        Assert.Equal("Not subnet owner", owner.Docs);
        // RUNTIME.md §7: a call that fails at dispatch is included, pays, and uses its nonce.
        Assert.Equal(nonceBefore + 2, await c.AccountNextIndexAsync(charleth.Address, ct));
    }

    [Fact]
    public async Task A_stale_nonce_is_refused_by_the_pool_with_code_1010_and_not_resubmitted()
    {
        chain.Require();
        CancellationToken ct = Budget(TimeSpan.FromSeconds(60));
        SubstrateClient c = chain.Client;
        EthereumKeyPair alith = EthereumKeyPair.FromMnemonic(DevMnemonic);
        byte[] call = c.Builder.EncodeCall("System", "remark", ("remark", ScaleValue.Utf8("meshcore")));
        ExtrinsicResult ok = await c.SignAndSubmitAsync(alith, call, null, ct);
        uint used = (await c.AccountNextIndexAsync(alith.Address, ct)) - 1;
        Assert.NotNull(ok.Find("System", "ExtrinsicSuccess"));
        SignedExtrinsic stale = await c.SignAsync(alith, call, new TransactionOptions { Nonce = used }, ct);
        ChainRpcException ex = await Assert.ThrowsAsync<ChainRpcException>(() => c.SubmitAndWatchAsync(stale, WaitFor.InBlock, TimeSpan.FromSeconds(30), ct));
        output.WriteLine(ex.Message);
        Assert.Equal(ChainRpcException.InvalidTransaction, ex.Code);
        // A tampered signature is refused the same way (bad proof).
        SignedExtrinsic good = await c.SignAsync(alith, call, null, ct);
        byte[] tampered = (byte[])good.Bytes.Clone();
        tampered[30] ^= 1; // inside the signature
        var bad = good with { Bytes = tampered };
        ChainRpcException badProof = await Assert.ThrowsAsync<ChainRpcException>(() => c.SubmitAsync(bad, ct));
        Assert.Equal(ChainRpcException.InvalidTransaction, badProof.Code);
        Assert.Contains("badProof", badProof.Message, StringComparison.OrdinalIgnoreCase);
    }
}
