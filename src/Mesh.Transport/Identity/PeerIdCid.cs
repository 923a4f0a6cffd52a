namespace Mesh.Transport.Identity;

// WIP placeholder until Mesh.Multistream's Multibase/Cid land on main (not to be landed as is).
internal static class PeerIdCid
{
    public static PeerIdFormatError TryDecode(ReadOnlySpan<char> text, Span<byte> buffer, out ReadOnlySpan<byte> multihash)
    {
        multihash = default;
        return PeerIdFormatError.InvalidText;
    }

    public static string Encode(byte[] multihash) => throw new NotSupportedException("CID form pending Multibase");
}
