using System.Security.Cryptography;
using System.Text.Json;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

/// <summary>
/// The test vectors of this folder: the independent cross-check file made with Python cryptography
/// (Vectors/independent_vectors.json, see its generator) and the golden vectors of the Python mesh in shared/vectors.
/// </summary>
internal static class IdentityVectors
{
    private static readonly Lazy<JsonDocument> s_independent = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(SharedData.RepositoryRoot, "tests", "Mesh.Transport.Tests", "Identity", "Vectors", "independent_vectors.json"))));

    /// <summary>The root of Vectors/independent_vectors.json.</summary>
    public static JsonElement Independent => s_independent.Value.RootElement;

    /// <summary>The message every signature in the independent vectors signs.</summary>
    public static byte[] Message => Hex.Decode(Independent.GetProperty("message_hex").GetString()!);

    /// <summary>The independent vector case with this name (spec-ed25519, spec-secp256k1, spec-ecdsa-p256, spec-rsa-4096, vectors-rsa-a).</summary>
    public static JsonElement Case(string name)
    {
        foreach (JsonElement c in Independent.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("name").GetString() == name)
            {
                return c;
            }
        }
        throw new KeyNotFoundException(name);
    }

    public static IEnumerable<JsonElement> Cases() => Independent.GetProperty("cases").EnumerateArray();

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement c in Cases())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }
        return data;
    }

    /// <summary>A golden-vector file of the Python mesh (skips the test when shared/ is absent).</summary>
    public static JsonDocument Shared(string fileName) => JsonDocument.Parse(File.ReadAllText(SharedData.RequireVector(fileName)));

    public static byte[] HexOf(JsonElement element, string property) => Hex.Decode(element.GetProperty(property).GetString()!);

    /// <summary>An RSA key from the PKCS#8 PEM form keys.json stores, through its PKCS#1 DER (the libp2p Data form).</summary>
    public static RsaPrivateKey RsaFromPkcs8Pem(string pem)
    {
        using RSA rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return (RsaPrivateKey)PrivateKey.FromData(KeyType.Rsa, rsa.ExportRSAPrivateKey());
    }

    /// <summary>An Ed25519 key from a hex seed.</summary>
    public static Ed25519PrivateKey Ed25519FromSeedHex(string seedHex) => Ed25519PrivateKey.FromSeed(Hex.Decode(seedHex));

    private static readonly Lazy<PrivateKey[]> s_generated = new(() =>
    [
        PrivateKey.Generate(KeyType.Ed25519),
        PrivateKey.Generate(KeyType.Rsa),
        PrivateKey.Generate(KeyType.Secp256k1),
        PrivateKey.Generate(KeyType.Ecdsa),
    ]);

    /// <summary>One freshly generated key of each type, shared by the tests of a run (RSA generation is slow).</summary>
    public static PrivateKey Generated(KeyType type) => s_generated.Value[type switch
    {
        KeyType.Ed25519 => 0,
        KeyType.Rsa => 1,
        KeyType.Secp256k1 => 2,
        _ => 3,
    }];
}
