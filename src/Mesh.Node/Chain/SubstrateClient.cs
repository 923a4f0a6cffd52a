using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Rpc;
using Mesh.Node.Chain.Scale;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Chain.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Node.Chain;

/// <summary>How long to wait for a submitted extrinsic.</summary>
public enum WaitFor
{
    /// <summary>Until it is in a block (the default; the block's events are then read).</summary>
    InBlock,

    /// <summary>Until that block is finalized.</summary>
    Finalized,
}

/// <summary>Options for building and submitting one extrinsic.</summary>
public sealed record TransactionOptions
{
    /// <summary>Explicit nonce; null reads <c>system_accountNextIndex</c> (which counts the signer's pooled transactions).</summary>
    public uint? Nonce { get; init; }

    public UInt128 Tip { get; init; }

    /// <summary>Mortality in blocks (rounded to a power of two); null for an immortal transaction.</summary>
    public ulong? MortalityPeriod { get; init; } = 64;

    public WaitFor WaitFor { get; init; } = WaitFor.InBlock;

    /// <summary>Time budget for the extrinsic to reach <see cref="WaitFor"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>An included extrinsic: where it is and what it emitted.</summary>
public sealed record ExtrinsicResult(string ExtrinsicHash, string BlockHash, ulong BlockNumber, int ExtrinsicIndex,
    IReadOnlyList<ChainEvent> Events)
{
    public ChainEvent? Find(string pallet, string name) => Events.FirstOrDefault(e => e.Is(pallet, name));
}

/// <summary><c>TransactionPaymentApi_query_info</c>: weight, dispatch class and the fee the extrinsic would pay.</summary>
public sealed record FeeInfo(ulong RefTime, ulong ProofSize, string DispatchClass, UInt128 PartialFee);

/// <summary>
/// A Substrate client driven entirely by the runtime's metadata: connection (WebSocket or HTTP), runtime version and
/// genesis, storage queries (optionally at a block hash) and paged iteration, constants, runtime-API calls, events,
/// signing and submission of extrinsics with inclusion tracking, fee queries and head/storage subscriptions.
/// Reads retry transient failures with <see cref="ChainRetryPolicy"/>; submissions never resubmit.
/// </summary>
public sealed partial class SubstrateClient : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly bool _ownsRpc;

    private SubstrateClient(IChainRpc rpc, RuntimeMetadata metadata, RuntimeVersion version, byte[] genesisHash,
        ChainRetryPolicy retry, ILogger logger, bool ownsRpc)
    {
        Rpc = rpc;
        Metadata = metadata;
        RuntimeVersion = version;
        GenesisHash = genesisHash;
        Retry = retry;
        Builder = new ExtrinsicBuilder(metadata);
        _logger = logger;
        _ownsRpc = ownsRpc;
    }

    public IChainRpc Rpc { get; }

    public RuntimeMetadata Metadata { get; }

    public RuntimeVersion RuntimeVersion { get; }

    public byte[] GenesisHash { get; }

    public ExtrinsicBuilder Builder { get; }

    public ChainRetryPolicy Retry { get; }

    /// <summary>Connects to <paramref name="endpoint"/> (ws/wss → WebSocket, http/https → HTTP) and loads metadata.</summary>
    public static async Task<SubstrateClient> ConnectAsync(Uri endpoint, ChainRpcOptions? options = null,
        ChainRetryPolicy? retry = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        IChainRpc rpc = endpoint.Scheme is "ws" or "wss"
            ? new WebSocketChainRpc(endpoint, options, logger)
            : new HttpChainRpc(endpoint, options);
        try
        {
            return await CreateAsync(rpc, retry, logger, ownsRpc: true, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await rpc.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Builds a client over an existing connection: reads the genesis hash, the runtime version and the
    /// metadata (V15 through <c>Metadata_metadata_at_version</c> when the runtime offers it, else V14).</summary>
    public static async Task<SubstrateClient> CreateAsync(IChainRpc rpc, ChainRetryPolicy? retry = null, ILogger? logger = null,
        bool ownsRpc = false, CancellationToken cancellationToken = default)
    {
        retry ??= ChainRetryPolicy.Default;
        JsonElement genesis = await retry.ExecuteAsync(ct => rpc.RequestAsync("chain_getBlockHash", RpcParams.Of(0), ct), cancellationToken).ConfigureAwait(false);
        JsonElement version = await retry.ExecuteAsync(ct => rpc.RequestAsync("state_getRuntimeVersion", RpcParams.None, ct), cancellationToken).ConfigureAwait(false);
        RuntimeMetadata metadata = await LoadMetadataAsync(rpc, retry, cancellationToken).ConfigureAwait(false);
        return new SubstrateClient(rpc, metadata, ChainJson.RuntimeVersion(version), ChainJson.Bytes(genesis, "chain_getBlockHash(0)"),
            retry, logger ?? NullLogger.Instance, ownsRpc);
    }

    private static async Task<RuntimeMetadata> LoadMetadataAsync(IChainRpc rpc, ChainRetryPolicy retry, CancellationToken cancellationToken)
    {
        try
        {
            JsonElement v15 = await retry.ExecuteAsync(ct => rpc.RequestAsync("state_call",
                RpcParams.Of("Metadata_metadata_at_version", "0x0f000000"), ct), cancellationToken).ConfigureAwait(false);
            byte[] option = ChainJson.Bytes(v15, "Metadata_metadata_at_version");
            var reader = new ScaleReader(option);
            if (reader.ReadOptionTag())
            {
                ReadOnlySpan<byte> blob = reader.ReadByteVec();
                reader.EnsureEnd("Metadata_metadata_at_version");
                return RuntimeMetadata.Decode(blob);
            }
        }
        catch (ChainRpcException)
        {
            // A runtime without the Metadata API v2: fall back to state_getMetadata.
        }
        JsonElement v14 = await retry.ExecuteAsync(ct => rpc.RequestAsync("state_getMetadata", RpcParams.None, ct), cancellationToken).ConfigureAwait(false);
        return RuntimeMetadata.Decode(ChainJson.Bytes(v14, "state_getMetadata"));
    }

    // ------------------------------------------------------------------ reads

    private ValueTask<JsonElement> ReadAsync(string method, RpcParams parameters, CancellationToken cancellationToken) =>
        Retry.ExecuteAsync(ct => Rpc.RequestAsync(method, parameters, ct), cancellationToken);

    public async Task<string> ChainNameAsync(CancellationToken cancellationToken = default)
    {
        JsonElement e = await ReadAsync("system_chain", RpcParams.None, cancellationToken).ConfigureAwait(false);
        return e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new ChainDecodeException("system_chain: not a string");
    }

    /// <summary>The hash of block <paramref name="number"/>, or of the best block when null.</summary>
    public async Task<byte[]> BlockHashAsync(ulong? number = null, CancellationToken cancellationToken = default)
    {
        JsonElement e = await ReadAsync("chain_getBlockHash", number is ulong n ? RpcParams.Of(n) : RpcParams.None, cancellationToken).ConfigureAwait(false);
        return ChainJson.OptionalBytes(e, "chain_getBlockHash") ?? throw new ChainException($"chain_getBlockHash: no block {number}");
    }

    public async Task<byte[]> FinalizedHeadAsync(CancellationToken cancellationToken = default) =>
        ChainJson.Bytes(await ReadAsync("chain_getFinalizedHead", RpcParams.None, cancellationToken).ConfigureAwait(false), "chain_getFinalizedHead");

    public async Task<HeaderJson> HeaderAsync(byte[]? blockHash = null, CancellationToken cancellationToken = default) =>
        ChainJson.Header(await ReadAsync("chain_getHeader", blockHash is null ? RpcParams.None : RpcParams.Of(blockHash), cancellationToken).ConfigureAwait(false));

    /// <summary>The number of the best block (or of <paramref name="blockHash"/>).</summary>
    public async Task<ulong> BlockNumberAsync(byte[]? blockHash = null, CancellationToken cancellationToken = default) =>
        ChainJson.HexNumber((await HeaderAsync(blockHash, cancellationToken).ConfigureAwait(false)).Number, "header.number");

    /// <summary>Raw storage bytes at <paramref name="key"/>, or null when absent.</summary>
    public async Task<byte[]?> GetStorageRawAsync(byte[] key, byte[]? at = null, CancellationToken cancellationToken = default)
    {
        RpcParams p = at is null ? RpcParams.Of(key) : RpcParams.Of(key, at);
        return ChainJson.OptionalBytes(await ReadAsync("state_getStorage", p, cancellationToken).ConfigureAwait(false), "state_getStorage");
    }

    /// <summary>
    /// Reads and decodes <paramref name="pallet"/>.<paramref name="entry"/>(<paramref name="keys"/>) with the entry's
    /// value type. A missing value is null for an Optional entry and the metadata default for a Default entry.
    /// </summary>
    public async Task<ScaleValue?> GetStorageAsync(string pallet, string entry, ScaleValue[] keys, byte[]? at = null,
        CancellationToken cancellationToken = default)
    {
        StorageEntryMetadata e = Metadata.Storage(pallet, entry);
        if (keys.Length != e.Hashers.Length)
        {
            throw new ArgumentException($"{pallet}.{entry} takes {e.Hashers.Length} key(s), got {keys.Length}");
        }
        byte[]? raw = await GetStorageRawAsync(StorageKeys.Build(Metadata, pallet, entry, keys), at, cancellationToken).ConfigureAwait(false);
        if (raw is null)
        {
            if (e.Modifier == StorageEntryModifier.Optional)
            {
                return null;
            }
            raw = e.Default;
        }
        return ScaleCodec.Decode(Metadata.Types, e.ValueTypeId, raw);
    }

    public Task<ScaleValue?> GetStorageAsync(string pallet, string entry, params ScaleValue[] keys) =>
        GetStorageAsync(pallet, entry, keys, null, CancellationToken.None);

    /// <summary>One page of keys under <paramref name="prefix"/> (<c>state_getKeysPaged</c>), after <paramref name="startKey"/>.</summary>
    public async Task<IReadOnlyList<byte[]>> GetKeysPagedAsync(byte[] prefix, uint count, byte[]? startKey = null, byte[]? at = null,
        CancellationToken cancellationToken = default)
    {
        RpcParams p = RpcParams.Of(prefix, count, startKey, at);
        JsonElement e = await ReadAsync("state_getKeysPaged", p, cancellationToken).ConfigureAwait(false);
        if (e.ValueKind != JsonValueKind.Array)
        {
            throw new ChainDecodeException("state_getKeysPaged: not an array");
        }
        var keys = new List<byte[]>(e.GetArrayLength());
        foreach (JsonElement k in e.EnumerateArray())
        {
            keys.Add(ChainJson.Bytes(k, "state_getKeysPaged"));
        }
        return keys;
    }

    /// <summary>
    /// Every (keys, value) of a map under the given leading keys, page by page (keys by <c>state_getKeysPaged</c>,
    /// values in one batch per page), all read at one block so the pages are consistent.
    /// </summary>
    public async IAsyncEnumerable<(ScaleValue?[] Keys, ScaleValue Value)> IterateStorageAsync(string pallet, string entry,
        ScaleValue[] leadingKeys, uint pageSize = 256, byte[]? at = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        StorageEntryMetadata e = Metadata.Storage(pallet, entry);
        byte[] prefix = StorageKeys.Build(Metadata, pallet, entry, leadingKeys);
        at ??= await BlockHashAsync(null, cancellationToken).ConfigureAwait(false);
        byte[]? start = null;
        while (true)
        {
            IReadOnlyList<byte[]> keys = await GetKeysPagedAsync(prefix, pageSize, start, at, cancellationToken).ConfigureAwait(false);
            if (keys.Count == 0)
            {
                yield break;
            }
            var requests = keys.Select(k => new RpcRequest("state_getStorage", RpcParams.Of(k, at))).ToArray();
            RpcResult[] values = await Retry.ExecuteAsync(ct => Rpc.BatchAsync(requests, ct), cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < keys.Count; i++)
            {
                byte[]? raw = ChainJson.OptionalBytes(values[i].GetResultOrThrow(), "state_getStorage");
                if (raw is null)
                {
                    continue;
                }
                yield return (StorageKeys.DecodeKeys(Metadata.Types, e, keys[i]), ScaleCodec.Decode(Metadata.Types, e.ValueTypeId, raw));
            }
            if (keys.Count < pageSize)
            {
                yield break;
            }
            start = keys[^1];
        }
    }

    /// <summary>A pallet constant decoded with its metadata type.</summary>
    public ScaleValue Constant(string pallet, string name)
    {
        ConstantMetadata c = Metadata.Constant(pallet, name);
        return ScaleCodec.Decode(Metadata.Types, c.TypeId, c.Value);
    }

    /// <summary><c>state_call</c>: runs a runtime API method and returns its SCALE output.</summary>
    public async Task<byte[]> StateCallAsync(string method, byte[] args, byte[]? at = null, CancellationToken cancellationToken = default)
    {
        RpcParams p = at is null ? RpcParams.Of(method, args) : RpcParams.Of(method, args, at);
        return ChainJson.Bytes(await ReadAsync("state_call", p, cancellationToken).ConfigureAwait(false), method);
    }

    /// <summary>The events of block <paramref name="blockHash"/> (best block when null).</summary>
    public async Task<IReadOnlyList<ChainEvent>> EventsAsync(byte[]? blockHash = null, CancellationToken cancellationToken = default)
    {
        byte[]? raw = await GetStorageRawAsync(StorageKeys.Build(Metadata, "System", "Events"), blockHash, cancellationToken).ConfigureAwait(false);
        return raw is null ? [] : ChainEvents.Decode(Metadata, raw);
    }

    /// <summary>The next nonce of <paramref name="account"/>, counting its transactions waiting in the pool.</summary>
    public async Task<uint> AccountNextIndexAsync(AccountId20 account, CancellationToken cancellationToken = default)
    {
        JsonElement e = await ReadAsync("system_accountNextIndex", RpcParams.Of(account.ToString()), cancellationToken).ConfigureAwait(false);
        ulong n = ChainJson.Number(e, "system_accountNextIndex");
        return n <= uint.MaxValue ? (uint)n : throw new ChainDecodeException("system_accountNextIndex: nonce out of range");
    }

    /// <summary>The free balance of <paramref name="account"/> (<c>System.Account.data.free</c>).</summary>
    public async Task<UInt128> FreeBalanceAsync(AccountId20 account, CancellationToken cancellationToken = default)
    {
        ScaleValue? info = await GetStorageAsync("System", "Account", [ScaleValue.Bytes(account.Bytes)], null, cancellationToken).ConfigureAwait(false);
        return info is null ? 0 : info["data"]["free"].AsU128();
    }

    /// <summary>The fee the runtime would charge for <paramref name="extrinsic"/>
    /// (<c>TransactionPaymentApi_query_info(extrinsic, len)</c>, decoded with the API's metadata type when present).</summary>
    public async Task<FeeInfo> QueryFeeAsync(SignedExtrinsic extrinsic, CancellationToken cancellationToken = default)
    {
        byte[] args = new byte[extrinsic.Bytes.Length + 4];
        extrinsic.Bytes.CopyTo(args, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(args.AsSpan(extrinsic.Bytes.Length), (uint)extrinsic.Bytes.Length);
        byte[] output = await StateCallAsync("TransactionPaymentApi_query_info", args, null, cancellationToken).ConfigureAwait(false);
        RuntimeApiMethodMetadata? method = Metadata.Apis.FirstOrDefault(a => a.Name == "TransactionPaymentApi")?
            .Methods.FirstOrDefault(m => m.Name == "query_info");
        if (method is not null)
        {
            ScaleValue v = ScaleCodec.Decode(Metadata.Types, method.OutputTypeId, output);
            return new FeeInfo(v["weight"]["ref_time"].AsU64(), v["weight"]["proof_size"].AsU64(), v["class"].VariantName ?? "?",
                v["partial_fee"].AsU128());
        }
        var r = new ScaleReader(output);
        ulong refTime = r.ReadCompactU64();
        ulong proof = r.ReadCompactU64();
        byte cls = r.ReadU8();
        UInt128 fee = r.ReadU128();
        r.EnsureEnd("query_info");
        return new FeeInfo(refTime, proof, cls switch { 0 => "Normal", 1 => "Operational", 2 => "Mandatory", _ => "?" }, fee);
    }

    // ------------------------------------------------------------------ writes

    /// <summary>Signs <paramref name="call"/> (from <see cref="ExtrinsicBuilder.EncodeCall"/>) for <paramref name="signer"/>.</summary>
    public async Task<SignedExtrinsic> SignAsync(EthereumKeyPair signer, byte[] call, TransactionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new TransactionOptions();
        uint nonce = options.Nonce ?? await AccountNextIndexAsync(signer.Address, cancellationToken).ConfigureAwait(false);
        Era era = Era.Immortal;
        byte[] eraHash = GenesisHash;
        if (options.MortalityPeriod is ulong period)
        {
            // Mortal transactions are born at the last finalized block, which every node has and will keep.
            byte[] finalized = await FinalizedHeadAsync(cancellationToken).ConfigureAwait(false);
            ulong number = await BlockNumberAsync(finalized, cancellationToken).ConfigureAwait(false);
            era = Era.Mortal(period, number);
            ulong birth = era.BirthBlock(number);
            eraHash = birth == number ? finalized : await BlockHashAsync(birth, cancellationToken).ConfigureAwait(false);
        }
        var p = new SigningParameters(RuntimeVersion.SpecVersion, RuntimeVersion.TransactionVersion, GenesisHash, era, eraHash, nonce, options.Tip);
        return Builder.Sign(call, signer, p);
    }

    /// <summary>Submits without waiting (<c>author_submitExtrinsic</c>); returns the extrinsic hash. Not retried.</summary>
    public async Task<string> SubmitAsync(SignedExtrinsic extrinsic, CancellationToken cancellationToken = default)
    {
        JsonElement e = await Rpc.RequestAsync("author_submitExtrinsic", RpcParams.Of(extrinsic.Bytes), cancellationToken).ConfigureAwait(false);
        return e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new ChainDecodeException("author_submitExtrinsic: not a hash");
    }

    /// <summary>
    /// Signs, submits and waits for inclusion; reads the block's events for this extrinsic. A dispatch failure throws
    /// <see cref="ExtrinsicFailedException"/> with the pallet's error name and docs; a pool rejection surfaces as the
    /// node's <see cref="ChainRpcException"/> (code 1010 for an invalid transaction).
    /// </summary>
    public async Task<ExtrinsicResult> SignAndSubmitAsync(EthereumKeyPair signer, byte[] call, TransactionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new TransactionOptions();
        SignedExtrinsic x = await SignAsync(signer, call, options, cancellationToken).ConfigureAwait(false);
        return await SubmitAndWatchAsync(x, options.WaitFor, options.Timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits <paramref name="extrinsic"/> and follows it to <paramref name="waitFor"/>
    /// (<c>author_submitAndWatchExtrinsic</c> on WebSocket; submit then block polling on HTTP).</summary>
    public async Task<ExtrinsicResult> SubmitAndWatchAsync(SignedExtrinsic extrinsic, WaitFor waitFor, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(timeout);
        try
        {
            string blockHash = Rpc.SupportsSubscriptions
                ? await WatchAsync(extrinsic, waitFor, budget.Token).ConfigureAwait(false)
                : await PollForInclusionAsync(extrinsic, budget.Token).ConfigureAwait(false);
            return await ResultAtAsync(extrinsic, blockHash, budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ChainTimeoutException($"extrinsic {extrinsic.HashHex} inclusion", timeout);
        }
    }

    private async Task<string> WatchAsync(SignedExtrinsic extrinsic, WaitFor waitFor, CancellationToken cancellationToken)
    {
        await using RpcSubscription watch = await Rpc.SubscribeAsync("author_submitAndWatchExtrinsic", RpcParams.Of(extrinsic.Bytes),
            "author_unwatchExtrinsic", resubscribable: false, cancellationToken).ConfigureAwait(false);
        string? inBlock = null;
        await foreach (JsonElement status in watch.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (status.ValueKind == JsonValueKind.String)
            {
                string s = status.GetString()!;
                if (s is "dropped" or "invalid" or "usurped")
                {
                    throw new ChainException($"extrinsic {extrinsic.HashHex} was {s} by the pool");
                }
                continue; // future, ready
            }
            if (status.ValueKind != JsonValueKind.Object)
            {
                throw new ChainDecodeException("extrinsic status is neither a string nor an object");
            }
            if (status.TryGetProperty("inBlock"u8, out JsonElement ib))
            {
                inBlock = ib.GetString();
                if (waitFor == WaitFor.InBlock)
                {
                    return inBlock ?? throw new ChainDecodeException("inBlock without a hash");
                }
            }
            else if (status.TryGetProperty("finalized"u8, out JsonElement fin))
            {
                return fin.GetString() ?? throw new ChainDecodeException("finalized without a hash");
            }
            else if (status.TryGetProperty("usurped"u8, out _) || status.TryGetProperty("dropped"u8, out _)
                     || status.TryGetProperty("invalid"u8, out _))
            {
                throw new ChainException($"extrinsic {extrinsic.HashHex}: {status.GetRawText()}");
            }
            else if (status.TryGetProperty("finalityTimeout"u8, out _))
            {
                throw new ChainException($"extrinsic {extrinsic.HashHex}: finality timeout in block {inBlock}");
            }
            // broadcast, retracted: keep waiting
        }
        throw new ChainConnectionException($"extrinsic {extrinsic.HashHex}: the status stream ended before inclusion");
    }

    /// <summary>HTTP has no push: submit once, then look for the extrinsic in each new best block.</summary>
    private async Task<string> PollForInclusionAsync(SignedExtrinsic extrinsic, CancellationToken cancellationToken)
    {
        ulong from = await BlockNumberAsync(null, cancellationToken).ConfigureAwait(false) + 1;
        await SubmitAsync(extrinsic, cancellationToken).ConfigureAwait(false);
        string hex = extrinsic.Hex;
        while (true)
        {
            ulong best = await BlockNumberAsync(null, cancellationToken).ConfigureAwait(false);
            for (; from <= best; from++)
            {
                byte[] hash = await BlockHashAsync(from, cancellationToken).ConfigureAwait(false);
                SignedBlockJson block = ChainJson.Block(await ReadAsync("chain_getBlock", RpcParams.Of(hash), cancellationToken).ConfigureAwait(false));
                if (block.Block.Extrinsics.Any(x => string.Equals(x, hex, StringComparison.OrdinalIgnoreCase)))
                {
                    return "0x" + Convert.ToHexStringLower(hash);
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ExtrinsicResult> ResultAtAsync(SignedExtrinsic extrinsic, string blockHashHex, CancellationToken cancellationToken)
    {
        byte[] blockHash = ChainJson.HexBytes(blockHashHex, "block hash");
        SignedBlockJson block = ChainJson.Block(await ReadAsync("chain_getBlock", RpcParams.Of(blockHash), cancellationToken).ConfigureAwait(false));
        int index = Array.FindIndex(block.Block.Extrinsics, x => string.Equals(x, extrinsic.Hex, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
        {
            throw new ChainException($"extrinsic {extrinsic.HashHex} is not in block {blockHashHex}");
        }
        ulong number = ChainJson.HexNumber(block.Block.Header.Number, "header.number");
        IReadOnlyList<ChainEvent> all = await EventsAsync(blockHash, cancellationToken).ConfigureAwait(false);
        ChainEvent[] mine = all.Where(e => e.Phase == EventPhase.ApplyExtrinsic && e.ExtrinsicIndex == (uint)index).ToArray();
        ChainEvent? failed = mine.FirstOrDefault(e => e.Is("System", "ExtrinsicFailed"));
        if (failed is not null)
        {
            DispatchErrorInfo info = ChainEvents.ResolveDispatchError(Metadata, failed["dispatch_error"]);
            Log.ExtrinsicFailed(_logger, extrinsic.HashHex, info.ToString());
            throw new ExtrinsicFailedException(info.Pallet, info.Error, info.Docs, blockHashHex, index);
        }
        return new ExtrinsicResult(extrinsic.HashHex, blockHashHex, number, index, mine);
    }

    // ------------------------------------------------------------------ subscriptions

    public ValueTask<RpcSubscription> SubscribeNewHeadsAsync(CancellationToken cancellationToken = default) =>
        Rpc.SubscribeAsync("chain_subscribeNewHeads", RpcParams.None, "chain_unsubscribeNewHeads", true, cancellationToken);

    public ValueTask<RpcSubscription> SubscribeFinalizedHeadsAsync(CancellationToken cancellationToken = default) =>
        Rpc.SubscribeAsync("chain_subscribeFinalizedHeads", RpcParams.None, "chain_unsubscribeFinalizedHeads", true, cancellationToken);

    /// <summary><c>state_subscribeStorage</c> for the given keys; each notification is a
    /// <c>{block, changes: [[key, value|null], …]}</c> object.</summary>
    public ValueTask<RpcSubscription> SubscribeStorageAsync(IEnumerable<byte[]> keys, CancellationToken cancellationToken = default) =>
        Rpc.SubscribeAsync("state_subscribeStorage", RpcParams.Of((object)keys.ToArray()), "state_unsubscribeStorage", true, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_ownsRpc)
        {
            await Rpc.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Information, "Extrinsic {Hash} failed: {Error}")]
        public static partial void ExtrinsicFailed(ILogger logger, string hash, string error);
    }
}
