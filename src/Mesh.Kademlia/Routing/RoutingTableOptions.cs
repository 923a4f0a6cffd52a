namespace Mesh.Kademlia.Routing;

/// <summary>Routing table parameters (mesh-reference §1.4, §1.5).</summary>
public sealed record RoutingTableOptions
{
    /// <summary>Kademlia k: nodes per bucket (<c>bucket_size</c>, default 20).</summary>
    public int BucketSize { get; init; } = 20;

    /// <summary>
    /// Kademlia b (<c>depth_modulo</c>, default 5): a full bucket that does not cover the local id still splits while
    /// its depth is not a multiple of b, which keeps about 2^b finer buckets near every depth (paper §4.2).
    /// </summary>
    public int DepthModulo { get; init; } = 5;

    /// <summary>
    /// Replacement-cache capacity per bucket (default: <see cref="BucketSize"/>). hivemind's cache is an unbounded
    /// dict; a bound is needed because anyone can mint node ids for a full bucket. On overflow the
    /// least-recently-added replacement is dropped, since promotion takes the most recently added one first (the one
    /// most likely to still be alive) and the oldest would be the last to be used.
    /// </summary>
    public int? ReplacementCacheSize { get; init; }

    /// <summary>Clock for bucket staleness (monotonic timestamps). Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal int EffectiveReplacementCacheSize => ReplacementCacheSize ?? BucketSize;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BucketSize, 1, nameof(BucketSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(DepthModulo, 1, nameof(DepthModulo));
        ArgumentOutOfRangeException.ThrowIfNegative(EffectiveReplacementCacheSize, nameof(ReplacementCacheSize));
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
