namespace Mesh.Kademlia.Serialization;

/// <summary>
/// A msgpack extension whose type code the serializer does not interpret. mesh's <c>_decode_ext_types</c> logs
/// "Unknown ExtType code" and returns the payload bytes; MeshCore keeps the code too, so the value re-encodes to the
/// same bytes (Python would re-encode it as <c>bin</c>).
/// </summary>
public sealed class MsgExtension : IEquatable<MsgExtension>
{
    public MsgExtension(sbyte typeCode, ReadOnlyMemory<byte> data)
    {
        TypeCode = typeCode;
        Data = data;
    }

    public sbyte TypeCode { get; }

    /// <summary>The raw extension payload.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    public bool Equals(MsgExtension? other) =>
        other is not null && TypeCode == other.TypeCode && Data.Span.SequenceEqual(other.Data.Span);

    public override bool Equals(object? obj) => Equals(obj as MsgExtension);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(TypeCode);
        hash.AddBytes(Data.Span);
        return hash.ToHashCode();
    }

    public override string ToString() => $"ExtType({TypeCode}, {MsgValue.FormatBytes(Data.Span)})";
}
