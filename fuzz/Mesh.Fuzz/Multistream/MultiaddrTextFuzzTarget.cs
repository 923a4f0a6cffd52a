using Mesh.Multistream;

namespace Mesh.Fuzz.Multistream;

/// <summary>
/// Multiaddr text as a user or config file supplies it. Byte 0 picks UTF-8 or raw UTF-16 (lone surrogates
/// included). Anything accepted must print canonically and re-parse to the same bytes; anything refused must be a
/// MultiaddrFormatException from Parse with the same reason.
/// </summary>
public sealed class MultiaddrTextFuzzTarget : IFuzzTarget
{
    public string Name => "multiaddr-text";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        string text = FuzzInput.Text(input[1..], input[0]);
        if (!Multiaddr.TryParse(text, out Multiaddr? addr, out MultiaddrError error))
        {
            try
            {
                Multiaddr.Parse(text);
                FuzzInput.Check(false, "Parse accepted what TryParse refused");
            }
            catch (MultiaddrFormatException ex)
            {
                FuzzInput.Check(ex.Error == error, "throwing path reports another error");
            }
            return;
        }
        FuzzInput.Check(Multiaddr.IsValid(addr.Span), "parsed bytes do not validate");
        string canonical = addr.ToString();
        Multiaddr again = Multiaddr.Parse(canonical);
        FuzzInput.Check(again.Equals(addr), "canonical text parses to other bytes: " + canonical);
        FuzzInput.Check(again.ToString() == canonical, "canonical text is not a fixed point");
        FuzzInput.Check(Multiaddr.FromBytes(addr.Span).Equals(addr), "binary does not round trip");
    }
}
