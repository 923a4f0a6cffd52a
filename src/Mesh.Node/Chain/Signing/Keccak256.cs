using Org.BouncyCastle.Crypto.Digests;

namespace Mesh.Node.Chain.Signing;

/// <summary>Keccak-256 (the pre-standard SHA-3 padding Ethereum uses), from BouncyCastle.</summary>
public static class Keccak256
{
    public const int HashLength = 32;

    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var digest = new KeccakDigest(256);
        digest.BlockUpdate(data);
        digest.DoFinal(destination[..HashLength]);
    }

    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var result = new byte[HashLength];
        Hash(data, result);
        return result;
    }
}
