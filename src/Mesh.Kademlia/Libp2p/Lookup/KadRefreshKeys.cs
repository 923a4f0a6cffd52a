using System.Security.Cryptography;
using Mesh.Kademlia.Keys;
using Mesh.Multistream;

namespace Mesh.Kademlia.Libp2p.Lookup;

/// <summary>
/// Keys for routing-table refresh. A FIND_NODE key is hashed by the receiver, so a lookup "into a bucket" needs a key
/// whose SHA-256 has a given common-prefix length with ours; SHA-256 cannot be inverted, so random candidates are
/// hashed until one fits (go-libp2p-kbucket precomputes a table for this; about 2^(cpl+1) hashes on average, which is
/// why refresh depth is capped).
/// </summary>
internal static class KadRefreshKeys
{
    /// <summary>
    /// A random peer id (a sha2-256 multihash, the form RSA peer ids take) whose kad key shares exactly
    /// <paramref name="commonPrefixLength"/> leading bits with <paramref name="local"/>.
    /// </summary>
    public static byte[] RandomPeerIdWithCommonPrefix(KadKey256 local, int commonPrefixLength, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(commonPrefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(commonPrefixLength, 24);
        byte[] id = new byte[2 + SHA256.HashSizeInBytes];
        id[0] = (byte)Multihash.Sha2_256Code;
        id[1] = SHA256.HashSizeInBytes;
        // 2^24 · 64 candidates would be absurd; the bound only guards against a broken Random.
        for (long attempt = 0; attempt < 1L << 30; attempt++)
        {
            random.NextBytes(id.AsSpan(2));
            if (KadKey256.CommonPrefixLength(KadKey256.Hash(id), local) == commonPrefixLength)
            {
                return id;
            }
        }
        throw new InvalidOperationException("No refresh key found.");
    }
}
