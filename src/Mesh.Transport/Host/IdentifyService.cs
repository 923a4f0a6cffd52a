using System.Buffers;
using System.Collections.Immutable;
using System.IO.Pipelines;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using Mesh.Transport.Protocols.Identify;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Host;

/// <summary>
/// Identify (<c>/ipfs/id/1.0.0</c>) and identify push (<c>/ipfs/id/push/1.0.0</c>), libp2p identify spec. Runs identify
/// on every peer's first connection and stores the result in the <see cref="MeshHost.PeerStore"/> (protocols, listen
/// addresses, agent, key checked against the peer id, observed address); answers identify requests with this host's
/// view; pushes to connected peers when the handler set changes.
/// </summary>
public sealed class IdentifyService
{
    public const string ProtocolId = "/ipfs/id/1.0.0";
    public const string PushProtocolId = "/ipfs/id/push/1.0.0";

    /// <summary>Bound on one identify exchange (go: 60 s stream timeout; a healthy peer answers in one round trip).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly MeshHost _host;
    private readonly ILogger _logger;
    private int _pushScheduled;

    internal IdentifyService(MeshHost host, ILogger logger)
    {
        _host = host;
        _logger = logger;
        if (!host.Options.EnableIdentify)
        {
            return;
        }
        var limits = new StreamHandlerOptions { MaxInboundStreamsPerConnection = 4, MaxOutboundStreamsPerConnection = 4 };
        host.SetHandler(ProtocolId, RespondAsync, limits);
        host.SetHandler(PushProtocolId, ReceivePushAsync, limits);
        host.Connected += connection => _ = IdentifyInBackgroundAsync(connection);
        host.ProtocolsChanged += SchedulePush;
    }

    /// <summary>Identify finished for a peer (initial exchange or push) and the peer store was updated.</summary>
    public event Action<PeerInfo>? PeerIdentified;

    /// <summary>Runs one identify exchange on the connection and returns the updated peer entry.</summary>
    /// <exception cref="IdentifyException">The peer's answer is malformed, over the limits, or carries a key that is not its own.</exception>
    public async Task<PeerInfo> IdentifyAsync(MeshConnection connection, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.ClosingToken);
        timeout.CancelAfter(Timeout);
        MeshStream stream = await connection.OpenStreamAsync([ProtocolId], timeout.Token).ConfigureAwait(false);
        try
        {
            await stream.Output.CompleteAsync().ConfigureAwait(false);
            IdentifyMessage message = await ReadAsync(stream.Input, timeout.Token).ConfigureAwait(false);
            return Apply(connection, message, isPush: false);
        }
        catch
        {
            stream.Reset();
            throw;
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task IdentifyInBackgroundAsync(MeshConnection connection)
    {
        try
        {
            await IdentifyAsync(connection, _host.ShutdownToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            HostLog.IdentifyFailed(_logger, connection.RemotePeer.ToString(), ex.Message);
        }
    }

    /// <summary>The message this host sends to <paramref name="connection"/>'s peer, trimmed to 4 KiB.</summary>
    internal IdentifyMessage BuildMessage(MeshConnection? connection)
    {
        byte[] key = new byte[_host.PublicKey.GetProtobufLength()];
        _host.PublicKey.WriteProtobuf(key);
        var message = new IdentifyMessage
        {
            ProtocolVersion = _host.Options.ProtocolVersion,
            AgentVersion = _host.Options.AgentVersion,
            PublicKey = key,
            ObservedAddr = connection is null ? null : HostAddresses.ToBytes(connection.RemoteAddress),
        };
        // What we advertise (announce addresses replace the listen addresses, as p2pd's -announceAddrs does).
        foreach (Multiaddr a in _host.AdvertisedAddresses)
        {
            message.ListenAddrs.Add(HostAddresses.ToBytes(a));
        }
        message.Protocols.AddRange(_host.Protocols);
        // go-libp2p caps its own message at 4 KiB "to be compatible with rust-libp2p": shed addresses, then protocols.
        while (IdentifyCodec.GetBodyLength(message) + 3 > IdentifyCodec.MaxOwnMessageSize && message.ListenAddrs.Count > 0)
        {
            message.ListenAddrs.RemoveAt(message.ListenAddrs.Count - 1);
        }
        while (IdentifyCodec.GetBodyLength(message) + 3 > IdentifyCodec.MaxOwnMessageSize && message.Protocols.Count > 0)
        {
            message.Protocols.RemoveAt(message.Protocols.Count - 1);
        }
        return message;
    }

    private async Task RespondAsync(MeshStream stream, CancellationToken cancellationToken)
    {
        IdentifyCodec.WriteFrame(stream.Output, BuildMessage(stream.Connection));
        await stream.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task ReceivePushAsync(MeshStream stream, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        IdentifyMessage message = await ReadAsync(stream.Input, timeout.Token).ConfigureAwait(false);
        Apply(stream.Connection, message, isPush: true);
    }

    /// <summary>Reads length-prefixed messages to end of stream (at most 10, each ≤ 8 KiB), merged into one.</summary>
    internal static async Task<IdentifyMessage> ReadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        var message = new IdentifyMessage();
        int count = 0;
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            try
            {
                while (!buffer.IsEmpty)
                {
                    OperationStatus status = IdentifyCodec.TryReadFrame(ref buffer, message, out IdentifyError error);
                    if (status == OperationStatus.NeedMoreData)
                    {
                        break;
                    }
                    if (status == OperationStatus.InvalidData)
                    {
                        throw new IdentifyException(error, $"malformed identify message ({error})");
                    }
                    if (++count > IdentifyCodec.MaxMessagesPerStream)
                    {
                        throw new IdentifyException(IdentifyError.TooManyMessages, $"more than {IdentifyCodec.MaxMessagesPerStream} identify messages on one stream");
                    }
                }
                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        throw new IdentifyException(IdentifyError.MalformedProtobuf, $"identify stream ended inside a message ({buffer.Length} bytes left)");
                    }
                    if (count == 0)
                    {
                        throw new IdentifyException(IdentifyError.MalformedProtobuf, "identify stream ended without a message");
                    }
                    return message;
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    private PeerInfo Apply(MeshConnection connection, IdentifyMessage message, bool isPush)
    {
        PeerId peer = connection.RemotePeer;
        PublicKey? key = null;
        if (message.PublicKey is { } keyBytes)
        {
            if (!PublicKey.TryFromProtobuf(keyBytes, out key) || key.PeerId != peer)
            {
                throw new IdentifyException(IdentifyError.MalformedProtobuf, $"identify public key does not belong to {peer}");
            }
        }
        var addresses = new List<Multiaddr>();
        foreach (byte[] raw in message.ListenAddrs)
        {
            if (HostAddresses.TryFromBytes(raw, out Multiaddr? a))
            {
                addresses.Add(a);
            }
            else
            {
                HostLog.IdentifyRejectedField(_logger, peer.ToString(), "a listen address that is not a valid multiaddr");
            }
        }
        Multiaddr? observed = null;
        if (message.ObservedAddr is { } observedBytes && !HostAddresses.TryFromBytes(observedBytes, out observed))
        {
            HostLog.IdentifyRejectedField(_logger, peer.ToString(), "an observed address that is not a valid multiaddr");
        }
        if (addresses.Count > 0)
        {
            _host.PeerStore.AddAddresses(peer, addresses);
        }
        bool replaceProtocols = !isPush || message.Protocols.Count > 0;
        _host.PeerStore.Update(peer, info => info with
        {
            PublicKey = key ?? info.PublicKey ?? connection.RemotePublicKey,
            Protocols = replaceProtocols ? [.. message.Protocols.Distinct(StringComparer.Ordinal)] : info.Protocols,
            AgentVersion = message.AgentVersion ?? info.AgentVersion,
            ProtocolVersion = message.ProtocolVersion ?? info.ProtocolVersion,
            ObservedAddress = observed ?? info.ObservedAddress,
            IdentifiedAt = DateTimeOffset.UtcNow,
        });
        PeerInfo updated = _host.PeerStore.Get(peer)!;
        PeerIdentified?.Invoke(updated);
        return updated;
    }

    private void SchedulePush()
    {
        // With no connection there is nobody to tell: a later connection's own identify carries the new protocols.
        // Scheduling anyway (handlers set before StartAsync) sent a stale push to whoever connected within the
        // coalescing delay, and its PeerIdentified event arrived at an arbitrary later point of their session.
        if (_host.Connections.Count == 0)
        {
            return;
        }
        if (Interlocked.Exchange(ref _pushScheduled, 1) == 0)
        {
            _ = PushAllAsync();
        }
    }

    private async Task PushAllAsync()
    {
        // Coalesce a burst of SetHandler/RemoveHandler calls into one push.
        await Task.Delay(50, _host.ShutdownToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Volatile.Write(ref _pushScheduled, 0);
        if (_host.ShutdownToken.IsCancellationRequested)
        {
            return;
        }
        foreach (MeshConnection connection in _host.Connections)
        {
            PeerInfo? info = _host.PeerStore.Get(connection.RemotePeer);
            if (info is null || !info.SupportsProtocol(PushProtocolId) || connection.IsClosed)
            {
                continue;
            }
            _ = PushAsync(connection);
        }
    }

    private async Task PushAsync(MeshConnection connection)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_host.ShutdownToken, connection.ClosingToken);
            timeout.CancelAfter(Timeout);
            MeshStream stream = await connection.OpenStreamAsync([PushProtocolId], timeout.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                IdentifyCodec.WriteFrame(stream.Output, BuildMessage(connection));
                await stream.Output.FlushAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            HostLog.IdentifyPushFailed(_logger, connection.RemotePeer.ToString(), ex.Message);
        }
    }

    /// <summary>Snapshot helper for tests and diagnostics: the protocols a peer advertised, or empty.</summary>
    public ImmutableArray<string> GetProtocols(PeerId peer) => _host.PeerStore.Get(peer)?.Protocols ?? [];
}
