using System.Diagnostics.CodeAnalysis;

namespace Mesh.Multistream;

/// <summary>A malformed unsigned varint in peer or user input (non-minimal, longer than 9 bytes, or truncated).</summary>
public sealed class VarintException : MeshProtocolException
{
    public VarintException(VarintError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>The specific reason.</summary>
    public VarintError Error { get; }

    [DoesNotReturn]
    internal static void Throw(VarintError error) => throw new VarintException(error, Describe(error));

    internal static string Describe(VarintError error) => error switch
    {
        VarintError.NonMinimal => "unsigned varint is not minimally encoded (trailing 0x00 continuation byte)",
        VarintError.TooLong => $"unsigned varint is longer than {Uvarint.MaxLength} bytes (value exceeds 63 bits)",
        VarintError.Truncated => "unsigned varint is truncated",
        _ => "unsigned varint is malformed",
    };
}
