using System.Diagnostics.CodeAnalysis;

namespace Mesh.Multistream;

/// <summary>
/// A malformed multiaddr in peer input (binary) or user input (text). <see cref="Error"/> says what was wrong and
/// <see cref="Protocol"/> which component, when one is known; the message says both in words.
/// </summary>
public sealed class MultiaddrFormatException : MeshProtocolException
{
    public MultiaddrFormatException(MultiaddrError error, string? protocol, string message)
        : base(message)
    {
        Error = error;
        Protocol = protocol;
    }

    /// <summary>The specific reason.</summary>
    public MultiaddrError Error { get; }

    /// <summary>The protocol name (or code, if unknown) of the offending component; null for whole-address errors.</summary>
    public string? Protocol { get; }

    [DoesNotReturn]
    internal static void Throw(MultiaddrError error, string? protocol, string? detail = null)
    {
        string where = protocol is null ? "multiaddr" : $"multiaddr component /{protocol}";
        string message = detail is null ? $"{where}: {Describe(error)}" : $"{where}: {Describe(error)} ({detail})";
        throw new MultiaddrFormatException(error, protocol, message);
    }

    internal static string Describe(MultiaddrError error) => error switch
    {
        MultiaddrError.Empty => "empty address",
        MultiaddrError.InvalidSyntax => "text must be /proto/value/... with no empty components",
        MultiaddrError.InvalidVarint => "malformed varint",
        MultiaddrError.UnknownProtocol => "unknown protocol",
        MultiaddrError.MissingValue => "missing or truncated value",
        MultiaddrError.ValueTooLong => $"value longer than {Multiaddr.MaxValueLength} bytes",
        MultiaddrError.InvalidIPAddress => "invalid IP address",
        MultiaddrError.InvalidPort => "invalid port (must be a decimal number 0..65535)",
        MultiaddrError.InvalidPeerId => "invalid peer id (must be a multihash: base58btc or a libp2p-key CID in text)",
        MultiaddrError.InvalidCertHash => "invalid certificate hash (must be a multibase-encoded multihash)",
        MultiaddrError.InvalidDnsName => "invalid DNS name (1..255 bytes of UTF-8, no '/' or control characters)",
        MultiaddrError.InvalidValue => "invalid value",
        _ => "malformed",
    };
}
