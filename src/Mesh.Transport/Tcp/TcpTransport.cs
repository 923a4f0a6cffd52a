using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Tcp;

/// <summary>Dials and listens on TCP. Stateless apart from its options; one instance serves a whole host.</summary>
public sealed class TcpTransport
{
    private readonly TcpTransportOptions _options;
    private readonly ILogger? _logger;

    public TcpTransport(TcpTransportOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? new TcpTransportOptions();
        _options.Validate();
        _logger = loggerFactory?.CreateLogger("Mesh.Transport.Tcp");
    }

    public TcpTransportOptions Options => _options;

    /// <summary>
    /// Binds and listens. Port 0 picks a free port (read it from <see cref="TcpConnectionListener.LocalEndPoint"/>).
    /// IPv6 listeners are v6-only so that <c>/ip4/0.0.0.0/tcp/N</c> and <c>/ip6/::/tcp/N</c> can coexist.
    /// </summary>
    /// <exception cref="AddressInUseException">The address is taken.</exception>
    public TcpConnectionListener Listen(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }
            socket.Bind(endPoint);
            socket.Listen(_options.ListenBacklog);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            if (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new AddressInUseException($"TCP address {endPoint} is already in use.", ex);
            }
            if (ex.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AccessDenied)
            {
                throw new IOException($"Cannot listen on TCP {endPoint}: {ex.SocketErrorCode}.", ex);
            }
            throw;
        }
        var listener = new TcpConnectionListener(socket, _options, _logger, _logger);
        if (_logger is not null)
        {
            TcpLog.Listening(_logger, listener.LocalEndPoint);
        }
        return listener;
    }

    /// <summary>
    /// Opens a TCP connection, bounded by <see cref="TcpTransportOptions.ConnectTimeout"/> and
    /// <paramref name="cancellationToken"/>. The connection's I/O loops are running when it is returned.
    /// </summary>
    /// <exception cref="DialException">Refused, unreachable or timed out.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired.</exception>
    public async ValueTask<TcpConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new DialException(DialFailure.TimedOut, $"TCP connect to {endPoint} timed out after {_options.ConnectTimeout.TotalSeconds:0.#} s.");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            DialFailure reason = ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => DialFailure.Refused,
                SocketError.TimedOut => DialFailure.TimedOut,
                SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.AddressNotAvailable => DialFailure.Unreachable,
                SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable => DialFailure.LimitExceeded,
                _ => DialFailure.Other,
            };
            string what = reason switch
            {
                DialFailure.Refused => "connection refused",
                DialFailure.TimedOut => "timed out",
                DialFailure.Unreachable => "unreachable",
                _ => ex.SocketErrorCode.ToString(),
            };
            throw new DialException(reason, $"TCP connect to {endPoint} failed: {what}.", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        TcpConnection connection;
        try
        {
            connection = new TcpConnection(socket, _options, _logger);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new DialException(DialFailure.Other, $"TCP connection to {endPoint} closed right after connect.", ex);
        }
        connection.Start();
        return connection;
    }

    /// <summary>
    /// The concrete addresses a wildcard listen address answers on (every up interface's unicast address of that
    /// family, loopback included); a specific address is returned as is.
    /// </summary>
    public static IReadOnlyList<IPAddress> ExpandUnspecified(IPAddress address)
    {
        if (!address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
        {
            return [address];
        }
        var result = new List<IPAddress>();
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown))
                {
                    continue;
                }
                foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    IPAddress ip = unicast.Address;
                    if (ip.AddressFamily != address.AddressFamily || ip.IsIPv6LinkLocal || ip.IsIPv6Multicast)
                    {
                        continue;
                    }
                    if (ip.AddressFamily == AddressFamily.InterNetworkV6 && ip.ScopeId != 0)
                    {
                        ip = new IPAddress(ip.GetAddressBytes());
                    }
                    if (!result.Contains(ip))
                    {
                        result.Add(ip);
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Fall through to loopback below.
        }
        if (result.Count == 0)
        {
            result.Add(address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback);
        }
        // Loopback first: it is the address that always works for a local peer.
        result.Sort(static (a, b) => IPAddress.IsLoopback(b).CompareTo(IPAddress.IsLoopback(a)));
        return result;
    }
}
