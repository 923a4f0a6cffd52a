using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Node.Metrics;

/// <summary>
/// <c>--metrics_port</c>: a minimal HTTP/1.1 server on 127.0.0.1 that answers <c>GET /metrics</c> with
/// <see cref="PrometheusExporter.Render"/> (and 404/405 otherwise). A tiny socket server rather than HttpListener or
/// Kestrel: native-AOT friendly, nothing to configure, loopback only (metrics are not meant for the network). Bounded:
/// one request per connection, request head at most 8 KiB read within 5 s, at most 8 connections served at once (more
/// wait in the listen backlog). Disposing stops it and waits for the connections in progress.
/// </summary>
public sealed partial class MetricsEndpoint : IAsyncDisposable
{
    private const int MaxRequestHead = 8 * 1024;
    private const int MaxConcurrent = 8;
    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly PrometheusExporter _exporter;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots = new(MaxConcurrent, MaxConcurrent);
    private readonly List<Task> _inFlight = [];
    private readonly Lock _gate = new();
    private Task? _acceptLoop;

    private MetricsEndpoint(TcpListener listener, PrometheusExporter exporter, ILogger logger)
    {
        _listener = listener;
        _exporter = exporter;
        _logger = logger;
    }

    /// <summary>The bound port (the one asked for, or the one chosen for port 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri Url => new($"http://127.0.0.1:{Port}/metrics");

    /// <summary>Binds 127.0.0.1:<paramref name="port"/> and starts serving.</summary>
    /// <exception cref="SocketException">The port is taken (<see cref="SocketError.AddressAlreadyInUse"/>).</exception>
    public static MetricsEndpoint Start(int port, PrometheusExporter exporter, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start(64);
        var endpoint = new MetricsEndpoint(listener, exporter, logger ?? NullLogger.Instance);
        endpoint._acceptLoop = endpoint.AcceptLoopAsync();
        return endpoint;
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _slots.WaitAsync(stop).ConfigureAwait(false);
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(stop).ConfigureAwait(false);
                }
                catch
                {
                    _slots.Release();
                    throw;
                }
                Task serving = ServeAsync(socket, stop);
                lock (_gate)
                {
                    _inFlight.RemoveAll(t => t.IsCompleted);
                    _inFlight.Add(serving);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (!stop.IsCancellationRequested)
            {
                Log.AcceptFailed(_logger, ex.Message);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        try
        {
            using (socket)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(s_readTimeout);
                string? requestLine = await ReadRequestLineAsync(socket, timeout.Token).ConfigureAwait(false);
                (int status, string reason, string contentType, string body) = Respond(requestLine);
                byte[] payload = Encoding.UTF8.GetBytes(body);
                string head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
                await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                await socket.SendAsync(payload, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // A slow, silent or vanished scraper: only its connection ends.
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>The response to a request line (null: the head was too long, malformed or not sent in time).</summary>
    internal (int Status, string Reason, string ContentType, string Body) Respond(string? requestLine)
    {
        const string text = "text/plain; charset=utf-8";
        if (requestLine is null)
        {
            return (400, "Bad Request", text, "bad request\n");
        }
        string[] parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return (400, "Bad Request", text, "bad request\n");
        }
        string path = parts[1].Split('?')[0];
        if (path != "/metrics")
        {
            return (404, "Not Found", text, "not found: use /metrics\n");
        }
        if (parts[0] != "GET")
        {
            return (405, "Method Not Allowed", text, "use GET\n");
        }
        return (200, "OK", "text/plain; version=0.0.4; charset=utf-8", _exporter.Render());
    }

    /// <summary>Reads the request head (up to the blank line) and returns its first line.</summary>
    private static async Task<string?> ReadRequestLineAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[MaxRequestHead];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            filled += read;
            int end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                int line = buffer.AsSpan(0, end).IndexOf("\r\n"u8);
                return Encoding.ASCII.GetString(buffer, 0, line >= 0 ? line : end);
            }
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        Task[] pending;
        lock (_gate)
        {
            pending = [.. _inFlight];
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
        _stop.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "Metrics endpoint: accepting a connection failed: {Reason}")]
        public static partial void AcceptFailed(ILogger logger, string reason);
    }
}
