namespace Mesh.Kademlia.Libp2p.Providers;

/// <summary>Provider-record parameters (libp2p kad-dht spec "Content provider advertisement"; libp2p-specs.md §2i, §4).</summary>
public sealed record KadProviderStoreOptions
{
    /// <summary>How long a provider record is kept after it was added or refreshed (IPFS <c>ProvideValidity</c>, 48 h).</summary>
    public TimeSpan ProvideValidity { get; init; } = TimeSpan.FromHours(48);

    /// <summary>
    /// How long the addresses that came with an ADD_PROVIDER are served (about the routing-table refresh interval,
    /// libp2p-specs.md §2i: 30 min); after that only the peer id is served, with whatever addresses the peer store
    /// has for it.
    /// </summary>
    public TimeSpan ProviderAddressTtl { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Most provider records per key (rust-libp2p and dotnet: 20). Default 20.</summary>
    public int MaxProvidersPerKey { get; init; } = 20;

    /// <summary>Most keys with provider records (rust-libp2p: 1024). Default 65536.</summary>
    public int MaxKeys { get; init; } = 64 * 1024;

    /// <summary>Most addresses kept per provider record. Default 16.</summary>
    public int MaxAddressesPerProvider { get; init; } = 16;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ProvideValidity, TimeSpan.Zero, nameof(ProvideValidity));
        ArgumentOutOfRangeException.ThrowIfLessThan(ProviderAddressTtl, TimeSpan.Zero, nameof(ProviderAddressTtl));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxProvidersPerKey, 1, nameof(MaxProvidersPerKey));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxKeys, 1, nameof(MaxKeys));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAddressesPerProvider, 0, nameof(MaxAddressesPerProvider));
    }
}
