using System.IO.Pipelines;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using Mesh.Transport.Muxing;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Host;

/// <summary>
/// One secured, multiplexed connection to a peer, as the host keeps it: who is at the other end, over which addresses,
/// who dialed, since when, and how many streams are open. Open streams with <see cref="OpenStreamAsync"/> (or through
/// <see cref="MeshHost.OpenStreamAsync(PeerId, IReadOnlyList{string}, CancellationToken)"/>, which reuses this
/// connection).
/// </summary>
public sealed class MeshConnection
{
    private static long s_nextId;

    private readonly MeshHost _host;
    private readonly IMuxedConnection _muxed;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly Dictionary<string, StreamCounts> _protocolCounts = new(StringComparer.Ordinal); // lock: itself
    private int _inboundStreams;
    private int _outboundStreams;
    private int _closed;

    internal MeshConnection(
        MeshHost host,
        IMuxedConnection muxed,
        PeerId remotePeer,
        PublicKey remotePublicKey,
        Multiaddr localAddress,
        Multiaddr remoteAddress,
        ConnectionDirection direction,
        string muxer,
        ILogger logger)
    {
        _host = host;
        _muxed = muxed;
        _logger = logger;
        Id = Interlocked.Increment(ref s_nextId);
        RemotePeer = remotePeer;
        RemotePublicKey = remotePublicKey;
        LocalAddress = localAddress;
        RemoteAddress = remoteAddress;
        Direction = direction;
        Muxer = muxer;
        Opened = DateTimeOffset.UtcNow;
        Closed = WhenClosedAsync();
    }

    /// <summary>Process-unique id, for logs and dictionaries.</summary>
    public long Id { get; }

    /// <summary>The authenticated peer (proven by the Noise handshake).</summary>
    public PeerId RemotePeer { get; }

    /// <summary>The peer's identity key, as proven in the handshake.</summary>
    public PublicKey RemotePublicKey { get; }

    /// <summary>Our end, e.g. <c>/ip4/127.0.0.1/tcp/4001</c>.</summary>
    public Multiaddr LocalAddress { get; }

    /// <summary>The peer's end as seen from here (without <c>/p2p/</c>).</summary>
    public Multiaddr RemoteAddress { get; }

    /// <summary>Outbound when this host dialed.</summary>
    public ConnectionDirection Direction { get; }

    /// <summary>When the upgrade completed.</summary>
    public DateTimeOffset Opened { get; }

    /// <summary>The security protocol (<c>/noise</c>).</summary>
    public string Security => ConnectionUpgrader.NoiseProtocolId;

    /// <summary>The muxer protocol (<c>/yamux/1.0.0</c>).</summary>
    public string Muxer { get; }

    /// <summary>Streams the peer opened that are still open (including ones still negotiating).</summary>
    public int InboundStreamCount => Volatile.Read(ref _inboundStreams);

    /// <summary>Streams this host opened that are still open.</summary>
    public int OutboundStreamCount => Volatile.Read(ref _outboundStreams);

    /// <summary>
    /// True once the connection is closing or closed, by either side (a peer's GoAway counts: no new streams can be
    /// opened, so the host neither hands it out nor prefers it over a fresh connection from the same peer).
    /// </summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0 || !_muxed.CanOpenStreams; // CanOpenStreams is false once the muxer ended

    /// <summary>Completes when the connection has ended, whatever the reason. Never faults.</summary>
    public Task Closed { get; }

    /// <summary>Fires when the connection ended or was aborted; handlers running on it get this token.</summary>
    internal CancellationToken ClosingToken => _closing.Token;

    internal IMuxedConnection Muxed => _muxed;

    /// <summary>Completes once the secure channel under the muxer has flushed its last frames to the socket.</summary>
    internal Task SecureOutboundDrained { get; init; } = Task.CompletedTask;

    /// <summary>The ping service's turn-taking for this connection's single outbound ping stream.</summary>
    internal SemaphoreSlim? PingGate;

    /// <summary>
    /// Opens a stream and negotiates the first protocol of <paramref name="protocols"/> the peer supports
    /// (multistream-select; with a single protocol the proposal is sent optimistically with the first data, saving a
    /// round trip, and a refusal surfaces on the first read).
    /// </summary>
    /// <exception cref="ResourceLimitExceededException">An outbound stream limit is reached.</exception>
    /// <exception cref="MeshProtocolException">The peer supports none of the protocols or broke multistream-select.</exception>
    public async ValueTask<MeshStream> OpenStreamAsync(IReadOnlyList<string> protocols, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(protocols);
        if (protocols.Count == 0)
        {
            throw new ArgumentException("At least one protocol is needed.", nameof(protocols));
        }
        if (IsClosed)
        {
            throw new ConnectionAbortedException($"The connection to {RemotePeer} is closed.");
        }
        if (Interlocked.Increment(ref _outboundStreams) > _host.Options.MaxOutboundStreamsPerConnection)
        {
            Interlocked.Decrement(ref _outboundStreams);
            throw new ResourceLimitExceededException($"Outbound stream limit ({_host.Options.MaxOutboundStreamsPerConnection}) reached on the connection to {RemotePeer}.");
        }
        IMuxedStream? muxed = null;
        string? acquired = null;
        try
        {
            if (!AnyProtocolUnderLimit(protocols))
            {
                throw new ResourceLimitExceededException($"Outbound stream limit reached for {string.Join(", ", protocols)} on the connection to {RemotePeer}.");
            }
            muxed = await _muxed.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
            timeout.CancelAfter(_host.Options.StreamNegotiationTimeout);
            (string protocol, IDuplexPipe pipe) = await ProtocolNegotiation.SelectAsync(muxed, protocols, timeout.Token).ConfigureAwait(false);
            if (!TryAcquire(protocol, ConnectionDirection.Outbound))
            {
                throw new ResourceLimitExceededException($"Outbound stream limit reached for {protocol} on the connection to {RemotePeer}.");
            }
            acquired = protocol;
            return new MeshStream(muxed, pipe, protocol, this, ConnectionDirection.Outbound, s_onOutboundClosed);
        }
        catch
        {
            muxed?.Reset();
            if (acquired is not null)
            {
                Release(acquired, ConnectionDirection.Outbound);
            }
            Interlocked.Decrement(ref _outboundStreams);
            throw;
        }
    }

    /// <summary>Graceful close: GoAway (no new streams), open streams may finish, then the connection ends.</summary>
    public async ValueTask CloseAsync(CancellationToken cancellationToken = default)
    {
        // Handlers keep running (their token is not cancelled) so open streams can finish; only new streams stop.
        Volatile.Write(ref _closed, 1);
        try
        {
            await _muxed.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _muxed.Abort(new ConnectionAbortedException("Graceful close timed out."));
        }
    }

    /// <summary>Abortive close: every stream is reset and the socket closed.</summary>
    public void Abort(Exception? reason = null)
    {
        _muxed.Abort(reason);
        MarkClosing();
    }

    internal void MarkClosing()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            try
            {
                _closing.Cancel();
            }
            catch (AggregateException)
            {
                // A token callback threw; the connection still closes.
            }
        }
    }

    /// <summary>Accepts inbound streams until the connection ends; each runs negotiation and its handler on its own task.</summary>
    internal async Task RunInboundStreamsAsync()
    {
        while (true)
        {
            IMuxedStream stream;
            try
            {
                stream = await _muxed.AcceptStreamAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The connection ended (or is closing): no more inbound streams.
                return;
            }
            if (Interlocked.Increment(ref _inboundStreams) > _host.Options.MaxInboundStreamsPerConnection)
            {
                Interlocked.Decrement(ref _inboundStreams);
                stream.Reset();
                HostLog.InboundStreamRefused(_logger, RemotePeer.ToString(), $"inbound stream limit ({_host.Options.MaxInboundStreamsPerConnection}) reached");
                continue;
            }
            _ = ServeInboundStreamAsync(stream);
        }
    }

    private async Task ServeInboundStreamAsync(IMuxedStream muxed)
    {
        MeshStream? stream = null;
        HandlerRegistration? registration;
        string protocol;
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token))
            {
                timeout.CancelAfter(_host.Options.StreamNegotiationTimeout);
                protocol = await ProtocolNegotiation.RespondAsync(muxed, _host.HandlerTable, timeout.Token).ConfigureAwait(false);
            }
            if (!_host.HandlerTable.TryGetValue(protocol, out registration))
            {
                muxed.Reset();
                Interlocked.Decrement(ref _inboundStreams);
                HostLog.InboundStreamRefused(_logger, RemotePeer.ToString(), $"handler for {protocol} was removed during negotiation");
                return;
            }
            if (!TryAcquire(protocol, ConnectionDirection.Inbound, registration.MaxInbound))
            {
                muxed.Reset();
                Interlocked.Decrement(ref _inboundStreams);
                HostLog.InboundStreamRefused(_logger, RemotePeer.ToString(), $"inbound stream limit for {protocol} reached");
                return;
            }
        }
        catch (Exception ex)
        {
            muxed.Reset();
            Interlocked.Decrement(ref _inboundStreams);
            HostLog.InboundStreamRefused(_logger, RemotePeer.ToString(), "negotiation failed: " + ex.Message);
            return;
        }

        stream = new MeshStream(muxed, muxed, protocol, this, ConnectionDirection.Inbound, s_onInboundClosed);
        try
        {
            await registration.Handler(stream, _closing.Token).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (!IsClosed)
            {
                HostLog.HandlerFailed(_logger, protocol, RemotePeer.ToString(), ex);
            }
            stream.Reset();
        }
    }

    private static readonly Action<MeshStream> s_onInboundClosed = static s =>
    {
        s.Connection.Release(s.Protocol, ConnectionDirection.Inbound);
        Interlocked.Decrement(ref s.Connection._inboundStreams);
    };

    private static readonly Action<MeshStream> s_onOutboundClosed = static s =>
    {
        s.Connection.Release(s.Protocol, ConnectionDirection.Outbound);
        Interlocked.Decrement(ref s.Connection._outboundStreams);
    };

    private bool AnyProtocolUnderLimit(IReadOnlyList<string> protocols)
    {
        lock (_protocolCounts)
        {
            foreach (string p in protocols)
            {
                int open = _protocolCounts.TryGetValue(p, out StreamCounts c) ? c.Outbound : 0;
                if (open < _host.GetOutboundLimit(p))
                {
                    return true;
                }
            }
            return false;
        }
    }

    private bool TryAcquire(string protocol, ConnectionDirection direction, int? limit = null)
    {
        int max = limit ?? (direction == ConnectionDirection.Inbound ? _host.Options.DefaultMaxInboundStreamsPerProtocol : _host.GetOutboundLimit(protocol));
        lock (_protocolCounts)
        {
            _protocolCounts.TryGetValue(protocol, out StreamCounts c);
            if (direction == ConnectionDirection.Inbound)
            {
                if (c.Inbound >= max)
                {
                    return false;
                }
                c.Inbound++;
            }
            else
            {
                if (c.Outbound >= max)
                {
                    return false;
                }
                c.Outbound++;
            }
            _protocolCounts[protocol] = c;
            return true;
        }
    }

    private void Release(string protocol, ConnectionDirection direction)
    {
        lock (_protocolCounts)
        {
            if (!_protocolCounts.TryGetValue(protocol, out StreamCounts c))
            {
                return;
            }
            if (direction == ConnectionDirection.Inbound)
            {
                c.Inbound--;
            }
            else
            {
                c.Outbound--;
            }
            if (c.Inbound == 0 && c.Outbound == 0)
            {
                _protocolCounts.Remove(protocol);
            }
            else
            {
                _protocolCounts[protocol] = c;
            }
        }
    }

    /// <summary>Open streams of one protocol on this connection (inbound, outbound).</summary>
    public (int Inbound, int Outbound) GetStreamCount(string protocol)
    {
        lock (_protocolCounts)
        {
            return _protocolCounts.TryGetValue(protocol, out StreamCounts c) ? (c.Inbound, c.Outbound) : (0, 0);
        }
    }

    private async Task WhenClosedAsync()
    {
        try
        {
            await _muxed.Completion.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The reason is logged by the host; Closed never faults.
        }
        MarkClosing();
    }

    public override string ToString() => $"{Direction} connection {Id} to {RemotePeer} at {RemoteAddress}";

    private struct StreamCounts
    {
        public int Inbound;
        public int Outbound;
    }
}
