using System.Buffers;

namespace Mesh.Kademlia.Serialization;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over an array whose exact final size is known in advance (the encoder measures
/// first), so <c>Serialize</c> allocates exactly one array of the right length and never copies. One instance per
/// thread is reused.
/// </summary>
internal sealed class FixedBufferWriter : IBufferWriter<byte>
{
    [ThreadStatic]
    private static FixedBufferWriter? t_cached;

    private byte[] _buffer = [];
    private int _written;

    public int Written => _written;

    public static FixedBufferWriter Rent(byte[] buffer)
    {
        FixedBufferWriter writer = t_cached ?? new FixedBufferWriter();
        t_cached = null;
        writer._buffer = buffer;
        writer._written = 0;
        return writer;
    }

    public static void Return(FixedBufferWriter writer)
    {
        writer._buffer = [];
        t_cached = writer;
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new InvalidOperationException("Advanced past the measured length: the msgpack length computation is wrong.");
        }
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.AsMemory(_written, Check(sizeHint));

    public Span<byte> GetSpan(int sizeHint = 0) => _buffer.AsSpan(_written, Check(sizeHint));

    private int Check(int sizeHint)
    {
        int remaining = _buffer.Length - _written;
        if (sizeHint > remaining)
        {
            throw new InvalidOperationException("Wrote past the measured length: the msgpack length computation is wrong.");
        }
        return remaining;
    }
}
