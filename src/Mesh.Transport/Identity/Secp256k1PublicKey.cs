using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using BcECPoint = Org.BouncyCastle.Math.EC.ECPoint;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Mesh.Transport.Identity;

/// <summary>
/// A secp256k1 public key (peer-ids spec, "Secp256k1"): Data is the 33-byte compressed point (SEC 1 §2.3.3), libp2p
/// signatures are DER-encoded ECDSA over SHA-256. The 65-byte uncompressed form is accepted on input, as go-libp2p,
/// rust-libp2p and js-libp2p accept it, and is canonicalised to the compressed form (which is what the peer id hashes).
/// </summary>
public sealed class Secp256k1PublicKey : PublicKey
{
    /// <summary>Length of the compressed encoding (the canonical Data).</summary>
    public const int CompressedLength = 33;

    /// <summary>Length of the uncompressed encoding (accepted on input only).</summary>
    public const int UncompressedLength = 65;

    private readonly ECPublicKeyParameters _parameters;

    private Secp256k1PublicKey(byte[] compressed, ECPublicKeyParameters parameters)
        : base(compressed)
    {
        _parameters = parameters;
    }

    public override KeyType Type => KeyType.Secp256k1;

    /// <summary>Builds a key from a compressed (33-byte) or uncompressed (65-byte) SEC 1 point encoding.</summary>
    /// <exception cref="KeyFormatException">Wrong length or prefix, or not a point on the curve.</exception>
    public static Secp256k1PublicKey FromBytes(ReadOnlySpan<byte> data)
    {
        bool shapeOk = (data.Length == CompressedLength && (data[0] == 0x02 || data[0] == 0x03))
            || (data.Length == UncompressedLength && data[0] == 0x04);
        if (!shapeOk)
        {
            KeyFormatException.Throw(data.Length is CompressedLength or UncompressedLength ? KeyFormatError.InvalidEncoding : KeyFormatError.InvalidLength,
                $"secp256k1 public key must be a 33-byte compressed or 65-byte uncompressed point, got {data.Length} bytes");
        }
        BcECPoint point;
        try
        {
            // DecodePoint rejects x or y >= p, x with no square root, and (x, y) off the curve.
            point = Secp256k1Curve.Domain.Curve.DecodePoint(data.ToArray());
        }
        catch (ArgumentException ex)
        {
            throw new KeyFormatException(KeyFormatError.InvalidPoint, "secp256k1 public key is not a point on the curve", ex);
        }
        return FromPoint(point);
    }

    internal static Secp256k1PublicKey FromPoint(BcECPoint point)
    {
        point = point.Normalize();
        if (point.IsInfinity || !point.IsValid())
        {
            KeyFormatException.Throw(KeyFormatError.InvalidPoint, "secp256k1 public key is not a valid curve point");
        }
        return new Secp256k1PublicKey(point.GetEncoded(compressed: true), new ECPublicKeyParameters(point, Secp256k1Curve.Domain));
    }

    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        Span<byte> rs = stackalloc byte[2 * Secp256k1Curve.FieldLength];
        if (!EcdsaDerSignature.TryDecode(signature, Secp256k1Curve.FieldLength, rs))
        {
            return false;
        }
        var r = new BcBigInteger(1, rs[..Secp256k1Curve.FieldLength]);
        var s = new BcBigInteger(1, rs[Secp256k1Curve.FieldLength..]);
        BcBigInteger n = Secp256k1Curve.Domain.N;
        if (r.CompareTo(n) >= 0 || s.CompareTo(n) >= 0)
        {
            return false;
        }
        // High-S signatures verify too: go-libp2p (decred) does not enforce BIP 62 on verification.
        byte[] hash = SHA256.HashData(data);
        var verifier = new ECDsaSigner();
        verifier.Init(false, _parameters);
        return verifier.VerifySignature(hash, r, s);
    }
}
