namespace Mesh.Kademlia.Libp2p.Records;

/// <summary>Limits of a <see cref="KadRecordStore"/>. Every one is checked before anything is stored.</summary>
public sealed record KadRecordStoreOptions
{
    /// <summary>Most keys held (rust-libp2p MemoryStore: 1024; we allow more, the byte bound protects memory). Default 16384.</summary>
    public int MaxRecords { get; init; } = 16 * 1024;

    /// <summary>Largest value (rust-libp2p: 65 KiB; an IPNS record is at most 10 KiB). Default 64 KiB.</summary>
    public int MaxValueBytes { get; init; } = 64 * 1024;

    /// <summary>Bound on keys + values held. Default 256 MiB.</summary>
    public long MaxTotalBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// How long a received record is served (go <c>MaxRecordAge</c> 48 h, js <c>PROVIDERS_VALIDITY</c> 48 h): the
    /// publisher republishes before that; older records are dropped when read or swept.
    /// </summary>
    public TimeSpan MaxRecordAge { get; init; } = TimeSpan.FromHours(48);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRecords, 1, nameof(MaxRecords));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxValueBytes, 1, nameof(MaxValueBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTotalBytes, 1, nameof(MaxTotalBytes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxRecordAge, TimeSpan.Zero, nameof(MaxRecordAge));
    }
}
