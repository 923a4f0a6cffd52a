using Mesh.Transport.Identity;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// Peer ids from text (config files, the command line, the chain's peer-id strings, multiaddr <c>/p2p/</c> parts) and
/// from binary multihashes. The UTF-8 and UTF-16 parsers must agree; an accepted id must format to base58btc and to a
/// CID that both parse back to it, and its bytes must pass the binary validator.
/// </summary>
public sealed class PeerIdTextFuzzTarget : IFuzzTarget
{
    public string Name => "peerid-text";

    public void Run(ReadOnlySpan<byte> input)
    {
        bool utf8 = PeerId.TryParseUtf8(input, out PeerId fromUtf8, out PeerIdFormatError utf8Error);
        Span<char> chars = new char[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            chars[i] = (char)input[i];
        }
        bool utf16 = PeerId.TryParse(chars, out PeerId fromChars, out PeerIdFormatError charsError);
        if (utf8 != utf16 || utf8Error != charsError || fromUtf8 != fromChars)
        {
            throw new InvalidOperationException($"UTF-8 ({utf8Error}) and UTF-16 ({charsError}) parsing disagree");
        }
        try
        {
            PeerId thrown = PeerId.Parse(chars);
            if (!utf16 || thrown != fromChars)
            {
                throw new InvalidOperationException("Parse accepted what TryParse rejected");
            }
        }
        catch (PeerIdFormatException ex) when (!utf16 && ex.Error == charsError)
        {
        }
        if (utf8)
        {
            CheckRoundTrips(fromUtf8);
        }
        if (PeerId.TryFromBytes(input, out PeerId fromBytes))
        {
            CheckRoundTrips(fromBytes);
        }
    }

    private static void CheckRoundTrips(PeerId id)
    {
        if (PeerId.Parse(id.ToString()) != id || PeerId.Parse(id.ToCidString()) != id || PeerId.FromBytes(id.Bytes) != id)
        {
            throw new InvalidOperationException($"peer id {id} does not round-trip through its text forms");
        }
        id.TryExtractPublicKey(out PublicKey? key);
        if (key is not null && !id.Matches(key))
        {
            throw new InvalidOperationException("extracted public key does not match its peer id");
        }
    }
}
