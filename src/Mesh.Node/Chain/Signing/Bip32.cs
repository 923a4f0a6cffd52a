using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Math;

namespace Mesh.Node.Chain.Signing;

/// <summary>
/// BIP32 hierarchical deterministic derivation of secp256k1 private keys (private parent → private child):
/// master (k, c) = HMAC-SHA512("Bitcoin seed", seed); child i: I = HMAC-SHA512(c, 0x00 ‖ k ‖ ser32(i)) when hardened
/// (i ≥ 2^31), else HMAC-SHA512(c, serP(k·G) ‖ ser32(i)); k_i = (I_L + k) mod n, c_i = I_R.
/// </summary>
public static class Bip32
{
    public const uint HardenedOffset = 0x80000000;

    /// <summary>The private key at <paramref name="path"/> (e.g. <c>m/44'/60'/0'/0/0</c>; <c>'</c> or <c>h</c> marks hardened).</summary>
    public static byte[] DerivePrivateKey(ReadOnlySpan<byte> seed, string path)
    {
        uint[] indexes = ParsePath(path);
        byte[] master = HMACSHA512.HashData(Encoding.ASCII.GetBytes("Bitcoin seed"), seed);
        byte[] key = master[..32];
        byte[] chain = master[32..];
        Array.Clear(master);
        var k = new BigInteger(1, key);
        if (!Secp256k1.IsValidPrivateKey(k))
        {
            throw new ArgumentException("the seed gives an invalid BIP32 master key");
        }
        foreach (uint index in indexes)
        {
            (key, chain) = DeriveChild(key, chain, index);
        }
        Array.Clear(chain);
        return key;
    }

    /// <summary>One private child derivation step; returns (child key, child chain code).</summary>
    public static (byte[] Key, byte[] ChainCode) DeriveChild(byte[] parentKey, byte[] parentChainCode, uint index)
    {
        Span<byte> data = stackalloc byte[37];
        var kPar = new BigInteger(1, parentKey);
        if (index >= HardenedOffset)
        {
            data[0] = 0;
            parentKey.CopyTo(data[1..33]);
        }
        else
        {
            Secp256k1.PublicPoint(kPar).GetEncoded(true).CopyTo(data);
        }
        BinaryPrimitives.WriteUInt32BigEndian(data[33..], index);
        byte[] i = HMACSHA512.HashData(parentChainCode, data);
        data.Clear();
        var il = new BigInteger(1, i, 0, 32);
        BigInteger child = il.Add(kPar).Mod(Secp256k1.N);
        if (il.CompareTo(Secp256k1.N) >= 0 || child.SignValue == 0)
        {
            throw new ArgumentException($"BIP32 child {index} is invalid for this key (probability < 2^-127); use the next index");
        }
        byte[] raw = child.ToByteArrayUnsigned();
        var key = new byte[32];
        raw.CopyTo(key, 32 - raw.Length);
        byte[] chainCode = i[32..];
        Array.Clear(i);
        return (key, chainCode);
    }

    /// <summary>Parses <c>m/a/b'/…</c> into child indexes (hardened ones offset by 2^31).</summary>
    public static uint[] ParsePath(string path)
    {
        string[] parts = path.Trim().Split('/');
        if (parts.Length == 0 || parts[0] is not ("m" or "M"))
        {
            throw new ArgumentException($"a BIP32 path starts with 'm/': '{path}'", nameof(path));
        }
        var result = new uint[parts.Length - 1];
        for (int p = 1; p < parts.Length; p++)
        {
            string part = parts[p];
            bool hardened = part.EndsWith('\'') || part.EndsWith('h') || part.EndsWith('H');
            string digits = hardened ? part[..^1] : part;
            if (!uint.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint n)
                || n >= HardenedOffset)
            {
                throw new ArgumentException($"'{part}' is not a BIP32 path index", nameof(path));
            }
            result[p - 1] = hardened ? n | HardenedOffset : n;
        }
        return result;
    }
}
