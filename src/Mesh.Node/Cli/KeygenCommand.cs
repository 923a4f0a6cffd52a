using System.CommandLine;
using Mesh.Transport.Identity;

namespace Mesh.Node.Cli;

/// <summary>
/// <c>mesh keygen [--path F] [--bootstrap_path F] [--client_path F] [--key_type ed25519|rsa] [--force]</c>: writes the
/// three identity files a subnet node registers on chain (main, bootnode and client peer ids) in the format the Python
/// mesh, its keygen and p2pd read (mesh-reference §5: the libp2p <c>PrivateKey</c> protobuf; Ed25519 data = seed‖public,
/// RSA data = 2048-bit PKCS#1 DER), then reads each file back and checks that it yields the same peer id (the Python
/// keygen does that check by starting p2pd on it). Prints the peer ids as the Python keygen does
/// (<c>Peer ID: …</c>, <c>Bootstrap Peer ID: …</c>, <c>Client Peer ID: …</c>). Existing files are never overwritten
/// unless <c>--force</c> is given.
/// </summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        Option<string> path = CliOption.Create<string>("--path", "Identity file of the node's main peer id.");
        path.DefaultValueFactory = _ => "private_key.key";
        Option<string> bootstrapPath = CliOption.Create<string>("--bootstrap-path", "Identity file of the bootnode peer id.");
        bootstrapPath.DefaultValueFactory = _ => "bootstrap_private_key.key";
        Option<string> clientPath = CliOption.Create<string>("--client-path", "Identity file of the client peer id.");
        clientPath.DefaultValueFactory = _ => "client_private_key.key";
        Option<string> keyType = CliOption.Create<string>("--key-type", "Key type: ed25519 or rsa (2048-bit).");
        keyType.DefaultValueFactory = _ => "ed25519";
        Option<bool> force = CliOption.Flag("--force", "Overwrite identity files that already exist.");
        var command = new Command("keygen", "Generate the three identity files of a subnet node (peer, bootnode, client) and print their peer ids.")
        {
            path, bootstrapPath, clientPath, keyType, force,
        };
        CliOption.SetAction(command, (parse, _) => Task.FromResult(Run(CliOption.Out(parse), CliOption.Error(parse),
            parse.GetRequiredValue(path), parse.GetRequiredValue(bootstrapPath), parse.GetRequiredValue(clientPath),
            parse.GetRequiredValue(keyType), parse.GetValue(force))));
        return command;
    }

    /// <summary>Parses a <c>--key_type</c> value (case-insensitive, as the Python keygen lowercases it).</summary>
    public static KeyType ParseKeyType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "ed25519" => KeyType.Ed25519,
        "rsa" => KeyType.Rsa,
        _ => throw new CliUsageException($"unsupported --key_type '{text}': use ed25519 or rsa (the key types a mesh subnet accepts)"),
    };

    private static int Run(TextWriter output, TextWriter error, string path, string bootstrapPath, string clientPath, string keyTypeText, bool force)
    {
        KeyType type = ParseKeyType(keyTypeText);
        (string Label, string Path)[] files = [("Peer ID", path), ("Bootstrap Peer ID", bootstrapPath), ("Client Peer ID", clientPath)];
        // Check everything before writing anything, so a refusal leaves no half-written set behind.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string label, string file) in files)
        {
            if (file.Length == 0)
            {
                throw new CliUsageException($"the file for the {label} is empty");
            }
            if (!seen.Add(Path.GetFullPath(file)))
            {
                throw new CliUsageException($"--path, --bootstrap_path and --client_path must name three different files ('{file}' is given twice)");
            }
            if (Directory.Exists(file))
            {
                throw new CliUsageException($"'{file}' is a directory");
            }
            if (File.Exists(file) && !force)
            {
                throw new CliUsageException($"'{file}' already exists; pass --force to overwrite it (its key would be lost)");
            }
            string? directory = Path.GetDirectoryName(Path.GetFullPath(file));
            if (directory is not null && !Directory.Exists(directory))
            {
                throw new DirectoryNotFoundException($"'{directory}' (for '{file}')");
            }
        }
        foreach ((string label, string file) in files)
        {
            PrivateKey key = PrivateKey.Generate(type);
            IdentityFile.Write(file, key);
            PeerId written = IdentityFile.Read(file).PeerId;
            if (!written.Equals(key.PeerId))
            {
                throw new IOException($"'{file}' does not read back as the key just written ({written} instead of {key.PeerId})");
            }
            error.WriteLine($"Wrote {type} identity {file}");
            output.WriteLine($"{label}: {key.PeerId}");
        }
        return CliExit.Success;
    }
}
