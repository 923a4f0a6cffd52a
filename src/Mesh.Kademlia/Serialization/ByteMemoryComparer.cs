namespace Mesh.Kademlia.Serialization;

/// <summary>Content equality for byte buffers used as dictionary keys (packed subkeys, publisher ids).</summary>
internal sealed class ByteMemoryComparer : IEqualityComparer<ReadOnlyMemory<byte>>
{
    public static ByteMemoryComparer Instance { get; } = new();

    public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

    public int GetHashCode(ReadOnlyMemory<byte> obj)
    {
        var h = new HashCode();
        h.AddBytes(obj.Span);
        return h.ToHashCode();
    }
}
