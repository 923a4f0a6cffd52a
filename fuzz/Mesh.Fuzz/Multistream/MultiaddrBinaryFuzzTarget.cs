using Mesh.Multistream;

namespace Mesh.Fuzz.Multistream;

/// <summary>
/// Binary multiaddrs as a peer sends them (identify listen addrs, DHT peer records). Differential: any accepted
/// address must survive binary → text → binary unchanged, format identically through ToString and the
/// allocation-free TryFormat, and enumerate to the same bytes; any refused one must be refused by the throwing path
/// with the same reason, as a MultiaddrFormatException.
/// </summary>
public sealed class MultiaddrBinaryFuzzTarget : IFuzzTarget
{
    public string Name => "multiaddr-binary";

    public void Run(ReadOnlySpan<byte> input)
    {
        bool valid = Multiaddr.TryValidate(input, out MultiaddrError error);
        FuzzInput.Check(valid == (error == MultiaddrError.None), "status and error disagree");
        if (!valid)
        {
            try
            {
                Multiaddr.FromBytes(input);
                FuzzInput.Check(false, "FromBytes accepted what TryValidate refused");
            }
            catch (MultiaddrFormatException ex)
            {
                FuzzInput.Check(ex.Error == error, "throwing path reports another error");
            }
            return;
        }

        Multiaddr addr = Multiaddr.FromBytes(input);
        string text = addr.ToString();
        Multiaddr back = Multiaddr.Parse(text);
        FuzzInput.Check(back.Span.SequenceEqual(input), "binary → text → binary changed the bytes: " + text);
        FuzzInput.Check(back.ToString() == text, "text is not canonical");

        Span<char> chars = new char[addr.GetMaxFormattedLength()];
        FuzzInput.Check(addr.TryFormat(chars, out int written) && chars[..written].SequenceEqual(text), "TryFormat differs from ToString");

        int length = 0;
        int count = 0;
        foreach (MultiaddrComponent component in addr)
        {
            FuzzInput.Check(input[length..].StartsWith(component.Encoded), "component bytes out of place");
            length += component.Encoded.Length;
            count++;
        }
        FuzzInput.Check(length == input.Length && count == addr.Count, "enumeration does not cover the address");

        Multiaddr twice = addr.Encapsulate(addr);
        FuzzInput.Check(twice.Decapsulate(addr).Equals(addr) || count == 0, "decapsulate(encapsulate(x)) != x");
        addr.TryGetPeerId(out _);
        addr.TryGetIPEndPoint(out _);
    }
}
