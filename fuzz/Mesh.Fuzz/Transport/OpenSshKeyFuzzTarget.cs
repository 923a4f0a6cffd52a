using Mesh.Transport.Identity;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// OpenSSH public key text as mesh embeds it in <c>[owner:…]</c> record markers and access tokens, i.e. straight from
/// peers. Accepted keys must format and parse back to an equal key.
/// </summary>
public sealed class OpenSshKeyFuzzTarget : IFuzzTarget
{
    public string Name => "openssh-key";

    public void Run(ReadOnlySpan<byte> input)
    {
        PublicKey key;
        try
        {
            key = OpenSshPublicKey.Parse(input);
        }
        catch (KeyFormatException)
        {
            if (OpenSshPublicKey.TryParse(input, out _))
            {
                throw new InvalidOperationException("TryParse accepted what Parse rejected");
            }
            return;
        }
        byte[] formatted = OpenSshPublicKey.Format(key);
        if (!OpenSshPublicKey.Parse(formatted).Equals(key) || !OpenSshPublicKey.Parse(OpenSshPublicKey.FormatString(key)).Equals(key))
        {
            throw new InvalidOperationException("accepted OpenSSH text does not round-trip");
        }
    }
}
