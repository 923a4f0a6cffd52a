namespace Mesh.Multistream;

/// <summary>Why an unsigned varint was rejected (<see cref="Uvarint"/>).</summary>
public enum VarintError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>
    /// The encoding is not minimal: its last byte is <c>0x00</c> after at least one continuation byte
    /// (e.g. <c>80 00</c> for 0). The spec requires minimal encodings so that every value has exactly one form.
    /// </summary>
    NonMinimal,

    /// <summary>The ninth byte still has the continuation bit set: the value would need more than 63 bits.</summary>
    TooLong,

    /// <summary>The input ended inside the varint (only reported by the throwing readers over complete buffers).</summary>
    Truncated,
}
