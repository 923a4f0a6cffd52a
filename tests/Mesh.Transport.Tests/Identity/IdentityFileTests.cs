using System.Text.Json;
using CsCheck;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

public sealed class IdentityFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mesh-identity-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Reads_the_seven_identity_files_of_the_python_repository()
    {
        using JsonDocument doc = IdentityVectors.Shared("peerid.json");
        int count = 0;
        foreach (JsonElement file in doc.RootElement.GetProperty("repository_identity_files").EnumerateArray())
        {
            string path = Path.Combine(_directory, file.GetProperty("path").GetString()!);
            byte[] contents = IdentityVectors.HexOf(file, "file_hex");
            File.WriteAllBytes(path, contents);
            PrivateKey key = IdentityFile.Read(path);
            Assert.Equal(KeyType.Rsa, key.Type);
            Assert.Equal(file.GetProperty("peer_id_base58").GetString(), key.PeerId.ToString());
            Assert.Equal(file.GetProperty("peer_id_hex").GetString(), Hex.Encode(key.PeerId.Bytes));
            Assert.Equal(file.GetProperty("data_len").GetInt32(), contents.Length - 5);  // 08 00 12 + a 2-byte length varint
            // What we would write is byte-identical to what mesh wrote.
            Assert.Equal(contents, key.ToProtobuf());
            count++;
        }
        Assert.Equal(7, count);
    }

    [Fact]
    public void Reads_every_keygen_and_p2p_identity_file_of_the_golden_vectors()
    {
        using JsonDocument doc = IdentityVectors.Shared("peerid.json");
        int files = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string expected = c.GetProperty("peer_id_base58").GetString()!;
            foreach (JsonProperty property in c.EnumerateObject())
            {
                if (!property.Name.StartsWith("identity_file_", StringComparison.Ordinal) || !property.Name.EndsWith("_hex", StringComparison.Ordinal))
                {
                    continue;
                }
                byte[] contents = Hex.Decode(property.Value.GetString()!);
                string path = Path.Combine(_directory, $"{expected}-{property.Name}.id");
                File.WriteAllBytes(path, contents);
                PrivateKey key = IdentityFile.Read(path);
                Assert.Equal(expected, key.PeerId.ToString());
                if (key.Type == KeyType.Ed25519)
                {
                    Assert.Equal(c.GetProperty("seed_hex").GetString(), Hex.Encode(key.ToProtobuf().AsSpan(4, 32)));
                    Assert.Equal(c.GetProperty("public_key_openssh").GetString(), OpenSshPublicKey.FormatString(key.PublicKey));
                    // Both the 64-byte keygen file and the 32-byte P2P.generate_ed25519_identity file are rewritten
                    // in keygen's 64-byte layout.
                    Assert.Equal(c.GetProperty("identity_file_keygen_hex").GetString(), Hex.Encode(key.ToProtobuf()));
                }
                files++;
            }
        }
        Assert.Equal(10, files);  // 3 Ed25519 cases × 2 writers + 2 RSA cases × 2 writers
    }

    [Theory]
    [InlineData(KeyType.Ed25519)]
    [InlineData(KeyType.Rsa)]
    [InlineData(KeyType.Secp256k1)]
    [InlineData(KeyType.Ecdsa)]
    public void Write_then_read_round_trips_with_owner_only_permissions(KeyType type)
    {
        PrivateKey key = IdentityVectors.Generated(type);
        string path = Path.Combine(_directory, $"{type}.id");
        IdentityFile.Write(path, key);
        Assert.Equal(key.ToProtobuf(), File.ReadAllBytes(path));
        Assert.Equal(key, IdentityFile.Read(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        // Only the target remains: the temporary file was renamed over it.
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Write_replaces_an_existing_file_atomically_and_tightens_its_mode()
    {
        string path = Path.Combine(_directory, "node.id");
        File.WriteAllBytes(path, [1, 2, 3]);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        PrivateKey key = IdentityVectors.Generated(KeyType.Ed25519);
        IdentityFile.Write(path, key);
        Assert.Equal(key, IdentityFile.Read(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Read_or_create_generates_once_then_reads()
    {
        string path = Path.Combine(_directory, "sub-identity.id");
        PrivateKey created = IdentityFile.ReadOrCreate(path, KeyType.Ed25519);
        Assert.Equal(KeyType.Ed25519, created.Type);
        Assert.True(File.Exists(path));
        Assert.Equal(created, IdentityFile.ReadOrCreate(path, KeyType.Rsa));
    }

    [Fact]
    public void Bad_files_name_the_path_and_the_reason()
    {
        PrivateKey key = IdentityVectors.Generated(KeyType.Ed25519);
        byte[] good = key.ToProtobuf();
        (string Name, byte[] Contents, IdentityFileError Error)[] cases =
        [
            ("empty.id", [], IdentityFileError.Empty),
            ("truncated.id", good[..40], IdentityFileError.Truncated),
            ("unknown-type.id", [0x08, 0x09, .. good[2..]], IdentityFileError.UnknownKeyType),
            ("trailing.id", [.. good, 0x00], IdentityFileError.NotAKeyProtobuf),
            ("text.id", "-----BEGIN PRIVATE KEY-----\n"u8.ToArray(), IdentityFileError.NotAKeyProtobuf),
            ("bad-length.id", [0x08, 0x01, 0x12, 0x21, .. new byte[33]], IdentityFileError.InvalidKey),
            ("inconsistent.id", [.. good[..36], .. new byte[32]], IdentityFileError.InvalidKey),
            ("bad-der.id", [0x08, 0x00, 0x12, 0x03, 0x30, 0x01, 0x00], IdentityFileError.InvalidKey),
            ("too-large.id", new byte[IdentityFile.MaxFileLength + 1], IdentityFileError.TooLarge),
        ];
        foreach ((string name, byte[] contents, IdentityFileError error) in cases)
        {
            string path = Path.Combine(_directory, name);
            File.WriteAllBytes(path, contents);
            IdentityFileException ex = Assert.Throws<IdentityFileException>(() => IdentityFile.Read(path));
            Assert.Equal(error, ex.Error);
            Assert.Equal(path, ex.Path);
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(ex.Reason));
            if (error is not (IdentityFileError.Empty or IdentityFileError.TooLarge))
            {
                Assert.IsType<KeyFormatException>(ex.InnerException);
            }
        }
    }

    [Fact]
    public void Every_truncation_of_a_file_is_a_typed_error()
    {
        foreach (KeyType type in Enum.GetValues<KeyType>())
        {
            byte[] contents = IdentityVectors.Generated(type).ToProtobuf();
            int step = contents.Length > 300 ? 11 : 1;
            for (int length = 0; length < contents.Length; length += step)
            {
                IdentityFileException ex = Assert.Throws<IdentityFileException>(() => IdentityFile.Parse(contents.AsSpan(0, length), "mem"));
                Assert.Equal(length == 0 ? IdentityFileError.Empty : IdentityFileError.Truncated, ex.Error);
            }
        }
    }

    [Fact]
    public void Random_ed25519_and_secp256k1_identities_round_trip_through_files()
    {
        Gen<(bool, byte[])> keys = Gen.Select(Gen.Bool, Gen.Byte.Array[32]);
        string path = Path.Combine(_directory, "random.id");
        Property.ForAll(keys, input =>
        {
            (bool secp256k1, byte[] material) = input;
            if (secp256k1)
            {
                material[0] &= 0x7f;  // keep the scalar below the group order
                material[^1] |= 1;    // and non-zero
            }
            PrivateKey key = secp256k1 ? PrivateKey.FromData(KeyType.Secp256k1, material) : Ed25519PrivateKey.FromSeed(material);
            IdentityFile.Write(path, key);
            PrivateKey read = IdentityFile.Read(path);
            Assert.Equal(key, read);
            Assert.Equal(key.PeerId, read.PeerId);
            Assert.Equal(key, IdentityFile.Parse(key.ToProtobuf()));
        }, iterations: 200);
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Missing_files_surface_as_io_errors()
    {
        Assert.Throws<FileNotFoundException>(() => IdentityFile.Read(Path.Combine(_directory, "absent.id")));
        Assert.Throws<DirectoryNotFoundException>(() => IdentityFile.Write(Path.Combine(_directory, "no", "such", "dir.id"), IdentityVectors.Generated(KeyType.Ed25519)));
        Assert.Empty(Directory.GetFiles(_directory));
    }
}
