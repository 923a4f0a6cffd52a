namespace Mesh.Multistream;

/// <summary>Why a base58 / multibase / multihash / CID input was rejected (<see cref="MultiformatException"/>).</summary>
public enum MultiformatError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>A character outside the encoding's alphabet.</summary>
    InvalidCharacter,

    /// <summary>
    /// The text cannot be a canonical encoding: impossible length for the base, non-zero trailing bits, or misplaced
    /// padding. Rejected so that decode followed by encode gives the input back.
    /// </summary>
    NonCanonicalEncoding,

    /// <summary>The text is empty where a value (at least a multibase prefix) is required.</summary>
    Empty,

    /// <summary>The multibase prefix character is not one this library decodes.</summary>
    UnsupportedMultibase,

    /// <summary>A varint inside the structure (hash code, digest length, CID version or codec) is malformed.</summary>
    InvalidVarint,

    /// <summary>The structure declares more bytes than are present.</summary>
    Truncated,

    /// <summary>Bytes remain after the end of the structure.</summary>
    TrailingBytes,

    /// <summary>A known hash function with a digest of the wrong length (e.g. sha2-256 must be 32 bytes).</summary>
    DigestLengthMismatch,

    /// <summary>The input is longer than the limit for its kind (bounds the quadratic base58 work on untrusted text).</summary>
    TooLong,

    /// <summary>A CID version other than 0 or 1, or a CIDv0 that is not a base58btc sha2-256 multihash.</summary>
    UnsupportedCidVersion,

    /// <summary>The destination span is too small (only from APIs that report this as an error rather than a status).</summary>
    DestinationTooSmall,
}
