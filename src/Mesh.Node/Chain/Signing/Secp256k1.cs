using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;

namespace Mesh.Node.Chain.Signing;

/// <summary>
/// secp256k1 ECDSA with public-key recovery (SEC 1 v2 §4.1.3 signing, §4.1.6 recovery) on BouncyCastle's
/// GLV-accelerated curve. Nonces are RFC 6979 deterministic (HMAC-SHA-256), and s is normalised to the lower half of
/// the group order (as Ethereum, libsecp256k1 and polkadot-js do), flipping the recovery id when it is negated, so
/// signatures are byte-identical to theirs.
/// </summary>
internal static class Secp256k1
{
    public static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");

    public static readonly ECDomainParameters Domain = new(Curve.Curve, Curve.G, Curve.N, Curve.H);

    public static readonly BigInteger N = Curve.N;

    private static readonly BigInteger s_halfN = N.ShiftRight(1);

    private static readonly FixedPointCombMultiplier s_multiplier = new();

    public static ECPoint PublicPoint(BigInteger d) => s_multiplier.Multiply(Domain.G, d).Normalize();

    /// <summary>True when <paramref name="d"/> is a valid private scalar (1 ≤ d &lt; n).</summary>
    public static bool IsValidPrivateKey(BigInteger d) => d.SignValue > 0 && d.CompareTo(N) < 0;

    /// <summary>Signs a 32-byte digest: writes r(32) ‖ s(32) ‖ recid(1, 0 or 1) into <paramref name="signature"/>.</summary>
    public static void Sign(BigInteger d, ReadOnlySpan<byte> digest32, Span<byte> signature)
    {
        var e = new BigInteger(1, digest32);
        var k = new HMacDsaKCalculator(new Sha256Digest());
        k.Init(N, d, digest32.ToArray());
        while (true)
        {
            BigInteger kValue = k.NextK();
            ECPoint p = s_multiplier.Multiply(Domain.G, kValue).Normalize();
            BigInteger x = p.AffineXCoord.ToBigInteger();
            BigInteger r = x.Mod(N);
            if (r.SignValue == 0)
            {
                continue;
            }
            BigInteger s = kValue.ModInverse(N).Multiply(e.Add(d.Multiply(r))).Mod(N);
            if (s.SignValue == 0)
            {
                continue;
            }
            int recId = (p.AffineYCoord.TestBitZero() ? 1 : 0) | (x.CompareTo(N) >= 0 ? 2 : 0);
            if (s.CompareTo(s_halfN) > 0)
            {
                s = N.Subtract(s);
                recId ^= 1;
            }
            if (recId > 1)
            {
                // R.x ≥ n happens with probability ~2^-128; a 65-byte Ethereum signature cannot express it. Take the next k.
                continue;
            }
            r.ToByteArrayUnsigned().AsSpan().CopyTo(signature[(32 - r.ToByteArrayUnsigned().Length)..32]);
            signature[..(32 - r.ToByteArrayUnsigned().Length)].Clear();
            byte[] sBytes = s.ToByteArrayUnsigned();
            signature.Slice(32, 32 - sBytes.Length).Clear();
            sBytes.CopyTo(signature[(64 - sBytes.Length)..64]);
            signature[64] = (byte)recId;
            return;
        }
    }

    /// <summary>Recovers the public key from r ‖ s ‖ v (v = 0/1 or 27/28) over a 32-byte digest; null when the
    /// signature is invalid (r or s out of range, no curve point with that x, or the point at infinity).</summary>
    public static ECPoint? Recover(ReadOnlySpan<byte> signature65, ReadOnlySpan<byte> digest32)
    {
        if (signature65.Length != 65 || digest32.Length != 32)
        {
            return null;
        }
        int v = signature65[64];
        if (v >= 27)
        {
            v -= 27;
        }
        if (v is not (0 or 1))
        {
            return null;
        }
        var r = new BigInteger(1, signature65[..32]);
        var s = new BigInteger(1, signature65[32..64]);
        if (r.SignValue == 0 || s.SignValue == 0 || r.CompareTo(N) >= 0 || s.CompareTo(N) >= 0)
        {
            return null;
        }
        // R = the point with x = r (recovery ids 2/3, x = r + n, cannot be expressed in 65 bytes) and y parity v.
        Span<byte> compressed = stackalloc byte[33];
        compressed[0] = (byte)(0x02 | v);
        byte[] rBytes = r.ToByteArrayUnsigned();
        compressed[1..].Clear();
        rBytes.CopyTo(compressed[(33 - rBytes.Length)..]);
        ECPoint rPoint;
        try
        {
            rPoint = Curve.Curve.DecodePoint(compressed.ToArray());
        }
        catch (ArgumentException)
        {
            return null; // x is not on the curve
        }
        var e = new BigInteger(1, digest32);
        BigInteger rInv = r.ModInverse(N);
        BigInteger u1 = N.Subtract(e).Multiply(rInv).Mod(N);
        BigInteger u2 = s.Multiply(rInv).Mod(N);
        ECPoint q = ECAlgorithms.SumOfTwoMultiplies(Domain.G, u1, rPoint, u2).Normalize();
        return q.IsInfinity ? null : q;
    }

    /// <summary>The 64-byte x ‖ y of an uncompressed point (no 0x04 prefix).</summary>
    public static byte[] RawXy(ECPoint q)
    {
        byte[] encoded = q.GetEncoded(false);
        return encoded[1..];
    }
}
