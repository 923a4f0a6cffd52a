using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;

namespace Mesh.Node.Chain.Rpc;

/// <summary>
/// A live pub-sub subscription (new heads, finalized heads, storage changes, extrinsic status). Notifications are
/// queued in a bounded channel; a consumer that falls more than <c>capacity</c> notifications behind has its
/// subscription ended with a <see cref="ChainException"/> instead of growing memory without bound. When the
/// connection drops, resubscribable subscriptions (heads, storage) are renewed on the new connection; an extrinsic
/// watch is ended with a <see cref="ChainConnectionException"/> instead, because renewing it would submit the
/// extrinsic again.
/// </summary>
public sealed class RpcSubscription : IAsyncDisposable
{
    private readonly Channel<JsonElement> _channel;
    private readonly Func<RpcSubscription, ValueTask> _unsubscribe;
    private int _completed;

    internal RpcSubscription(string subscribeMethod, RpcParams parameters, string unsubscribeMethod, bool resubscribable,
        int capacity, Func<RpcSubscription, ValueTask> unsubscribe)
    {
        SubscribeMethod = subscribeMethod;
        Params = parameters;
        UnsubscribeMethod = unsubscribeMethod;
        Resubscribable = resubscribable;
        Capacity = capacity;
        _unsubscribe = unsubscribe;
        _channel = Channel.CreateBounded<JsonElement>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string SubscribeMethod { get; }

    public RpcParams Params { get; }

    public string UnsubscribeMethod { get; }

    public bool Resubscribable { get; }

    public int Capacity { get; }

    /// <summary>The server's id for this subscription on the current connection (changes after a reconnect).</summary>
    public string? ServerId { get; internal set; }

    public bool IsCompleted => Volatile.Read(ref _completed) != 0;

    public ChannelReader<JsonElement> Reader => _channel.Reader;

    /// <summary>Every notification's <c>result</c> until the subscription ends (an error ends it by throwing).</summary>
    public async IAsyncEnumerable<JsonElement> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_channel.Reader.TryRead(out JsonElement item))
            {
                yield return item;
            }
        }
    }

    /// <summary>The next notification, or a <see cref="ChainTimeoutException"/> when none comes within <paramref name="timeout"/>.</summary>
    public async ValueTask<JsonElement> NextAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await _channel.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ChainTimeoutException($"{SubscribeMethod} notification", timeout);
        }
        catch (ChannelClosedException ex) when (ex.InnerException is ChainException inner)
        {
            throw inner;
        }
        catch (ChannelClosedException)
        {
            throw new ChainConnectionException($"{SubscribeMethod}: the subscription has ended");
        }
    }

    /// <summary>Called by the connection's receive loop (the only writer).</summary>
    internal void Deliver(JsonElement result)
    {
        if (!_channel.Writer.TryWrite(result))
        {
            Complete(new ChainException($"{SubscribeMethod}: subscriber fell more than {Capacity} notifications behind; subscription ended"));
        }
    }

    internal bool Complete(Exception? error)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return false;
        }
        _channel.Writer.TryComplete(error);
        return true;
    }

    /// <summary>Ends the notification stream and unsubscribes (best effort, once), also after the subscription was
    /// ended by an overflow so that the node stops sending.</summary>
    public async ValueTask DisposeAsync()
    {
        Complete(null);
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _unsubscribe(this).ConfigureAwait(false);
        }
    }

    private int _disposed;
}
