using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Tcp;

/// <summary>
/// A connected TCP socket exposed as an <see cref="IDuplexPipe"/> (Kestrel SocketConnection shape): one receive loop
/// fills <see cref="Input"/>, one send loop drains <see cref="Output"/>.
/// </summary>
/// <remarks>
/// <para>Receive: a zero-byte receive waits for readability before a buffer is rented from the pipe, so an idle
/// connection holds no buffer memory. Backpressure: when the application has not consumed
/// <see cref="TcpTransportOptions.MaxBufferedReceiveBytes"/>, the loop stops reading the socket and TCP flow control
/// pushes back on the peer.</para>
/// <para>Send: everything the application flushed goes out in gather writes; <c>FlushAsync</c> stops completing once
/// <see cref="TcpTransportOptions.MaxBufferedSendBytes"/> are waiting for the socket.</para>
/// <para>Shutdown: <c>Output.Complete()</c> sends what is buffered, then shuts down the send direction (FIN); reading
/// continues until the peer's FIN, which completes <see cref="Input"/>. A reset surfaces from <c>Input.ReadAsync</c> as
/// <see cref="ConnectionResetException"/>; <see cref="Abort"/> makes pending and later reads throw
/// <see cref="ConnectionAbortedException"/>. The socket is closed once both directions are done, on abort, or on
/// dispose.</para>
/// </remarks>
public sealed class TcpConnection : IDuplexPipe, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Pipe _receivePipe; // socket → application
    private readonly Pipe _sendPipe;    // application → socket
    private readonly SocketSender _sender = new();
    private readonly int _receiveBufferSize;
    private readonly TimeSpan _closeTimeout;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiveTask = Task.CompletedTask;
    private Task _sendTask = Task.CompletedTask;
    private volatile Exception? _abortReason;
    private int _socketDisposed;
    private int _started;

    internal TcpConnection(Socket socket, TcpTransportOptions options, ILogger? logger)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _receiveBufferSize = options.ReceiveBufferSize;
        _closeTimeout = options.CloseTimeout;
        _logger = logger ?? NullLogger.Instance;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        MemoryPool<byte> pool = options.MemoryPool ?? Buffers.TransportMemoryPool.Default;
        // Inline schedulers: the loops run on socket-engine thread-pool threads already; an extra hop per read or
        // flush costs throughput without buying fairness.
        _receivePipe = new Pipe(new PipeOptions(
            pool,
            readerScheduler: PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.MaxBufferedReceiveBytes,
            resumeWriterThreshold: options.MaxBufferedReceiveBytes / 2,
            minimumSegmentSize: 4096,
            useSynchronizationContext: false));
        _sendPipe = new Pipe(new PipeOptions(
            pool,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.ThreadPool,
            pauseWriterThreshold: options.MaxBufferedSendBytes,
            resumeWriterThreshold: options.MaxBufferedSendBytes / 2,
            minimumSegmentSize: 4096,
            useSynchronizationContext: false));
    }

    /// <summary>Bytes from the peer. Completes at the peer's FIN; throws <see cref="ConnectionResetException"/> on a reset.</summary>
    public PipeReader Input => _receivePipe.Reader;

    /// <summary>Bytes to the peer. <c>Complete()</c> flushes and sends FIN.</summary>
    public PipeWriter Output => _sendPipe.Writer;

    public IPEndPoint LocalEndPoint { get; }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>Completes once both directions have ended and the socket is closed. Never faults.</summary>
    public Task Completion => _completion.Task;

    internal void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }
        _receiveTask = ReceiveLoopAsync();
        _sendTask = SendLoopAsync();
        _ = WhenBothLoopsEndAsync();
    }

    /// <summary>
    /// Abortive close: the socket is closed at once, pending reads fail with <see cref="ConnectionAbortedException"/>
    /// (carrying <paramref name="reason"/>), unsent output is dropped.
    /// </summary>
    public void Abort(Exception? reason = null)
    {
        _abortReason ??= reason ?? new ConnectionAbortedException();
        DisposeSocket();
        _sendPipe.Reader.CancelPendingRead();
    }

    /// <summary>
    /// Graceful close: completes <see cref="Output"/> (if the application has not), waits up to
    /// <see cref="TcpTransportOptions.CloseTimeout"/> for buffered bytes to be sent and the FIN to go out, then closes the
    /// socket. Call it once the application no longer reads or writes.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Start();
        _sendPipe.Writer.Complete();
        try
        {
            await _sendTask.WaitAsync(_closeTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            TcpLog.CloseTimedOut(_logger, RemoteEndPoint);
        }
        _abortReason ??= new ConnectionAbortedException("The connection was disposed.");
        DisposeSocket();
        _sendPipe.Reader.CancelPendingRead();
        _receivePipe.Reader.Complete();
        await _completion.Task.ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _receivePipe.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                // Wait for data without holding a buffer (Kestrel WaitForDataAsync, Pipelines.Sockets ZeroLengthReads).
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                Memory<byte> buffer = writer.GetMemory(_receiveBufferSize);
                int received = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    // Peer FIN: the input completes normally; our send direction stays open (half-close).
                    break;
                }
                writer.Advance(received);
                ValueTask<FlushResult> flush = writer.FlushAsync();
                FlushResult result = flush.IsCompletedSuccessfully ? flush.Result : await flush.ConfigureAwait(false);
                if (result.IsCompleted)
                {
                    // The application stopped reading.
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            error = MapError(ex);
            if (error is ConnectionResetException)
            {
                TcpLog.ConnectionReset(_logger, RemoteEndPoint, ex.Message);
            }
            // The socket is unusable: stop the send loop too.
            _sendPipe.Reader.CancelPendingRead();
        }
        finally
        {
            await writer.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    private async Task SendLoopAsync()
    {
        PipeReader reader = _sendPipe.Reader;
        Exception? error = null;
        bool graceful = false;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await _sender.SendAsync(_socket, buffer).ConfigureAwait(false);
                }
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    graceful = true;
                    break;
                }
            }
            if (graceful)
            {
                // Half-close: FIN after the last byte; the receive direction keeps running.
                _socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception ex)
        {
            error = MapError(ex);
            DisposeSocket();
        }
        finally
        {
            await reader.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    private async Task WhenBothLoopsEndAsync()
    {
        try
        {
            await Task.WhenAll(_receiveTask, _sendTask).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The loops catch everything; this is a bug guard so Completion never hangs.
            TcpLog.LoopFaulted(_logger, RemoteEndPoint, ex);
        }
        DisposeSocket();
        _sender.Dispose();
        _completion.TrySetResult();
    }

    private void DisposeSocket()
    {
        if (Interlocked.Exchange(ref _socketDisposed, 1) == 0)
        {
            _socket.Dispose();
        }
    }

    private Exception MapError(Exception ex)
    {
        if (_abortReason is { } reason)
        {
            return reason as ConnectionAbortedException ?? new ConnectionAbortedException("The connection was aborted: " + reason.Message, reason);
        }
        return ex switch
        {
            SocketException se when IsReset(se.SocketErrorCode) =>
                new ConnectionResetException($"Connection reset by {RemoteEndPoint} ({se.SocketErrorCode}).", se),
            SocketException se when IsAbort(se.SocketErrorCode) =>
                new ConnectionAbortedException($"Connection to {RemoteEndPoint} aborted ({se.SocketErrorCode}).", se),
            ObjectDisposedException => new ConnectionAbortedException(),
            _ => ex,
        };
    }

    // Same classification as Kestrel's SocketConnection.IsConnectionResetError / IsConnectionAbortError.
    private static bool IsReset(SocketError error) =>
        error is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted
            or SocketError.NetworkReset or SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable;

    private static bool IsAbort(SocketError error) =>
        error is SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument;
}
