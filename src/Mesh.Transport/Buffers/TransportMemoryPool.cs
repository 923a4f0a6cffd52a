using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;

namespace Mesh.Transport.Buffers;

/// <summary>
/// The memory pool behind every pipe of a connection (TCP, Noise, yamux streams): power-of-two blocks from 4 KiB to
/// 1 MiB, pinned (sockets read into and write from them without pinning per operation), handed out as reusable owner
/// objects, and kept for reuse up to a budget of retained bytes.
/// </summary>
/// <remarks>
/// <para>Why not <see cref="MemoryPool{T}.Shared"/>: it is <see cref="ArrayPool{T}.Shared"/> underneath, which keeps
/// about 32 arrays per size per core. A yamux stream's window (up to 16 MiB) keeps far more 64 KiB segments in flight,
/// so at every burst the shared pool ran dry, allocated, and dropped the surplus on return: 15 to 250 bytes per data
/// frame in steady state, where the target is none. This pool keeps what was in flight, up to
/// <see cref="MaxRetainedBytes"/>, so a connection's high-water mark is reused instead of reallocated.</para>
/// <para>Thread-safe and lock-free (one <see cref="ConcurrentQueue{T}"/> per size). A block disposed twice is returned
/// once; a block never disposed is simply collected. Requests above <see cref="MaxBufferSize"/> never reach it
/// (pipes take those from the array pool).</para>
/// </remarks>
public sealed class TransportMemoryPool : MemoryPool<byte>
{
    /// <summary>The smallest block (4 KiB).</summary>
    public const int MinBlockSize = 4 * 1024;

    private const int MaxBlockSizeLog2 = 20; // 1 MiB
    private const int MinBlockSizeLog2 = 12;

    private readonly ConcurrentQueue<Block>[] _free;
    private long _retainedBytes;
    private long _rentedBytes;

    /// <param name="maxRetainedBytes">How many bytes of free blocks to keep for reuse (default 64 MiB).</param>
    public TransportMemoryPool(long maxRetainedBytes = 64L * 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetainedBytes);
        MaxRetainedBytes = maxRetainedBytes;
        _free = new ConcurrentQueue<Block>[MaxBlockSizeLog2 - MinBlockSizeLog2 + 1];
        for (int i = 0; i < _free.Length; i++)
        {
            _free[i] = new ConcurrentQueue<Block>();
        }
    }

    /// <summary>The pool the transport uses when its options name none.</summary>
    public static TransportMemoryPool Default { get; } = new();

    /// <summary>The largest block (1 MiB).</summary>
    public override int MaxBufferSize => 1 << MaxBlockSizeLog2;

    /// <summary>The budget of free bytes kept for reuse.</summary>
    public long MaxRetainedBytes { get; }

    /// <summary>Free bytes currently kept for reuse.</summary>
    public long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    /// <summary>Bytes in blocks rented and not yet returned (what the pipes hold right now).</summary>
    public long RentedBytes => Interlocked.Read(ref _rentedBytes);

    /// <summary>A block of at least <paramref name="minBufferSize"/> bytes (-1: the smallest); dispose it to return it.</summary>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > MaxBufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"blocks are at most {MaxBufferSize} bytes");
        }
        int sizeClass = SizeClass(minBufferSize);
        if (_free[sizeClass].TryDequeue(out Block? block))
        {
            Interlocked.Add(ref _retainedBytes, -block.Length);
        }
        else
        {
            block = new Block(this, sizeClass, 1 << (sizeClass + MinBlockSizeLog2));
        }
        block.MarkRented();
        Interlocked.Add(ref _rentedBytes, block.Length);
        return block;
    }

    protected override void Dispose(bool disposing)
    {
        // Blocks are plain managed memory; nothing to release. Free blocks stay until collected with the pool.
    }

    private static int SizeClass(int minBufferSize) =>
        minBufferSize <= MinBlockSize ? 0 : BitOperations.Log2((uint)minBufferSize - 1) + 1 - MinBlockSizeLog2;

    private void Return(Block block)
    {
        Interlocked.Add(ref _rentedBytes, -block.Length);
        if (Interlocked.Add(ref _retainedBytes, block.Length) > MaxRetainedBytes)
        {
            // Over budget: let this one go to the GC.
            Interlocked.Add(ref _retainedBytes, -block.Length);
            return;
        }
        _free[block.SizeClass].Enqueue(block);
    }

    /// <summary>One pinned block; it is its own owner, so renting allocates nothing once the pool is warm.</summary>
    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly TransportMemoryPool _pool;
        private readonly Memory<byte> _memory;
        private int _rented;

        public Block(TransportMemoryPool pool, int sizeClass, int length)
        {
            _pool = pool;
            SizeClass = sizeClass;
            _memory = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        }

        public int SizeClass { get; }

        public int Length => _memory.Length;

        public Memory<byte> Memory
        {
            get
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _rented) == 0, this);
                return _memory;
            }
        }

        public void MarkRented() => Volatile.Write(ref _rented, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _rented, 0) == 1)
            {
                _pool.Return(this);
            }
        }
    }
}
