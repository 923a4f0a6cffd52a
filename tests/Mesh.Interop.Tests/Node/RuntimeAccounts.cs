using System.Security.Cryptography;
using Mesh.Node.Chain;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Chain.Scale;
using Mesh.Node.Chain.Signing;

namespace Mesh.Interop.Tests.Node;

/// <summary>Accounts for node tests on the real runtime: the genesis coldkeys (RUNTIME.md §3) and fresh, funded hotkeys.</summary>
internal static class RuntimeAccounts
{
    public const string AlithKey = "0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133";
    public const string BaltatharKey = "0x8075991ce870b93a8870eca0c0f91913d12f47948ca0fd25b49c6fa7cdbeee8b";
    public const string CharlethKey = "0x0b6e18cafb6ed99687ec547bd28139cafdd2bffe70e6b688025de6b445aa5c5b";

    public static EthereumKeyPair Alith { get; } = EthereumKeyPair.FromPrivateKeyHex(AlithKey);

    public static EthereumKeyPair Baltathar { get; } = EthereumKeyPair.FromPrivateKeyHex(BaltatharKey);

    public static EthereumKeyPair Charleth { get; } = EthereumKeyPair.FromPrivateKeyHex(CharlethKey);

    /// <summary>A hotkey nobody used before (hotkeys are unique network-wide and the chain is shared by the collection).</summary>
    public static EthereumKeyPair FreshKey() => EthereumKeyPair.FromPrivateKey(RandomNumberGenerator.GetBytes(32));

    /// <summary>Sends <paramref name="amount"/> from Alith (so a hotkey can pay its consensus transactions' fees).</summary>
    public static async Task FundAsync(SubstrateClient client, AccountId20 to, UInt128 amount, CancellationToken cancellationToken)
    {
        byte[] call = client.Builder.EncodeCall("Balances", "transfer_keep_alive", ("dest", ScaleValue.Bytes(to.Bytes)), ("value", amount));
        await client.SignAndSubmitAsync(Alith, call, null, cancellationToken);
    }

    public static UInt128 Tokens(int n) => (UInt128)n * Tensor.One;
}
