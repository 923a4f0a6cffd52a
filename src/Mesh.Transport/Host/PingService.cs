using Mesh.Transport.Identity;
using Mesh.Transport.Protocols.Ping;

namespace Mesh.Transport.Host;

/// <summary>
/// Ping client (<c>/ipfs/ping/1.0.0</c>). At most one outbound ping stream per connection (the spec's limit): a
/// <see cref="PingSession"/> holds it and loops pings on it; the one-shot <see cref="PingAsync(PeerId, CancellationToken)"/>
/// opens a short session. Concurrent users of one connection take turns.
/// </summary>
public sealed class PingService
{
    private readonly MeshHost _host;

    internal PingService(MeshHost host)
    {
        _host = host;
    }

    /// <summary>One ping round trip to the peer, dialing it if needed (its stream is closed afterwards).</summary>
    /// <exception cref="PingException">The peer echoed wrongly.</exception>
    public async Task<TimeSpan> PingAsync(PeerId peer, CancellationToken cancellationToken = default)
    {
        MeshConnection connection = _host.GetConnection(peer) ?? await _host.ConnectAsync(peer, cancellationToken).ConfigureAwait(false);
        return await PingAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One ping round trip on the given connection (its stream is closed afterwards).</summary>
    public async Task<TimeSpan> PingAsync(MeshConnection connection, CancellationToken cancellationToken = default)
    {
        PingSession session = await OpenSessionAsync(connection, cancellationToken).ConfigureAwait(false);
        await using (session.ConfigureAwait(false))
        {
            return await session.PingAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Opens the connection's ping stream for a series of pings (waiting while another session holds it). Dispose the
    /// session to close the stream: an open ping stream keeps a gracefully closing connection alive.
    /// </summary>
    public async Task<PingSession> OpenSessionAsync(MeshConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        SemaphoreSlim gate = Volatile.Read(ref connection.PingGate)
            ?? Interlocked.CompareExchange(ref connection.PingGate, new SemaphoreSlim(1, 1), null)
            ?? connection.PingGate!;
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            MeshStream stream = await connection.OpenStreamAsync([PingProtocol.Id], cancellationToken).ConfigureAwait(false);
            return new PingSession(stream, gate);
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    internal static Task HandleAsync(MeshStream stream, CancellationToken cancellationToken) =>
        PingProtocol.RespondAsync(stream, cancellationToken);
}

/// <summary>A connection's outbound ping stream, looping pings on it. Not thread-safe: one ping at a time.</summary>
public sealed class PingSession : IAsyncDisposable
{
    private readonly MeshStream _stream;
    private SemaphoreSlim? _gate;
    private bool _broken;

    internal PingSession(MeshStream stream, SemaphoreSlim gate)
    {
        _stream = stream;
        _gate = gate;
    }

    /// <summary>The connection the session pings over.</summary>
    public MeshConnection Connection => _stream.Connection;

    /// <summary>One round trip: 32 random bytes out, the same 32 back.</summary>
    /// <exception cref="PingException">The echo differed or the stream ended; the session is unusable afterwards.</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_gate is null, this);
        if (_broken)
        {
            throw new PingException("an earlier ping on this session failed; open a new session");
        }
        try
        {
            return await PingProtocol.PingOnceAsync(_stream, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A late echo could still arrive: the stream's state is unknown, never reuse it.
            _broken = true;
            _stream.Reset();
            throw;
        }
    }

    /// <summary>Closes the ping stream (the dialer's half-close ends the responder's loop).</summary>
    public async ValueTask DisposeAsync()
    {
        SemaphoreSlim? gate = Interlocked.Exchange(ref _gate, null);
        if (gate is null)
        {
            return;
        }
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
