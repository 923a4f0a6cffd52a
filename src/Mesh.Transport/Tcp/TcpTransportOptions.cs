using System.Buffers;

namespace Mesh.Transport.Tcp;

/// <summary>Socket and pipe settings of the TCP transport. The defaults suit a libp2p node; tests shrink them.</summary>
public sealed class TcpTransportOptions
{
    /// <summary>How long a dial may take to complete the TCP handshake. Default 10 s (go-libp2p's TCP dial timeout is 5 s, js 5 s; a loaded loopback needs more headroom).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Listen backlog. Default 1024; the kernel caps it at net.core.somaxconn.</summary>
    public int ListenBacklog { get; set; } = 1024;

    /// <summary>
    /// Bytes asked of the pipe for each receive once the zero-byte receive says data is there. Larger reads mean fewer
    /// syscalls for bulk transfers; idle connections hold nothing because the buffer is only rented after data arrived.
    /// Default 64 KiB, one maximal Noise frame.
    /// </summary>
    public int ReceiveBufferSize { get; set; } = 64 * 1024;

    /// <summary>Received-but-unread bytes at which the receive loop stops reading the socket (TCP backpressure). Default 1 MiB.</summary>
    public long MaxBufferedReceiveBytes { get; set; } = 1024 * 1024;

    /// <summary>Written-but-unsent bytes at which <c>FlushAsync</c> on the output stops completing. Default 1 MiB.</summary>
    public long MaxBufferedSendBytes { get; set; } = 1024 * 1024;

    /// <summary>Time a graceful <see cref="TcpConnection.DisposeAsync"/> waits for buffered output to reach the kernel before aborting. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Memory pool for both pipes. Default: <see cref="Buffers.TransportMemoryPool.Default"/>.</summary>
    public MemoryPool<byte>? MemoryPool { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveBufferSize, 512, nameof(ReceiveBufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedReceiveBytes, ReceiveBufferSize, nameof(MaxBufferedReceiveBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedSendBytes, 4096, nameof(MaxBufferedSendBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(ListenBacklog, 1, nameof(ListenBacklog));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
    }
}
