using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Mesh.Transport.Identity;

/// <summary>The secp256k1 domain (SEC 2 §2.4.1), in BouncyCastle's optimised custom-curve form, built once.</summary>
internal static class Secp256k1Curve
{
    /// <summary>Scalars and coordinates are 32 bytes.</summary>
    public const int FieldLength = 32;

    public static readonly ECDomainParameters Domain = CreateDomain();

    /// <summary>n / 2: signatures are normalised to s ≤ n/2 (BIP 62 "low S"), as Bitcoin and go-libp2p produce them.</summary>
    public static readonly BcBigInteger HalfOrder = Domain.N.ShiftRight(1);

    private static ECDomainParameters CreateDomain()
    {
        X9ECParameters curve = CustomNamedCurves.GetByName("secp256k1");
        return new ECDomainParameters(curve.Curve, curve.G, curve.N, curve.H, curve.GetSeed());
    }
}
