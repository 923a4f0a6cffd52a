namespace Mesh.Transport.Identity;

/// <summary>Why a peer id (binary multihash or text form) was rejected.</summary>
public enum PeerIdFormatError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>Empty input.</summary>
    Empty,

    /// <summary>The text is longer than any peer id form can be.</summary>
    TooLong,

    /// <summary>The text is not valid base58btc, or not a multibase string this library decodes.</summary>
    InvalidText,

    /// <summary>The bytes are not exactly one well-formed multihash (truncated, trailing bytes, bad varint, bad digest length).</summary>
    InvalidMultihash,

    /// <summary>A multihash other than identity or sha2-256 (peer-ids spec, "Peer Ids").</summary>
    UnsupportedHashFunction,

    /// <summary>An identity multihash longer than the 42-byte inline key limit.</summary>
    InlineKeyTooLong,

    /// <summary>A CID that is not version 1 with the <c>libp2p-key</c> codec (0x72).</summary>
    NotALibp2pKeyCid,
}
