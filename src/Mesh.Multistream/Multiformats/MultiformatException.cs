using System.Diagnostics.CodeAnalysis;

namespace Mesh.Multistream;

/// <summary>
/// A malformed base58, multibase, multihash or CID value in peer or user input. <see cref="Error"/> says what was
/// wrong; the message adds where (e.g. the offending character and its index).
/// </summary>
public sealed class MultiformatException : MeshProtocolException
{
    public MultiformatException(MultiformatError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>The specific reason.</summary>
    public MultiformatError Error { get; }

    [DoesNotReturn]
    internal static void Throw(MultiformatError error, string what) =>
        throw new MultiformatException(error, $"{what}: {Describe(error)}");

    [DoesNotReturn]
    internal static void ThrowInvalidCharacter(string what, char c, int index) =>
        throw new MultiformatException(MultiformatError.InvalidCharacter,
            $"{what}: invalid character '{(char.IsControl(c) ? '?' : c)}' (U+{(int)c:X4}) at index {index}");

    internal static string Describe(MultiformatError error) => error switch
    {
        MultiformatError.InvalidCharacter => "character outside the alphabet",
        MultiformatError.NonCanonicalEncoding => "not a canonical encoding (bad length, trailing bits or padding)",
        MultiformatError.Empty => "empty input",
        MultiformatError.UnsupportedMultibase => "unsupported multibase prefix",
        MultiformatError.InvalidVarint => "malformed varint",
        MultiformatError.Truncated => "truncated",
        MultiformatError.TrailingBytes => "unexpected trailing bytes",
        MultiformatError.DigestLengthMismatch => "digest length does not match the hash function",
        MultiformatError.TooLong => "input too long",
        MultiformatError.UnsupportedCidVersion => "unsupported CID version",
        MultiformatError.DestinationTooSmall => "destination too small",
        _ => "malformed",
    };
}
