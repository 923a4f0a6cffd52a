using System.Collections.Immutable;
using System.Net;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using Mesh.Transport.Protocols.Identify;
using Mesh.Transport.Protocols.Perf;
using Mesh.Transport.Protocols.Ping;
using Mesh.Transport.Tcp;
using Mesh.Transport.Yamux;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Host;

/// <summary>
/// A libp2p host: an identity, TCP listeners, connections upgraded with Noise and yamux, one connection reused per
/// peer, a registry of protocol handlers, and identify / ping / perf on top. This is what the RPC and DHT layers build
/// on.
/// </summary>
/// <remarks>
/// <para>Connections: <see cref="ConnectAsync(Multiaddr, CancellationToken)"/> and
/// <see cref="OpenStreamAsync(PeerId, IReadOnlyList{string}, CancellationToken)"/> reuse the live connection to a peer;
/// concurrent dials to the same peer share one attempt; when both sides dial each other at once, both keep the
/// connection opened by the peer with the smaller peer id and close the other gracefully, so the outcome is the same
/// on both ends. <see cref="Connected"/> / <see cref="Disconnected"/> fire when a peer gains its first connection and
/// loses its last.</para>
/// <para>Streams: inbound streams are negotiated (multistream-select, bounded by
/// <see cref="HostOptions.StreamNegotiationTimeout"/>) and handed to the handler registered for the protocol; a
/// handler's exception resets that stream only.</para>
/// <para>Thread-safety: every public member may be called from any thread. Mutations of the connection table and the
/// handler table take one short lock (never held across I/O); readers use immutable snapshots.</para>
/// </remarks>
public sealed class MeshHost : IAsyncDisposable
{
    private readonly HostOptions _options;
    private readonly PrivateKey _identity;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TcpTransport _tcp;
    private readonly ConnectionUpgrader _upgrader;
    private readonly CancellationTokenSource _shutdown = new();

    // Guarded by _gate. Snapshots (_connectionsByPeer, _handlers, _listenAddresses) are replaced whole and read
    // without the lock.
    private readonly Lock _gate = new();
    private ImmutableDictionary<PeerId, ImmutableArray<MeshConnection>> _connectionsByPeer = ImmutableDictionary<PeerId, ImmutableArray<MeshConnection>>.Empty;
    private ImmutableDictionary<string, HandlerRegistration> _handlers = ImmutableDictionary.Create<string, HandlerRegistration>(StringComparer.Ordinal);
    private ImmutableArray<Multiaddr> _listenAddresses = [];
    private readonly ImmutableArray<Multiaddr> _announceAddresses;
    private readonly Dictionary<PeerId, Task<MeshConnection>> _pendingDials = [];
    private readonly List<TcpConnectionListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private int _connectionCount;
    private int _pendingInbound;
    private int _state; // 0 created, 1 started, 2 stopping/stopped
    private Task? _stopTask;

    public MeshHost(HostOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? new HostOptions();
        _options.Validate();
        _identity = _options.Identity ?? PrivateKey.Generate(KeyType.Ed25519);
        PeerId = _identity.PeerId;
        _announceAddresses = NormalizeAnnounced(_options.AnnounceAddresses, PeerId);
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Mesh.Transport.Host");
        _tcp = new TcpTransport(_options.Tcp, loggerFactory);
        _upgrader = new ConnectionUpgrader(_identity, new YamuxMuxer(_options.Yamux, _loggerFactory), _options.HandshakeTimeout, _logger);
        PeerStore = new PeerStore(_options.MaxKnownPeers, _options.MaxAddressesPerPeer, IsConnected);
        Identify = new IdentifyService(this, _logger);
        Ping = new PingService(this);
        if (_options.EnablePing)
        {
            SetHandler(PingProtocol.Id, PingService.HandleAsync, new StreamHandlerOptions
            {
                MaxInboundStreamsPerConnection = PingProtocol.MaxInboundStreams,
                MaxOutboundStreamsPerConnection = PingProtocol.MaxOutboundStreams,
            });
        }
        if (_options.EnablePerf)
        {
            SetHandler(PerfProtocol.Id, static (stream, ct) => PerfProtocol.RespondAsync(stream, ct));
        }
    }

    /// <summary>This host's peer id.</summary>
    public PeerId PeerId { get; }

    /// <summary>This host's identity key.</summary>
    public PublicKey PublicKey => _identity.PublicKey;

    /// <summary>The options the host runs with (do not change them after construction).</summary>
    public HostOptions Options => _options;

    /// <summary>Known peers: addresses and identify results.</summary>
    public PeerStore PeerStore { get; }

    /// <summary>Identify (<c>/ipfs/id/1.0.0</c>, <c>/ipfs/id/push/1.0.0</c>).</summary>
    public IdentifyService Identify { get; }

    /// <summary>Ping (<c>/ipfs/ping/1.0.0</c>) client.</summary>
    public PingService Ping { get; }

    /// <summary>
    /// Concrete addresses the host accepts connections on (wildcards expanded to interface addresses, port 0 replaced
    /// by the bound port), without <c>/p2p/</c>. Empty before <see cref="StartAsync"/>.
    /// </summary>
    public ImmutableArray<Multiaddr> ListenAddresses => _listenAddresses; // one reference-sized field: reads are atomic

    /// <summary><see cref="ListenAddresses"/> each ending in <c>/p2p/&lt;this peer id&gt;</c>: what to give to a peer that should dial us.</summary>
    public IReadOnlyList<Multiaddr> GetFullListenAddresses() => [.. ListenAddresses.Select(a => HostAddresses.WithPeerId(a, PeerId))];

    /// <summary>
    /// The addresses this host tells peers to dial it at, without <c>/p2p/</c>: <see cref="HostOptions.AnnounceAddresses"/>
    /// when set, otherwise <see cref="ListenAddresses"/>. Identify sends them as listenAddrs; protocols that describe
    /// this host to others (the kad DHT's own peer record) and tools that print "connect to me" lines use them.
    /// </summary>
    public ImmutableArray<Multiaddr> AdvertisedAddresses => _announceAddresses.IsEmpty ? ListenAddresses : _announceAddresses;

    /// <summary><see cref="AdvertisedAddresses"/> each ending in <c>/p2p/&lt;this peer id&gt;</c>: the lines to print for operators.</summary>
    public IReadOnlyList<Multiaddr> GetFullAdvertisedAddresses() => [.. AdvertisedAddresses.Select(a => HostAddresses.WithPeerId(a, PeerId))];

    /// <summary>Protocols with a registered handler (what identify advertises), sorted.</summary>
    public IReadOnlyList<string> Protocols => [.. Volatile.Read(ref _handlers).Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Live connections (a snapshot; primary connection of each peer first). A closed connection leaves the table a
    /// moment after it ends (its watcher disposes the socket first); it is not listed meanwhile, as
    /// <see cref="GetConnection"/> does not return it, so "disconnect, then look at the connections" sees it gone.
    /// </summary>
    public IReadOnlyList<MeshConnection> Connections => [.. Volatile.Read(ref _connectionsByPeer).Values.SelectMany(c => c).Where(c => !c.IsClosed)];

    /// <summary>Number of live connections.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>A peer gained its first connection. Raised on the connection's task; subscribers must not block.</summary>
    public event Action<MeshConnection>? Connected;

    /// <summary>A peer lost its last connection. Raised on the connection's task; subscribers must not block.</summary>
    public event Action<MeshConnection>? Disconnected;

    /// <summary>The handler table changed (identify push listens).</summary>
    internal event Action? ProtocolsChanged;

    internal ImmutableDictionary<string, HandlerRegistration> HandlerTable => Volatile.Read(ref _handlers);

    internal ILoggerFactory LoggerFactory => _loggerFactory;

    internal CancellationToken ShutdownToken => _shutdown.Token;

    /// <summary>Binds every <see cref="HostOptions.ListenAddresses"/> entry and starts accepting connections.</summary>
    /// <exception cref="AddressInUseException">A listen address is taken (nothing stays bound).</exception>
    /// <exception cref="ArgumentException">A listen address is not <c>/ip4|ip6/…/tcp/…</c>.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_state != 0)
            {
                throw new InvalidOperationException(_state == 1 ? "The host is already started." : "The host is stopped.");
            }
            _state = 1;
        }
        var bound = new List<(TcpConnectionListener Listener, Multiaddr Requested)>();
        try
        {
            foreach (Multiaddr requested in _options.ListenAddresses)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!HostAddresses.TryGetTcpEndPoint(requested, out IPEndPoint? endPoint, out _))
                {
                    throw new ArgumentException($"Cannot listen on {requested}: only /ip4/…/tcp/N and /ip6/…/tcp/N are supported.");
                }
                bound.Add((_tcp.Listen(endPoint), requested));
            }
        }
        catch
        {
            foreach ((TcpConnectionListener l, _) in bound)
            {
                l.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            lock (_gate)
            {
                _state = 0;
            }
            throw;
        }
        var addresses = ImmutableArray.CreateBuilder<Multiaddr>();
        lock (_gate)
        {
            foreach ((TcpConnectionListener listener, _) in bound)
            {
                _listeners.Add(listener);
                foreach (IPAddress ip in TcpTransport.ExpandUnspecified(listener.LocalEndPoint.Address))
                {
                    Multiaddr a = HostAddresses.FromTcpEndPoint(new IPEndPoint(ip, listener.LocalEndPoint.Port));
                    if (!addresses.Contains(a))
                    {
                        addresses.Add(a);
                    }
                }
                _acceptLoops.Add(AcceptLoopAsync(listener));
            }
            _listenAddresses = addresses.ToImmutable();
        }
        foreach (Multiaddr a in addresses)
        {
            HostLog.Listening(_logger, PeerId.ToString(), a.ToString());
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Graceful shutdown: stops listening, sends GoAway on every connection, lets open streams drain for up to
    /// <see cref="HostOptions.GracefulCloseTimeout"/>, then aborts what is left. Idempotent.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _state = 2;
            _stopTask ??= StopCoreAsync();
        }
        return _stopTask.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
    }

    private async Task StopCoreAsync()
    {
        await Task.Yield();
        TcpConnectionListener[] listeners;
        lock (_gate)
        {
            listeners = [.. _listeners];
            _listeners.Clear();
            _listenAddresses = [];
        }
        HostLog.Stopping(_logger, PeerId.ToString(), ConnectionCount, _options.GracefulCloseTimeout.TotalSeconds);
        foreach (TcpConnectionListener l in listeners)
        {
            await l.DisposeAsync().ConfigureAwait(false);
        }
        await _shutdown.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            HostLog.AcceptLoopFailed(_logger, "(shutdown)", ex);
        }
        IReadOnlyList<MeshConnection> connections = Connections;
        using var drain = new CancellationTokenSource(_options.GracefulCloseTimeout);
        Task[] closing = [.. connections.Select(c => c.CloseAsync(drain.Token).AsTask())];
        try
        {
            await Task.WhenAll(closing).WaitAsync(_options.GracefulCloseTimeout + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Timed out or a close failed: abort below.
        }
        foreach (MeshConnection c in connections)
        {
            if (!c.Closed.IsCompleted)
            {
                c.Abort(new ConnectionAbortedException("The host is shutting down."));
            }
        }
        await Task.WhenAll(connections.Select(c => c.Closed)).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    private static ImmutableArray<Multiaddr> NormalizeAnnounced(IList<Multiaddr> announced, PeerId self)
    {
        var result = ImmutableArray.CreateBuilder<Multiaddr>(announced.Count);
        foreach (Multiaddr address in announced)
        {
            ArgumentNullException.ThrowIfNull(address, nameof(HostOptions.AnnounceAddresses));
            Multiaddr bare = address;
            if (HostAddresses.TryGetPeerId(address, out PeerId named))
            {
                if (named != self)
                {
                    throw new ArgumentException($"Announce address {address} names peer {named}, not this host ({self}).", nameof(HostOptions.AnnounceAddresses));
                }
                bare = address.Decapsulate(MultiaddrProtocol.P2p);
            }
            else if (address.TryGetPeerId(out _))
            {
                throw new ArgumentException($"Announce address {address} ends in a /p2p/ part that is not a peer id.", nameof(HostOptions.AnnounceAddresses));
            }
            if (bare.IsEmpty)
            {
                throw new ArgumentException($"Announce address {address} has no transport part.", nameof(HostOptions.AnnounceAddresses));
            }
            if (!result.Contains(bare))
            {
                result.Add(bare);
            }
        }
        return result.ToImmutable();
    }

    // ---------------------------------------------------------------- handlers

    /// <summary>
    /// Registers (or replaces) the handler for <paramref name="protocol"/>. Peers learn about the change through
    /// identify push.
    /// </summary>
    public void SetHandler(string protocol, StreamHandler handler, StreamHandlerOptions? options = null)
    {
        ValidateProtocolId(protocol);
        ArgumentNullException.ThrowIfNull(handler);
        var registration = new HandlerRegistration(
            handler,
            options?.MaxInboundStreamsPerConnection ?? _options.DefaultMaxInboundStreamsPerProtocol,
            options?.MaxOutboundStreamsPerConnection ?? _options.DefaultMaxOutboundStreamsPerProtocol);
        ArgumentOutOfRangeException.ThrowIfLessThan(registration.MaxInbound, 0, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(registration.MaxOutbound, 0, nameof(options));
        lock (_gate)
        {
            _handlers = _handlers.SetItem(protocol, registration);
        }
        ProtocolsChanged?.Invoke();
    }

    /// <summary>Unregisters a handler; streams already running keep running. False when none was registered.</summary>
    public bool RemoveHandler(string protocol)
    {
        bool removed;
        lock (_gate)
        {
            ImmutableDictionary<string, HandlerRegistration> before = _handlers;
            _handlers = before.Remove(protocol);
            removed = !ReferenceEquals(before, _handlers);
        }
        if (removed)
        {
            ProtocolsChanged?.Invoke();
        }
        return removed;
    }

    internal int GetOutboundLimit(string protocol) =>
        HandlerTable.TryGetValue(protocol, out HandlerRegistration? r) ? r.MaxOutbound : _options.DefaultMaxOutboundStreamsPerProtocol;

    private static void ValidateProtocolId(string protocol)
    {
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        if (protocol.Length > 1024 || protocol.Contains('\n'))
        {
            throw new ArgumentException("A protocol id is at most 1024 characters and has no newline (multistream-select).", nameof(protocol));
        }
    }

    // ---------------------------------------------------------------- connections

    /// <summary>The primary live connection to <paramref name="peer"/>, or null.</summary>
    public MeshConnection? GetConnection(PeerId peer)
    {
        if (Volatile.Read(ref _connectionsByPeer).TryGetValue(peer, out ImmutableArray<MeshConnection> list))
        {
            foreach (MeshConnection c in list)
            {
                if (!c.IsClosed)
                {
                    return c;
                }
            }
        }
        return null;
    }

    /// <summary>True while the host has a live connection to the peer.</summary>
    public bool IsConnected(PeerId peer) => GetConnection(peer) is not null;

    /// <summary>
    /// Returns the live connection to the address's peer, or dials it. With a <c>/p2p/&lt;id&gt;</c> component the
    /// remote must prove that identity (a different key fails the dial with <see cref="DialFailure.PeerIdMismatch"/>)
    /// and concurrent dials to that peer share one attempt.
    /// </summary>
    /// <exception cref="DialException">Refused, unreachable, timed out, handshake failed, wrong peer, or a limit.</exception>
    public async ValueTask<MeshConnection> ConnectAsync(Multiaddr address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ThrowIfStopped();
        if (!HostAddresses.TryGetPeerId(address, out PeerId peer))
        {
            return await DialAddressAsync(address, null, cancellationToken).ConfigureAwait(false);
        }
        if (peer == PeerId)
        {
            throw new DialException(DialFailure.UnsupportedAddress, $"{address} is this host's own address.");
        }
        if (GetConnection(peer) is { } existing)
        {
            return existing;
        }
        return await DialCoalescedAsync(peer, ct => DialAddressAsync(address, peer, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the live connection to <paramref name="peer"/>, or dials its known addresses in turn.</summary>
    /// <exception cref="DialException">No known address worked (<see cref="DialFailure.NoAddresses"/> when none is known).</exception>
    public async ValueTask<MeshConnection> ConnectAsync(PeerId peer, CancellationToken cancellationToken = default)
    {
        ThrowIfStopped();
        if (GetConnection(peer) is { } existing)
        {
            return existing;
        }
        if (peer == PeerId)
        {
            throw new DialException(DialFailure.UnsupportedAddress, "A host cannot dial itself.");
        }
        return await DialCoalescedAsync(peer, ct => DialKnownAddressesAsync(peer, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes every connection to the peer gracefully.</summary>
    public async ValueTask DisconnectAsync(PeerId peer, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _connectionsByPeer).TryGetValue(peer, out ImmutableArray<MeshConnection> list))
        {
            foreach (MeshConnection c in list)
            {
                await c.CloseAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Opens a stream to <paramref name="peer"/> for the first of <paramref name="protocols"/> it supports, reusing the
    /// live connection or dialing the peer's known addresses.
    /// </summary>
    public async ValueTask<MeshStream> OpenStreamAsync(PeerId peer, IReadOnlyList<string> protocols, CancellationToken cancellationToken = default)
    {
        MeshConnection connection = GetConnection(peer) ?? await ConnectAsync(peer, cancellationToken).ConfigureAwait(false);
        try
        {
            return await connection.OpenStreamAsync(protocols, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionAbortedException) when (connection.IsClosed && !cancellationToken.IsCancellationRequested)
        {
            // The connection closed under us (GoAway, duplicate resolution): one retry on a fresh one.
            connection = await ConnectAsync(peer, cancellationToken).ConfigureAwait(false);
            return await connection.OpenStreamAsync(protocols, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Opens a stream to the peer at <paramref name="address"/>, dialing it if needed.</summary>
    public async ValueTask<MeshStream> OpenStreamAsync(Multiaddr address, IReadOnlyList<string> protocols, CancellationToken cancellationToken = default)
    {
        MeshConnection connection = await ConnectAsync(address, cancellationToken).ConfigureAwait(false);
        return await connection.OpenStreamAsync(protocols, cancellationToken).ConfigureAwait(false);
    }

    private async Task<MeshConnection> DialCoalescedAsync(PeerId peer, Func<CancellationToken, Task<MeshConnection>> dial, CancellationToken cancellationToken)
    {
        Task<MeshConnection> attempt;
        lock (_gate)
        {
            if (!_pendingDials.TryGetValue(peer, out attempt!))
            {
                attempt = RunDialAsync(peer, dial);
                _pendingDials[peer] = attempt;
            }
        }
        return await attempt.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<MeshConnection> RunDialAsync(PeerId peer, Func<CancellationToken, Task<MeshConnection>> dial)
    {
        // Yield first so the caller registers this task in _pendingDials before it can complete and unregister.
        await Task.Yield();
        try
        {
            // Shared by every waiter, so it is bounded by the host's lifetime and the transport/handshake timeouts,
            // not by any one caller's token.
            return await dial(_shutdown.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _pendingDials.Remove(peer);
            }
        }
    }

    private async Task<MeshConnection> DialKnownAddressesAsync(PeerId peer, CancellationToken cancellationToken)
    {
        ImmutableArray<Multiaddr> addresses = PeerStore.GetAddresses(peer);
        if (addresses.IsEmpty)
        {
            throw new DialException(DialFailure.NoAddresses, $"No known address for {peer}.");
        }
        var failures = new List<Exception>();
        foreach (Multiaddr address in addresses)
        {
            try
            {
                return await DialAddressAsync(address, peer, cancellationToken).ConfigureAwait(false);
            }
            catch (DialException ex) when (ex.Reason != DialFailure.LimitExceeded)
            {
                failures.Add(ex);
            }
        }
        DialFailure reason = failures.Count == 1 ? ((DialException)failures[0]).Reason : DialFailure.Other;
        throw new DialException(reason, $"Could not reach {peer} at any of {addresses.Length} known addresses: "
            + string.Join("; ", failures.Select(f => f.Message)), new AggregateException(failures));
    }

    private async Task<MeshConnection> DialAddressAsync(Multiaddr address, PeerId? expectedPeer, CancellationToken cancellationToken)
    {
        if (!HostAddresses.TryGetTcpEndPoint(address, out IPEndPoint? endPoint, out _))
        {
            throw new DialException(DialFailure.UnsupportedAddress, $"Cannot dial {address}: only /ip4/…/tcp/N and /ip6/…/tcp/N are supported.");
        }
        if (Volatile.Read(ref _connectionCount) >= _options.MaxConnections)
        {
            throw new DialException(DialFailure.LimitExceeded, $"Connection limit ({_options.MaxConnections}) reached; not dialing {address}.");
        }
        TcpConnection tcp;
        try
        {
            tcp = await _tcp.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch (DialException ex)
        {
            HostLog.DialFailed(_logger, address.ToString(), ex.Message);
            throw new DialException(ex.Reason, $"Dial {address}: {ex.Message}", ex.InnerException ?? ex);
        }
        UpgradedConnection upgraded;
        try
        {
            upgraded = await _upgrader.UpgradeAsync(tcp, isInitiator: true, expectedPeer, cancellationToken).ConfigureAwait(false);
        }
        catch (HandshakeException ex)
        {
            tcp.Abort(ex);
            HostLog.HandshakeFailed(_logger, ConnectionDirection.Outbound, endPoint.ToString(), ex.Stage, ex.Reason, ex.Message);
            DialFailure reason = ex.Reason switch
            {
                HandshakeFailure.TimedOut => DialFailure.TimedOut,
                HandshakeFailure.AuthenticationFailed when expectedPeer is not null => DialFailure.PeerIdMismatch,
                _ => DialFailure.HandshakeFailed,
            };
            throw new DialException(reason, $"Dial {address}: handshake failed at {ex.Stage} ({ex.Reason}): {ex.Message}", ex);
        }
        catch
        {
            tcp.Abort();
            throw;
        }
        if (expectedPeer is { } expected && upgraded.RemotePeer != expected)
        {
            upgraded.Muxed.Abort();
            await tcp.DisposeAsync().ConfigureAwait(false);
            throw new DialException(DialFailure.PeerIdMismatch, $"Dial {address}: the peer is {upgraded.RemotePeer}, not {expected}.");
        }
        var connection = new MeshConnection(this, upgraded.Muxed, upgraded.RemotePeer, upgraded.RemotePublicKey,
            HostAddresses.FromTcpEndPoint(tcp.LocalEndPoint), HostAddresses.WithoutPeerId(address),
            ConnectionDirection.Outbound, upgraded.Muxer, _logger) { SecureOutboundDrained = upgraded.SecureOutboundDrained };
        MeshConnection? primary = Register(connection, tcp, out string? refusal);
        if (primary is null)
        {
            throw new DialException(DialFailure.LimitExceeded, $"Dial {address}: {refusal}.");
        }
        PeerStore.AddAddresses(upgraded.RemotePeer, [HostAddresses.WithoutPeerId(address)]);
        return primary;
    }

    private async Task AcceptLoopAsync(TcpConnectionListener listener)
    {
        await Task.Yield();
        try
        {
            while (true)
            {
                TcpConnection? tcp;
                try
                {
                    tcp = await listener.AcceptAsync(_shutdown.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                if (tcp is null)
                {
                    return;
                }
                if (Volatile.Read(ref _connectionCount) >= _options.MaxConnections)
                {
                    HostLog.InboundRefused(_logger, tcp.RemoteEndPoint.ToString(), $"connection limit ({_options.MaxConnections}) reached");
                    tcp.Abort();
                    continue;
                }
                if (Interlocked.Increment(ref _pendingInbound) > _options.MaxPendingInboundHandshakes)
                {
                    Interlocked.Decrement(ref _pendingInbound);
                    HostLog.InboundRefused(_logger, tcp.RemoteEndPoint.ToString(), $"too many handshakes in progress ({_options.MaxPendingInboundHandshakes})");
                    tcp.Abort();
                    continue;
                }
                _ = HandleInboundAsync(tcp);
            }
        }
        catch (Exception ex)
        {
            HostLog.AcceptLoopFailed(_logger, listener.LocalEndPoint.ToString(), ex);
        }
    }

    private async Task HandleInboundAsync(TcpConnection tcp)
    {
        UpgradedConnection upgraded;
        try
        {
            upgraded = await _upgrader.UpgradeAsync(tcp, isInitiator: false, expectedPeer: null, _shutdown.Token).ConfigureAwait(false);
        }
        catch (HandshakeException ex)
        {
            HostLog.HandshakeFailed(_logger, ConnectionDirection.Inbound, tcp.RemoteEndPoint.ToString(), ex.Stage, ex.Reason, ex.Message);
            tcp.Abort(ex);
            return;
        }
        catch (Exception)
        {
            tcp.Abort();
            return;
        }
        finally
        {
            Interlocked.Decrement(ref _pendingInbound);
        }
        var connection = new MeshConnection(this, upgraded.Muxed, upgraded.RemotePeer, upgraded.RemotePublicKey,
            HostAddresses.FromTcpEndPoint(tcp.LocalEndPoint), HostAddresses.FromTcpEndPoint(tcp.RemoteEndPoint),
            ConnectionDirection.Inbound, upgraded.Muxer, _logger) { SecureOutboundDrained = upgraded.SecureOutboundDrained };
        if (Register(connection, tcp, out string? refusal) is null)
        {
            HostLog.InboundRefused(_logger, tcp.RemoteEndPoint.ToString(), refusal!);
        }
    }

    /// <summary>
    /// Adds an upgraded connection to the table and starts serving it; resolves duplicates. Returns the peer's
    /// primary connection afterwards (which may be an older one), or null when a limit refused it (it is then closed).
    /// </summary>
    private MeshConnection? Register(MeshConnection connection, TcpConnection tcp, out string? refusal)
    {
        PeerId peer = connection.RemotePeer;
        MeshConnection? loser = null;
        MeshConnection? primary = null;
        bool firstForPeer = false;
        lock (_gate)
        {
            refusal = RefusalReason(peer);
            if (refusal is null)
            {
                ImmutableArray<MeshConnection> existing = _connectionsByPeer.GetValueOrDefault(peer, []);
                MeshConnection? current = existing.FirstOrDefault(c => !c.IsClosed);
                firstForPeer = existing.IsEmpty;
                // The same peer dialling us again while we hold its earlier connection is not a duplicate to resolve.
                // Dials to one peer are coalesced, so a dialler does this when it has given the earlier connection up
                // (it may still be draining it: yamux sends GoAway only at the end of a graceful close), or it keeps
                // several, as go-libp2p may. The dialler decides what it closes; closing its new one here is what
                // killed a reconnect made while the old connection drained. Both stay, the new one first.
                bool dialledAgain = current is { Direction: ConnectionDirection.Inbound } && connection.Direction == ConnectionDirection.Inbound;
                if (current is not null && !dialledAgain)
                {
                    // Simultaneous open (or a redundant dial of our own): both ends keep the connection opened by the
                    // smaller peer id, so they agree without talking.
                    MeshConnection keep = Prefer(current, connection);
                    loser = ReferenceEquals(keep, current) ? connection : current;
                    existing = ReferenceEquals(keep, connection) ? existing.Insert(0, connection) : existing.Add(connection);
                }
                else
                {
                    existing = existing.Insert(0, connection);
                }
                _connectionsByPeer = _connectionsByPeer.SetItem(peer, existing);
                _connectionCount++;
                primary = existing[0];
            }
        }
        if (refusal is not null)
        {
            // Outside the lock: aborting runs muxer continuations.
            connection.Abort(new ConnectionAbortedException(refusal));
            _ = CloseTcpWhenDoneAsync(connection, tcp);
            return null;
        }

        HostLog.Connected(_logger, peer.ToString(), connection.Direction, connection.RemoteAddress.ToString(), connection.Muxer);
        _ = connection.RunInboundStreamsAsync();
        _ = WatchAsync(connection, tcp);
        if (loser is not null)
        {
            MeshConnection kept = ReferenceEquals(loser, connection) ? primary! : connection;
            HostLog.DuplicateResolved(_logger, peer.ToString(), kept.Direction, loser.Direction);
            _ = CloseGracefullyAsync(loser);
        }
        if (firstForPeer)
        {
            Raise(Connected, connection);
        }
        return primary;
    }

    // Caller holds _gate.
    private string? RefusalReason(PeerId peer)
    {
        if (_state == 2)
        {
            return "the host is stopping";
        }
        if (_connectionCount >= _options.MaxConnections)
        {
            return $"connection limit ({_options.MaxConnections}) reached";
        }
        int live = 0;
        foreach (MeshConnection c in _connectionsByPeer.GetValueOrDefault(peer, []))
        {
            live += c.IsClosed ? 0 : 1;
        }
        return live >= _options.MaxConnectionsPerPeer
            ? $"per-peer connection limit ({_options.MaxConnectionsPerPeer}) reached for {peer}"
            : null;
    }

    private MeshConnection Prefer(MeshConnection a, MeshConnection b)
    {
        PeerId initiatorA = a.Direction == ConnectionDirection.Outbound ? PeerId : a.RemotePeer;
        PeerId initiatorB = b.Direction == ConnectionDirection.Outbound ? PeerId : b.RemotePeer;
        if (initiatorA == initiatorB)
        {
            return a; // same dialer twice: keep the older one
        }
        return initiatorA.CompareTo(initiatorB) < 0 ? a : b;
    }

    private async Task CloseGracefullyAsync(MeshConnection connection)
    {
        using var deadline = new CancellationTokenSource(_options.GracefulCloseTimeout);
        try
        {
            await connection.CloseAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            connection.Abort();
        }
    }

    private async Task WatchAsync(MeshConnection connection, TcpConnection tcp)
    {
        string reason = "closed";
        try
        {
            await connection.Muxed.Completion.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            reason = ex.Message;
        }
        await CloseTcpWhenDoneAsync(connection, tcp).ConfigureAwait(false);
        bool lastForPeer;
        lock (_gate)
        {
            ImmutableArray<MeshConnection> list = _connectionsByPeer.GetValueOrDefault(connection.RemotePeer, []);
            ImmutableArray<MeshConnection> remaining = list.Remove(connection);
            if (remaining.Length == list.Length)
            {
                return;
            }
            _connectionCount--;
            lastForPeer = remaining.IsEmpty;
            _connectionsByPeer = lastForPeer
                ? _connectionsByPeer.Remove(connection.RemotePeer)
                : _connectionsByPeer.SetItem(connection.RemotePeer, remaining);
        }
        HostLog.Disconnected(_logger, connection.RemotePeer.ToString(), connection.Direction, reason);
        if (lastForPeer)
        {
            Raise(Disconnected, connection);
        }
    }

    /// <summary>
    /// Disposes the socket once the connection has ended and the secure channel has flushed the muxer's last frames
    /// (a graceful close's GoAway): disposing it as soon as the muxer ended dropped them, and the peer saw a bare TCP
    /// close. The wait is bounded by the graceful close timeout, so a peer that stopped reading cannot hold the socket.
    /// </summary>
    private async Task CloseTcpWhenDoneAsync(MeshConnection connection, TcpConnection tcp)
    {
        await connection.Closed.ConfigureAwait(false);
        try
        {
            await connection.SecureOutboundDrained.WaitAsync(_options.GracefulCloseTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The socket is disposed anyway; what was still unsent is lost, as with any abortive close.
        }
        await tcp.DisposeAsync().ConfigureAwait(false);
    }

    private void Raise(Action<MeshConnection>? handlers, MeshConnection connection)
    {
        if (handlers is null)
        {
            return;
        }
        foreach (Action<MeshConnection> h in handlers.GetInvocationList().Cast<Action<MeshConnection>>())
        {
            try
            {
                h(connection);
            }
            catch (Exception ex)
            {
                HostLog.EventSubscriberFailed(_logger, ex);
            }
        }
    }

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _state) == 2)
        {
            throw new ObjectDisposedException(nameof(MeshHost), "The host is stopped.");
        }
    }

    public override string ToString() => $"MeshHost {PeerId}";
}
