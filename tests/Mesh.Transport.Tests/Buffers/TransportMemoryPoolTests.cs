using System.Buffers;
using System.IO.Pipelines;
using Mesh.Transport.Buffers;

namespace Mesh.Transport.Tests.Buffers;

/// <summary>The pipes' memory pool: power-of-two blocks, reuse without allocation, the retention budget, misuse.</summary>
public sealed class TransportMemoryPoolTests
{
    [Theory]
    [InlineData(-1, 4096)]
    [InlineData(0, 4096)]
    [InlineData(1, 4096)]
    [InlineData(4096, 4096)]
    [InlineData(4097, 8192)]
    [InlineData(16 * 1024, 16 * 1024)]
    [InlineData(65535, 65536)]
    [InlineData(65536, 65536)]
    [InlineData(65537, 131072)]
    [InlineData(1 << 20, 1 << 20)]
    public void Blocks_are_the_next_power_of_two_from_4_KiB(int request, int expected)
    {
        var pool = new TransportMemoryPool();
        using IMemoryOwner<byte> block = pool.Rent(request);
        Assert.Equal(expected, block.Memory.Length);
        Assert.Equal(expected, pool.RentedBytes);
    }

    [Fact]
    public void A_request_above_the_largest_block_is_refused()
    {
        var pool = new TransportMemoryPool();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(pool.MaxBufferSize + 1));
    }

    [Fact]
    public void A_returned_block_is_reused_and_renting_it_again_allocates_nothing()
    {
        var pool = new TransportMemoryPool();
        IMemoryOwner<byte> first = pool.Rent(65536);
        first.Dispose();
        Assert.Equal(65536, pool.RetainedBytes);
        Assert.Equal(0, pool.RentedBytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        IMemoryOwner<byte> second = pool.Rent(60000);
        Memory<byte> memory = second.Memory;
        second.Dispose();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Same(first, second);
        Assert.Equal(65536, memory.Length);
    }

    [Fact]
    public void A_block_disposed_twice_is_returned_once_and_unusable_after_return()
    {
        var pool = new TransportMemoryPool();
        IMemoryOwner<byte> block = pool.Rent(4096);
        block.Dispose();
        block.Dispose();
        Assert.Equal(4096, pool.RetainedBytes);
        Assert.Throws<ObjectDisposedException>(() => block.Memory);
        IMemoryOwner<byte> a = pool.Rent(4096);
        IMemoryOwner<byte> b = pool.Rent(4096);
        Assert.NotSame(a, b);
    }

    [Fact]
    public void Free_blocks_beyond_the_budget_are_left_to_the_gc()
    {
        var pool = new TransportMemoryPool(maxRetainedBytes: 3 * 65536);
        IMemoryOwner<byte>[] blocks = [.. Enumerable.Range(0, 5).Select(_ => pool.Rent(65536))];
        Assert.Equal(5 * 65536, pool.RentedBytes);
        foreach (IMemoryOwner<byte> block in blocks)
        {
            block.Dispose();
        }
        Assert.Equal(3 * 65536, pool.RetainedBytes);
        Assert.Equal(0, pool.RentedBytes);
    }

    [Fact]
    public async Task Concurrent_renters_never_share_a_block()
    {
        var pool = new TransportMemoryPool();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task[] workers = [.. Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 20_000 && !cts.IsCancellationRequested; i++)
            {
                using IMemoryOwner<byte> block = pool.Rent(4096 << (i % 5));
                Span<byte> span = block.Memory.Span;
                span[0] = (byte)w;
                span[^1] = (byte)w;
                Thread.SpinWait(i % 7);
                Assert.Equal((byte)w, span[0]);
                Assert.Equal((byte)w, span[^1]);
            }
        }, cts.Token))];
        await Task.WhenAll(workers);
        Assert.Equal(0, pool.RentedBytes);
    }

    [Fact]
    public async Task A_pipe_on_the_pool_returns_every_block()
    {
        var pool = new TransportMemoryPool();
        var pipe = new Pipe(new PipeOptions(pool, pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, minimumSegmentSize: 16 * 1024, useSynchronizationContext: false));
        byte[] chunk = new byte[70_000];
        for (int i = 0; i < 50; i++)
        {
            await pipe.Writer.WriteAsync(chunk, TestContext.Current.CancellationToken);
            ReadResult read = await pipe.Reader.ReadAsync(TestContext.Current.CancellationToken);
            Assert.Equal(chunk.Length, read.Buffer.Length);
            pipe.Reader.AdvanceTo(read.Buffer.End);
        }
        await pipe.Writer.CompleteAsync();
        await pipe.Reader.CompleteAsync();
        Assert.Equal(0, pool.RentedBytes);
        Assert.True(pool.RetainedBytes > 0);
    }
}
