namespace Mesh.Multistream;

/// <summary>Why a multiaddr (binary or text) was rejected (<see cref="MultiaddrFormatException"/>).</summary>
public enum MultiaddrError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>No components: an empty byte string, <c>""</c> or <c>"/"</c>.</summary>
    Empty,

    /// <summary>Text that does not start with <c>/</c>, or has an empty component (<c>//</c>).</summary>
    InvalidSyntax,

    /// <summary>A malformed varint for a protocol code or a value length.</summary>
    InvalidVarint,

    /// <summary>A protocol code or name this library does not know (so the value size is unknown).</summary>
    UnknownProtocol,

    /// <summary>The protocol needs a value and none follows (text), or the bytes end inside the value (binary).</summary>
    MissingValue,

    /// <summary>A variable-length value longer than <see cref="Multiaddr.MaxValueLength"/>.</summary>
    ValueTooLong,

    /// <summary>Not a valid IPv4/IPv6 address text, or not the right number of bytes.</summary>
    InvalidIPAddress,

    /// <summary>Not a decimal port in 0..65535 (text).</summary>
    InvalidPort,

    /// <summary>The <c>/p2p</c> value is not a valid multihash (or, in text, base58btc multihash or libp2p-key CID).</summary>
    InvalidPeerId,

    /// <summary>The <c>/certhash</c> value is not a multibase-encoded valid multihash.</summary>
    InvalidCertHash,

    /// <summary>A domain name that is empty, longer than 255 bytes, not UTF-8, or holds <c>/</c> or control characters.</summary>
    InvalidDnsName,

    /// <summary>Any other malformed value (bad percent-encoding, bad CIDR number, invalid UTF-8, empty path or zone).</summary>
    InvalidValue,
}
