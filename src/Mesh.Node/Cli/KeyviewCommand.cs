using System.CommandLine;
using Mesh.Transport.Identity;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh keyview --path F</c>: prints the peer id of an identity file (as the Python <c>keyview</c> does), its key
/// type, and the OpenSSH public key that the node's signed DHT records carry in <c>[owner:…]</c>.
/// </summary>
internal static class KeyviewCommand
{
    public static Command Create()
    {
        Option<string> path = CliOption.Create<string>("--path", "Identity file to read.");
        path.DefaultValueFactory = _ => "private_key.key";
        var command = new Command("keyview", "Print the peer id, key type and public key of an identity file.") { path };
        CliOption.SetAction(command, (parse, _) =>
        {
            string file = parse.GetRequiredValue(path);
            if (Directory.Exists(file))
            {
                throw new CliUsageException($"'{file}' is a directory");
            }
            if (!File.Exists(file))
            {
                throw new FileNotFoundException(null, file);
            }
            PrivateKey key = IdentityFile.Read(file);
            TextWriter output = CliOption.Out(parse);
            output.WriteLine($"Peer ID: {key.PeerId}");
            output.WriteLine($"Key type: {key.Type}");
            output.WriteLine($"Public key: {OpenSshPublicKey.FormatString(key.PublicKey)}");
            return Task.FromResult(CliExit.Success);
        });
        return command;
    }
}
