using Mesh.Transport.Identity;
using Mesh.Transport.Protocols.Ping;

namespace Mesh.Transport.Host;

/// <summary>
/// Ping client (<c>/ipfs/ping/1.0.0</c>). Keeps at most one outbound ping stream per connection (the spec's limit)
/// and reuses it for every ping; concurrent pings to one peer take turns on it.
/// </summary>
public sealed class PingService
{
    private readonly MeshHost _host;

    internal PingService(MeshHost host)
    {
        _host = host;
    }

    /// <summary>One ping round trip to the peer, dialing it if needed.</summary>
    /// <exception cref="PingException">The peer echoed wrongly.</exception>
    public async Task<TimeSpan> PingAsync(PeerId peer, CancellationToken cancellationToken = default)
    {
        MeshConnection connection = _host.GetConnection(peer) ?? await _host.ConnectAsync(peer, cancellationToken).ConfigureAwait(false);
        return await PingAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One ping round trip on the given connection.</summary>
    public async Task<TimeSpan> PingAsync(MeshConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        PingChannel channel = Volatile.Read(ref connection.PingState) as PingChannel
            ?? (PingChannel)(Interlocked.CompareExchange(ref connection.PingState, new PingChannel(), null) ?? connection.PingState!);
        await channel.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            channel.Stream ??= await connection.OpenStreamAsync([PingProtocol.Id], cancellationToken).ConfigureAwait(false);
            try
            {
                return await PingProtocol.PingOnceAsync(channel.Stream, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // The stream's state is unknown after a failure (a late echo could arrive): never reuse it.
                channel.Stream.Reset();
                channel.Stream = null;
                throw;
            }
        }
        finally
        {
            channel.Gate.Release();
        }
    }

    internal static Task HandleAsync(MeshStream stream, CancellationToken cancellationToken) =>
        PingProtocol.RespondAsync(stream, cancellationToken);

    private sealed class PingChannel
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public MeshStream? Stream;
    }
}
