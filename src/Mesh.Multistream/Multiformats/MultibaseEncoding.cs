namespace Mesh.Multistream;

/// <summary>
/// The multibase encodings this library reads and writes; each value is its prefix character
/// (https://github.com/multiformats/multibase, multibase.csv).
/// </summary>
public enum MultibaseEncoding
{
    /// <summary><c>z</c>: base58btc (peer ids, CIDv0-style).</summary>
    Base58Btc = 'z',

    /// <summary><c>k</c>: base36, lower case (IPNS names, <c>k51…</c> CIDs).</summary>
    Base36Lower = 'k',

    /// <summary><c>K</c>: base36, upper case.</summary>
    Base36Upper = 'K',

    /// <summary><c>b</c>: RFC 4648 base32, lower case, no padding (CIDv1 default, <c>bafz…</c> peer ids).</summary>
    Base32Lower = 'b',

    /// <summary><c>B</c>: RFC 4648 base32, upper case, no padding.</summary>
    Base32Upper = 'B',

    /// <summary><c>c</c>: RFC 4648 base32, lower case, with padding.</summary>
    Base32PadLower = 'c',

    /// <summary><c>C</c>: RFC 4648 base32, upper case, with padding.</summary>
    Base32PadUpper = 'C',

    /// <summary><c>f</c>: base16 (hex), lower case.</summary>
    Base16Lower = 'f',

    /// <summary><c>F</c>: base16 (hex), upper case.</summary>
    Base16Upper = 'F',

    /// <summary><c>m</c>: RFC 4648 base64, no padding.</summary>
    Base64 = 'm',

    /// <summary><c>M</c>: RFC 4648 base64, with padding.</summary>
    Base64Pad = 'M',

    /// <summary><c>u</c>: RFC 4648 base64url, no padding (multiaddr <c>/certhash</c> text form).</summary>
    Base64Url = 'u',

    /// <summary><c>U</c>: RFC 4648 base64url, with padding.</summary>
    Base64UrlPad = 'U',
}
