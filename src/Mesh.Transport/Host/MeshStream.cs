using System.IO.Pipelines;
using Mesh.Transport.Identity;
using Mesh.Transport.Muxing;

namespace Mesh.Transport.Host;

/// <summary>
/// A muxed stream whose protocol has been negotiated: what <see cref="MeshHost.OpenStreamAsync(PeerId, IReadOnlyList{string}, CancellationToken)"/>
/// returns and what a <see cref="StreamHandler"/> receives.
/// </summary>
/// <remarks>
/// <c>Output.Complete()</c> half-closes (the peer sees end of input); <see cref="Input"/> completes when the peer
/// half-closed. <see cref="Reset"/> aborts both directions. <see cref="DisposeAsync"/> closes gracefully and releases
/// the stream's slot in the connection's limits; dispose every stream you open.
/// </remarks>
public sealed class MeshStream : IDuplexPipe, IAsyncDisposable
{
    private readonly IMuxedStream _stream;
    private readonly IDuplexPipe _pipe;
    private Action<MeshStream>? _onClosed;
    private int _closed;

    internal MeshStream(IMuxedStream stream, IDuplexPipe pipe, string protocol, MeshConnection connection, ConnectionDirection direction, Action<MeshStream> onClosed)
    {
        _stream = stream;
        _pipe = pipe;
        Protocol = protocol;
        Connection = connection;
        Direction = direction;
        _onClosed = onClosed;
    }

    /// <summary>The negotiated protocol id.</summary>
    public string Protocol { get; }

    /// <summary>The connection the stream runs on.</summary>
    public MeshConnection Connection { get; }

    /// <summary>The peer at the other end.</summary>
    public PeerId RemotePeer => Connection.RemotePeer;

    /// <summary>Outbound when this host opened the stream.</summary>
    public ConnectionDirection Direction { get; }

    /// <summary>The muxer's stream id.</summary>
    public long Id => _stream.Id;

    public PipeReader Input => _pipe.Input;

    public PipeWriter Output => _pipe.Output;

    /// <summary>Abortive close of both directions (yamux RST). Releases the stream's limit slot.</summary>
    public void Reset()
    {
        _stream.Reset();
        Release();
    }

    /// <summary>
    /// Graceful close: completes the write side (FIN after buffered data), stops reading, and releases the stream's
    /// limit slot. Safe to call more than once and after <see cref="Reset"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }
        try
        {
            await _pipe.Output.CompleteAsync().ConfigureAwait(false);
            await _pipe.Input.CompleteAsync().ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Interlocked.Exchange(ref _onClosed, null)?.Invoke(this);
        }
    }

    public override string ToString() => $"{Direction} stream {Id} {Protocol} with {RemotePeer}";
}
