using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Tcp;

/// <summary>A bound, listening TCP socket. <see cref="AcceptAsync"/> yields started <see cref="TcpConnection"/>s.</summary>
public sealed class TcpConnectionListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly TcpTransportOptions _options;
    private readonly ILogger _logger;
    private readonly ILogger? _connectionLogger;
    private int _disposed;

    internal TcpConnectionListener(Socket socket, TcpTransportOptions options, ILogger? logger, ILogger? connectionLogger)
    {
        _socket = socket;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _connectionLogger = connectionLogger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The bound address, with the real port when port 0 was asked for.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// The next inbound connection, already running its I/O loops; <c>null</c> once the listener is disposed.
    /// Transient accept failures (the peer reset before accept, out of descriptors) are logged and skipped.
    /// </summary>
    public async ValueTask<TcpConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted || Volatile.Read(ref _disposed) != 0)
            {
                return null;
            }
            catch (SocketException ex)
            {
                // ECONNABORTED (reset before accept), EMFILE/ENFILE: keep listening, but do not spin on EMFILE.
                TcpLog.AcceptFailed(_logger, LocalEndPoint, ex.SocketErrorCode.ToString());
                if (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                {
                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                }
                continue;
            }
            TcpConnection connection;
            try
            {
                connection = new TcpConnection(accepted, _options, _connectionLogger);
            }
            catch (SocketException)
            {
                // The peer went away between accept and reading the endpoints.
                accepted.Dispose();
                continue;
            }
            connection.Start();
            return connection;
        }
    }

    /// <summary>Stops listening; connections already accepted are not affected.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
