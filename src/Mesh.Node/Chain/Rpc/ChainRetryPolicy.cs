namespace Mesh.Node.Chain.Rpc;

/// <summary>
/// Bounded retry with exponential backoff for idempotent reads: a timeout or a lost connection is retried up to
/// <see cref="MaxAttempts"/> times; a JSON-RPC error, a decode error or cancellation is not (repeating would give the
/// same answer). Submissions never go through this policy: resubmitting a signed extrinsic blindly could apply it twice
/// or fail confusingly on its spent nonce.
/// </summary>
public sealed record ChainRetryPolicy
{
    public static ChainRetryPolicy Default { get; } = new();

    public static ChainRetryPolicy None { get; } = new() { MaxAttempts = 1 };

    public int MaxAttempts { get; init; } = 4;

    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    public static bool IsTransient(Exception ex) => ex is ChainTimeoutException or ChainConnectionException;

    public async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        TimeSpan delay = InitialDelay;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken).ConfigureAwait(false);
            }
            catch (ChainException ex) when (IsTransient(ex) && attempt < MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }
}
