using Mesh.Transport.Identity;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// Identity file contents (a <c>PrivateKey</c> protobuf) as <see cref="IdentityFile.Parse"/> sees them after reading
/// the file: every failure must be an <see cref="IdentityFileException"/>, and an accepted key must serialize to a file
/// that loads to an equal key.
/// </summary>
public sealed class IdentityFileFuzzTarget : IFuzzTarget
{
    public string Name => "identity-file";

    public void Run(ReadOnlySpan<byte> input)
    {
        PrivateKey key;
        try
        {
            key = IdentityFile.Parse(input, "fuzz.id");
        }
        catch (IdentityFileException ex) when (ex.Path == "fuzz.id")
        {
            return;
        }
        if (!IdentityFile.Parse(key.ToProtobuf(), "again.id").Equals(key))
        {
            throw new InvalidOperationException("identity file does not round-trip");
        }
    }
}
