using System.Text.Json;
using Mesh.Node.Cli;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Node.Tests.Cli;

public sealed class KeygenCommandTests
{
    private static string[] Keygen(CliRun.TempDirectory dir, params string[] more) =>
        ["keygen", "--path", dir.File("peer.key"), "--bootstrap_path", dir.File("boot.key"), "--client_path", dir.File("client.key"), .. more];

    private static Dictionary<string, string> PeerIds(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(": ", 2))
            .ToDictionary(p => p[0], p => p[1].Trim());

    [Fact]
    public async Task Ed25519_keygen_writes_three_keygen_py_files_and_prints_their_peer_ids()
    {
        using var dir = new CliRun.TempDirectory();
        CliRun.Result r = await CliRun.RunAsync(Keygen(dir));
        Assert.True(r.ExitCode == 0, r.ToString());
        Dictionary<string, string> ids = PeerIds(r.Output);
        Assert.Equal(["Peer ID", "Bootstrap Peer ID", "Client Peer ID"], ids.Keys);
        foreach ((string label, string file) in ((string, string)[])[("Peer ID", "peer.key"), ("Bootstrap Peer ID", "boot.key"), ("Client Peer ID", "client.key")])
        {
            byte[] bytes = File.ReadAllBytes(dir.File(file));
            // keygen.py layout: PrivateKey{key_type = Ed25519 (1), data = seed(32) ‖ public(32)}.
            Assert.Equal(68, bytes.Length);
            Assert.Equal(new byte[] { 0x08, 0x01, 0x12, 0x40 }, bytes[..4]);
            PrivateKey key = IdentityFile.Read(dir.File(file));
            Assert.Equal(KeyType.Ed25519, key.Type);
            Assert.Equal(bytes[36..], key.PublicKey.ToProtobuf()[4..]);
            Assert.Equal(ids[label], key.PeerId.ToString());
            Assert.StartsWith("12D3KooW", ids[label], StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File(file)));
            }
        }
        Assert.Equal(3, ids.Values.Distinct().Count());
    }

    [Fact]
    public async Task Rsa_keygen_writes_pkcs1_identity_files_with_Qm_peer_ids()
    {
        using var dir = new CliRun.TempDirectory();
        CliRun.Result r = await CliRun.RunAsync(Keygen(dir, "--key_type", "RSA"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Dictionary<string, string> ids = PeerIds(r.Output);
        byte[] bytes = File.ReadAllBytes(dir.File("peer.key"));
        // PrivateKey{key_type = RSA (0), data = PKCS#1 DER "30 82 04 .."}, as the repository's alith.id.
        Assert.Equal(new byte[] { 0x08, 0x00, 0x12 }, bytes[..3]);
        Assert.Equal(new byte[] { 0x30, 0x82, 0x04 }, bytes[5..8]);
        PrivateKey key = IdentityFile.Read(dir.File("peer.key"));
        Assert.Equal(KeyType.Rsa, key.Type);
        Assert.Equal(ids["Peer ID"], key.PeerId.ToString());
        Assert.StartsWith("Qm", ids["Peer ID"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Existing_files_are_not_overwritten_without_force()
    {
        using var dir = new CliRun.TempDirectory();
        Assert.Equal(0, (await CliRun.RunAsync(Keygen(dir))).ExitCode);
        byte[] before = File.ReadAllBytes(dir.File("boot.key"));
        File.Delete(dir.File("peer.key"));
        CliRun.Result refused = await CliRun.RunAsync(Keygen(dir));
        Assert.Equal(CliExit.Usage, refused.ExitCode);
        Assert.Contains("boot.key' already exists; pass --force", refused.Error, StringComparison.Ordinal);
        // Nothing was written: the refusal comes before the first file.
        Assert.False(File.Exists(dir.File("peer.key")));
        Assert.Equal(before, File.ReadAllBytes(dir.File("boot.key")));

        CliRun.Result forced = await CliRun.RunAsync(Keygen(dir, "--force"));
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.NotEqual(before, File.ReadAllBytes(dir.File("boot.key")));
    }

    [Theory]
    [InlineData("dsa", "unsupported --key_type 'dsa'")]
    [InlineData("secp256k1", "unsupported --key_type 'secp256k1'")]
    public async Task Wrong_key_type_is_a_usage_error(string type, string message)
    {
        using var dir = new CliRun.TempDirectory();
        CliRun.Result r = await CliRun.RunAsync(Keygen(dir, "--key-type", type));
        Assert.Equal(CliExit.Usage, r.ExitCode);
        Assert.Contains(message, r.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task Same_file_twice_and_missing_directory_are_refused()
    {
        using var dir = new CliRun.TempDirectory();
        CliRun.Result twice = await CliRun.RunAsync("keygen", "--path", dir.File("a"), "--bootstrap_path", dir.File("a"), "--client_path", dir.File("c"));
        Assert.Equal(CliExit.Usage, twice.ExitCode);
        Assert.Contains("three different files", twice.Error, StringComparison.Ordinal);
        CliRun.Result missing = await CliRun.RunAsync("keygen", "--path", dir.File("no/such/dir/a"), "--bootstrap_path", dir.File("b"), "--client_path", dir.File("c"));
        Assert.Equal(CliExit.Failure, missing.ExitCode);
        Assert.Contains("does not exist", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_flag_is_a_usage_error_with_a_hint()
    {
        CliRun.Result r = await CliRun.RunAsync("keygen", "--bogus");
        Assert.Equal(CliExit.Usage, r.ExitCode);
        Assert.Contains("mesh keygen: Unrecognized command or argument '--bogus'", r.Error, StringComparison.Ordinal);
        Assert.Contains("Run 'mesh keygen --help'", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_verb_has_help()
    {
        foreach (System.CommandLine.Command verb in MeshCli.CreateRootCommand().Subcommands)
        {
            CliRun.Result r = await CliRun.RunAsync(verb.Name, "--help");
            Assert.True(r.ExitCode == 0, $"{verb.Name}: {r}");
            Assert.Contains("Usage:", r.Output, StringComparison.Ordinal);
            foreach (System.CommandLine.Command sub in verb.Subcommands)
            {
                CliRun.Result s = await CliRun.RunAsync(verb.Name, sub.Name, "--help");
                Assert.True(s.ExitCode == 0, $"{verb.Name} {sub.Name}: {s}");
                Assert.Contains("Usage:", s.Output, StringComparison.Ordinal);
            }
        }
    }
}

public sealed class KeyviewCommandTests
{
    [Fact]
    public async Task Keyview_prints_the_python_peer_ids_of_the_repository_identity_files()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(SharedData.RequireVector("peerid.json")));
        using var dir = new CliRun.TempDirectory();
        foreach (JsonElement file in doc.RootElement.GetProperty("repository_identity_files").EnumerateArray())
        {
            string path = dir.File(file.GetProperty("path").GetString()!);
            File.WriteAllBytes(path, Hex.Decode(file.GetProperty("file_hex").GetString()!));
            CliRun.Result r = await CliRun.RunAsync("keyview", "--path", path);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains($"Peer ID: {file.GetProperty("peer_id_base58").GetString()}\n", r.Output, StringComparison.Ordinal);
            Assert.Contains("Key type: Rsa", r.Output, StringComparison.Ordinal);
            Assert.Contains("Public key: ssh-rsa AAAA", r.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Keyview_reads_keygen_py_ed25519_files()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(SharedData.RequireVector("peerid.json")));
        using var dir = new CliRun.TempDirectory();
        JsonElement c = doc.RootElement.GetProperty("cases")[0];
        string path = dir.File("a.key");
        File.WriteAllBytes(path, Hex.Decode(c.GetProperty("identity_file_keygen_hex").GetString()!));
        CliRun.Result r = await CliRun.RunAsync("keyview", "--path", path);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"Peer ID: {c.GetProperty("peer_id_base58").GetString()}\n", r.Output, StringComparison.Ordinal);
        Assert.Contains($"Public key: {c.GetProperty("public_key_openssh").GetString()}\n", r.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_corrupted_and_empty_files_give_one_clear_line_and_exit_1()
    {
        using var dir = new CliRun.TempDirectory();
        CliRun.Result missing = await CliRun.RunAsync("keyview", "--path", dir.File("nope.key"));
        Assert.Equal(CliExit.Failure, missing.ExitCode);
        Assert.Equal($"mesh keyview: {dir.File("nope.key")} does not exist\n", missing.Error);

        Assert.Equal(0, (await CliRun.RunAsync("keygen", "--path", dir.File("p"), "--bootstrap_path", dir.File("b"), "--client_path", dir.File("c"), "--key_type", "rsa")).ExitCode);
        byte[] good = File.ReadAllBytes(dir.File("p"));
        File.WriteAllBytes(dir.File("truncated"), good[..40]);
        CliRun.Result truncated = await CliRun.RunAsync("keyview", "--path", dir.File("truncated"));
        Assert.Equal(CliExit.Failure, truncated.ExitCode);
        Assert.StartsWith($"mesh keyview: {dir.File("truncated")} is not a usable identity file:", truncated.Error, StringComparison.Ordinal);

        File.WriteAllBytes(dir.File("empty"), []);
        CliRun.Result empty = await CliRun.RunAsync("keyview", "--path", dir.File("empty"));
        Assert.Equal(CliExit.Failure, empty.ExitCode);
        Assert.Contains("is not a usable identity file: the file is empty", empty.Error, StringComparison.Ordinal);

        File.WriteAllText(dir.File("text"), "-----BEGIN PRIVATE KEY-----\nnot a libp2p key\n");
        CliRun.Result text = await CliRun.RunAsync("keyview", "--path", dir.File("text"));
        Assert.Equal(CliExit.Failure, text.ExitCode);
        Assert.Contains("is not a usable identity file", text.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text.Error, StringComparison.Ordinal);
    }
}
