using System.Buffers;
using Mesh.Multistream;

namespace Mesh.Transport.Identity;

/// <summary>
/// The CID text form of peer ids (peer-ids spec, "String representation"):
/// <c>&lt;multibase prefix&gt;&lt;cid-version = 1&gt;&lt;multicodec = libp2p-key 0x72&gt;&lt;multihash&gt;</c>, base32 lower case
/// (<c>bafz…</c>) by default. Multibase and CID parsing are Mesh.Multistream's; this adds the peer-id rules on top.
/// </summary>
internal static class PeerIdCid
{
    /// <summary>
    /// Decodes multibase CID text into <paramref name="buffer"/> and returns the multihash inside it (a slice of the
    /// buffer), or the reason it is not a peer id CID.
    /// </summary>
    public static PeerIdFormatError TryDecode(ReadOnlySpan<char> text, Span<byte> buffer, out ReadOnlySpan<byte> multihash)
    {
        multihash = default;
        if (Multibase.TryDecode(text, buffer, out int length, out _, out _) != OperationStatus.Done)
        {
            return PeerIdFormatError.InvalidText;
        }
        ReadOnlySpan<byte> cid = buffer[..length];
        // Inside a multibase string only CIDv1 exists (a bare 34-byte sha2-256 multihash would be taken for CIDv0).
        if (cid.IsEmpty || cid[0] != 1)
        {
            return PeerIdFormatError.NotALibp2pKeyCid;
        }
        if (!Cid.TryParseBytes(cid, out int version, out ulong codec, out ReadOnlySpan<byte> inner, out MultiformatError error))
        {
            return error is MultiformatError.UnsupportedCidVersion ? PeerIdFormatError.NotALibp2pKeyCid : PeerIdFormatError.InvalidMultihash;
        }
        if (version != 1 || codec != Cid.Libp2pKeyCodec)
        {
            return PeerIdFormatError.NotALibp2pKeyCid;
        }
        multihash = inner;
        return PeerIdFormatError.None;
    }

    /// <summary>The base32 CIDv1 <c>libp2p-key</c> text of a peer id multihash.</summary>
    public static string Encode(ReadOnlySpan<byte> multihash) => Cid.FormatV1(Cid.Libp2pKeyCodec, multihash, MultibaseEncoding.Base32Lower);
}
