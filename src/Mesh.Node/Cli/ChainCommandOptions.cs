using System.CommandLine;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Rpc;
using Mesh.Node.Chain.Signing;
using Mesh.Node.Hosting;
using Mesh.Node.LocalChain;
using Mesh.Transport.Identity;

namespace Mesh.Node.Cli;

/// <summary>An open chain for one verb: the node's view and the operator writes, over the runtime or the local chain.</summary>
internal sealed class ChainSession(IHypertensorChain chain, IHypertensorAdmin admin, string description, IAsyncDisposable? owner) : IAsyncDisposable
{
    public IHypertensorChain Chain { get; } = chain;

    public IHypertensorAdmin Admin { get; } = admin;

    /// <summary>Where the chain is, for messages (<c>ws://127.0.0.1:9944</c>, <c>local chain mock_hypertensor.db</c>).</summary>
    public string Description { get; } = description;

    public ValueTask DisposeAsync() => owner?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>
/// The chain flags every chain verb shares, as the seed README spells them: where the chain is (<c>--rpc_url URL</c>;
/// <c>--local_rpc</c> = <c>LOCAL_RPC</c> from the environment or <c>.env</c>, default <c>ws://127.0.0.1:9944</c>;
/// <c>--live_rpc</c> = <c>LIVE_RPC</c>, default <c>wss://rpc.hypertensor.org:443</c>; none of them
/// = <c>DEV_RPC</c>; <c>--no_blockchain_rpc</c> = the embedded local chain in <c>--local_chain_path</c>), and who signs
/// (<c>--private_key 0x…</c> or <c>--phrase "twelve words"</c>, else <c>PHRASE</c> from the environment or <c>.env</c>).
/// Conflicting choices are usage errors.
/// </summary>
internal sealed class ChainCommandOptions
{
    public const string DefaultLocalRpc = "ws://127.0.0.1:9944";

    /// <summary>The seed's <c>LIVE_RPC</c> example value (mesh-reference §8).</summary>
    public const string DefaultLiveRpc = "wss://rpc.hypertensor.org:443";

    public Option<string?> RpcUrl { get; } = CliOption.Create<string?>("--rpc-url", "Chain endpoint (ws://, wss://, http://, https://).");

    public Option<bool> LocalRpc { get; } = CliOption.Flag("--local-rpc", "Use the LOCAL_RPC endpoint (environment or .env; default ws://127.0.0.1:9944).");

    public Option<bool> LiveRpc { get; } = CliOption.Flag("--live-rpc", "Use the LIVE_RPC endpoint (environment or .env; default wss://rpc.hypertensor.org:443).");

    public Option<bool> NoBlockchainRpc { get; } = CliOption.Flag("--no-blockchain-rpc", "Use the embedded local chain (a SQLite file) instead of a chain node.");

    public Option<string> LocalChainPath { get; } = CliOption.Create<string>("--local-chain-path", "The local chain's database file (with --no_blockchain_rpc).");

    public Option<string?> PrivateKey { get; } = CliOption.Create<string?>("--private-key", "Signing account's secp256k1 private key (0x + 64 hex digits).");

    public Option<string?> Phrase { get; } = CliOption.Create<string?>("--phrase", "Signing account's BIP39 mnemonic (derivation m/44'/60'/0'/0/0).");

    public ChainCommandOptions()
    {
        LocalChainPath.DefaultValueFactory = _ => LocalChainOptions.DefaultFileName;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(RpcUrl);
        command.Options.Add(LocalRpc);
        command.Options.Add(LiveRpc);
        command.Options.Add(NoBlockchainRpc);
        command.Options.Add(LocalChainPath);
        command.Options.Add(PrivateKey);
        command.Options.Add(Phrase);
    }

    /// <summary>The signing account, or null when none was given (and <paramref name="required"/> is false).</summary>
    public EthereumKeyPair? Signer(ParseResult parse, EnvironmentSettings env, bool required)
    {
        string? key = parse.GetValue(PrivateKey);
        string? phrase = parse.GetValue(Phrase);
        if (key is not null && phrase is not null)
        {
            throw new CliUsageException("give either --private_key or --phrase, not both");
        }
        phrase ??= key is null ? env.Get("PHRASE") : null;
        try
        {
            if (key is not null)
            {
                return EthereumKeyPair.FromPrivateKeyHex(key.Trim());
            }
            if (phrase is not null)
            {
                return EthereumKeyPair.FromMnemonic(phrase.Trim());
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new CliUsageException(key is not null ? $"--private_key is not a secp256k1 private key: {ex.Message}" : $"the phrase is not a valid BIP39 mnemonic: {ex.Message}");
        }
        if (required)
        {
            throw new CliUsageException("this command signs a transaction: give --private_key or --phrase (or PHRASE in .env)");
        }
        return null;
    }

    /// <summary>Opens the chain the flags name.</summary>
    public async Task<ChainSession> OpenAsync(ParseResult parse, EnvironmentSettings env, EthereumKeyPair? signer, CancellationToken cancellationToken)
    {
        string? url = parse.GetValue(RpcUrl);
        bool local = parse.GetValue(LocalRpc);
        bool live = parse.GetValue(LiveRpc);
        bool embedded = parse.GetValue(NoBlockchainRpc);
        if ((url is not null ? 1 : 0) + (local ? 1 : 0) + (live ? 1 : 0) + (embedded ? 1 : 0) > 1)
        {
            throw new CliUsageException("give only one of --rpc_url, --local_rpc, --live_rpc and --no_blockchain_rpc");
        }
        if (embedded)
        {
            string path = parse.GetValue(LocalChainPath) ?? LocalChainOptions.DefaultFileName;
            LocalHypertensor chain = LocalHypertensor.Open(new LocalChainOptions { DatabasePath = path, Signer = signer });
            return new ChainSession(chain, chain, $"the local chain {path}", null);
        }
        url ??= local ? env.Get("LOCAL_RPC") ?? DefaultLocalRpc : live ? env.Get("LIVE_RPC") ?? DefaultLiveRpc : env.Get("DEV_RPC");
        if (url is null)
        {
            throw new CliUsageException("no chain given: use --rpc_url URL, --local_rpc (LOCAL_RPC), DEV_RPC in .env, or --no_blockchain_rpc");
        }
        Uri endpoint = ParseEndpoint(url);
        HypertensorClient client = await HypertensorClient.ConnectAsync(endpoint, signer,
            new ChainRpcOptions { RequestTimeout = TimeSpan.FromSeconds(60) }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new ChainSession(client, client, endpoint.ToString(), client);
    }

    public static Uri ParseEndpoint(string url)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("ws" or "wss" or "http" or "https"))
        {
            throw new CliUsageException($"'{url}' is not a chain endpoint (ws://, wss://, http:// or https:// URL)");
        }
        return uri;
    }
}

/// <summary>Parsers for chain verb arguments that turn bad text into a one-line usage error naming the flag.</summary>
internal static class ChainArguments
{
    public static AccountId20 Account(string? text, string flag) =>
        AccountId20.TryParse(text?.Trim(), out AccountId20 id) ? id
            : throw new CliUsageException($"{flag} '{text}' is not an account (0x + 40 hex digits, EIP-55 checksum if mixed case)");

    public static UInt128 Amount(string? text, string flag) =>
        Tensor.TryParse(text, out UInt128 wei, out string? reason) ? wei
            : throw new CliUsageException($"{flag} '{text}' is not a TENSOR amount: {reason}");

    /// <summary>A 0..1 fraction as the chain's 1e18 fixed point (<c>0.125</c> → 1.25e17).</summary>
    public static UInt128 Fraction(string? text, string flag)
    {
        UInt128 value = Amount(text, flag);
        return value > Tensor.One ? throw new CliUsageException($"{flag} '{text}' must be between 0 and 1") : value;
    }

    public static string PeerIdText(string? text, string flag) =>
        PeerId.TryParse(text?.Trim(), out PeerId peer) ? peer.ToString()
            : throw new CliUsageException($"{flag} '{text}' is not a peer id (base58 Qm… or 12D3KooW…)");
}
