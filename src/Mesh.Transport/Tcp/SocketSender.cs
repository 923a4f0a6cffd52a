using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Mesh.Transport.Tcp;

/// <summary>
/// One reusable send operation per connection: a <see cref="SocketAsyncEventArgs"/> that is its own
/// <see cref="IValueTaskSource{TResult}"/>, so a send costs no allocation. A multi-segment pipe buffer goes out as one
/// gather write (<see cref="SocketAsyncEventArgs.BufferList"/>), not one syscall per segment (Kestrel SocketSender).
/// </summary>
/// <remarks>
/// State machine, owned by the single send loop: Idle → [SendAsync] → Pending → [OnCompleted | sync completion] →
/// Completed → [GetResult] → Idle. Overlapping sends never happen because only the send loop calls
/// <see cref="SendAsync"/>.
/// </remarks>
internal sealed class SocketSender : SocketAsyncEventArgs, IValueTaskSource<int>
{
    // Gather lists longer than this are split across several sends. 8 is the runtime's stack threshold for sendmsg on
    // Unix (SocketPal.Unix IovStackThreshold): with more it allocates an IOVector[] and a GCHandle[] per send. Bulk
    // segments are 64 KiB blocks, so 8 still hands the kernel 512 KiB per call.
    private const int MaxGatherSegments = 8;

    private readonly List<ArraySegment<byte>> _bufferList = new(MaxGatherSegments);
    private ManualResetValueTaskSourceCore<int> _source;

    public SocketSender()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        // The continuation is the send loop; it is already running on a thread-pool thread when the socket engine
        // completes the operation, so running it inline saves a hop.
        _source.RunContinuationsAsynchronously = false;
    }

    /// <summary>Sends the whole buffer; completes when every byte was handed to the kernel.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(Socket socket, ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            await SendOneAsync(socket, buffer.First).ConfigureAwait(false);
            return;
        }
        SetBuffer(null, 0, 0);
        while (!buffer.IsEmpty)
        {
            _bufferList.Clear();
            SequencePosition position = buffer.Start;
            SequencePosition end = buffer.Start;
            while (_bufferList.Count < MaxGatherSegments && buffer.TryGet(ref position, out ReadOnlyMemory<byte> segment))
            {
                if (segment.IsEmpty)
                {
                    end = position;
                    continue;
                }
                if (!MemoryMarshal.TryGetArray(segment, out ArraySegment<byte> array))
                {
                    // Native (non-array) memory cannot go into a BufferList: send what is gathered, then this segment alone.
                    break;
                }
                _bufferList.Add(array);
                end = position;
            }
            if (_bufferList.Count == 0)
            {
                ReadOnlyMemory<byte> first = buffer.First;
                await SendOneAsync(socket, first).ConfigureAwait(false);
                SetBuffer(null, 0, 0);
                buffer = buffer.Slice(first.Length);
                continue;
            }
            long gathered = 0;
            foreach (ArraySegment<byte> s in _bufferList)
            {
                gathered += s.Count;
            }
            BufferList = _bufferList;
            try
            {
                await Start(socket).ConfigureAwait(false);
            }
            finally
            {
                BufferList = null;
                _bufferList.Clear();
            }
            buffer = buffer.Slice(gathered);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendOneAsync(Socket socket, ReadOnlyMemory<byte> memory)
    {
        SetBuffer(MemoryMarshal.AsMemory(memory));
        try
        {
            await Start(socket).ConfigureAwait(false);
        }
        finally
        {
            // Do not keep a reference to a pipe block the reader is about to return to the pool.
            SetBuffer(Memory<byte>.Empty);
        }
    }

    private ValueTask<int> Start(Socket socket)
    {
        _source.Reset();
        if (socket.SendAsync(this))
        {
            return new ValueTask<int>(this, _source.Version);
        }
        // Completed synchronously: OnCompleted is not called.
        SocketError error = SocketError;
        int transferred = BytesTransferred;
        return error == SocketError.Success
            ? new ValueTask<int>(transferred)
            : ValueTask.FromException<int>(new SocketException((int)error));
    }

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        SocketError error = SocketError;
        if (error == SocketError.Success)
        {
            _source.SetResult(BytesTransferred);
        }
        else
        {
            _source.SetException(new SocketException((int)error));
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
