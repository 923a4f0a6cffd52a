namespace Mesh.Transport.Rpc.Auth;

/// <summary>Whose budget a request is charged to.</summary>
public enum RateLimitPartition
{
    /// <summary>The client public key in the request's access token (mesh's choice). It is charged before the signature
    /// is checked, as mesh does, so a forger naming someone else's key spends that key's budget; bind keys to peers
    /// (<see cref="SignatureAuthorizerOptions.RequireSignerIsRemotePeer"/>) or use <see cref="RemotePeer"/> where that matters.</summary>
    ClientKey,

    /// <summary>The peer id at the other end of the connection (authenticated by the secure channel, so it cannot be forged).</summary>
    RemotePeer,
}

/// <summary>
/// Limits of <see cref="RateLimitAuthorizer"/>. Defaults are mesh's <c>RateLimitConfig</c>: 10 requests per second with
/// bursts of 20, 100 per minute, 1000 per hour, and a 300 s block for a client that exhausts its per-minute or per-hour
/// budget.
/// </summary>
public sealed record RateLimitOptions
{
    /// <summary>Sustained requests per second (the refill rate of the burst bucket).</summary>
    public double RequestsPerSecond { get; init; } = 10;

    /// <summary>Requests allowed back to back (the capacity of the per-second bucket).</summary>
    public int Burst { get; init; } = 20;

    public int RequestsPerMinute { get; init; } = 100;

    public int RequestsPerHour { get; init; } = 1000;

    /// <summary>How long a client that exhausted its per-minute or per-hour budget is refused outright.</summary>
    public TimeSpan BlockDuration { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Most clients tracked at once. When full, clients whose buckets have refilled completely (and are not blocked)
    /// are forgotten, since a full bucket is exactly a new client's state; if none can be, new clients are refused.
    /// </summary>
    public int MaxTrackedClients { get; init; } = 65_536;

    public RateLimitPartition Partition { get; init; } = RateLimitPartition.ClientKey;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RequestsPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Burst);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RequestsPerMinute);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RequestsPerHour);
        ArgumentOutOfRangeException.ThrowIfLessThan(BlockDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTrackedClients);
    }
}
