using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math.EC.Multiplier;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Mesh.Transport.Identity;

/// <summary>
/// A secp256k1 private key (peer-ids spec, "Secp256k1"): the protobuf Data is the 32-byte big-endian scalar.
/// Signatures are ECDSA over SHA-256 with RFC 6979 deterministic nonces, normalised to low S (BIP 62) and DER-encoded,
/// like go-libp2p's decred-based signer.
/// </summary>
public sealed class Secp256k1PrivateKey : PrivateKey
{
    /// <summary>Length of the scalar.</summary>
    public const int ScalarLength = Secp256k1Curve.FieldLength;

    private readonly ECPrivateKeyParameters _parameters;
    private readonly Secp256k1PublicKey _publicKey;

    private Secp256k1PrivateKey(byte[] scalar, ECPrivateKeyParameters parameters, Secp256k1PublicKey publicKey)
        : base(scalar)
    {
        _parameters = parameters;
        _publicKey = publicKey;
    }

    public override KeyType Type => KeyType.Secp256k1;

    public override PublicKey PublicKey => _publicKey;

    public override int MaxSignatureLength { get; } = EcdsaDerSignature.GetMaxLength(Secp256k1Curve.FieldLength);

    /// <summary>A new key from the system CSPRNG.</summary>
    public static Secp256k1PrivateKey Generate()
    {
        Span<byte> scalar = stackalloc byte[ScalarLength];
        try
        {
            while (true)
            {
                RandomNumberGenerator.Fill(scalar);
                var d = new BcBigInteger(1, scalar);
                if (d.SignValue > 0 && d.CompareTo(Secp256k1Curve.Domain.N) < 0)
                {
                    return FromScalar(scalar);
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <summary>Builds a key from its 32-byte big-endian scalar.</summary>
    /// <exception cref="KeyFormatException">Not 32 bytes, or outside [1, n−1].</exception>
    public static Secp256k1PrivateKey FromScalar(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != ScalarLength)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidLength, $"secp256k1 private key must be {ScalarLength} bytes, got {scalar.Length}");
        }
        var d = new BcBigInteger(1, scalar);
        if (d.SignValue == 0 || d.CompareTo(Secp256k1Curve.Domain.N) >= 0)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidPoint, "secp256k1 private key is outside [1, n-1]");
        }
        var parameters = new ECPrivateKeyParameters(d, Secp256k1Curve.Domain);
        var publicKey = Secp256k1PublicKey.FromPoint(new FixedPointCombMultiplier().Multiply(Secp256k1Curve.Domain.G, d));
        return new Secp256k1PrivateKey(scalar.ToArray(), parameters, publicKey);
    }

    public override bool TrySign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
    {
        byte[] hash = SHA256.HashData(data);
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, _parameters);
        BcBigInteger[] rs = signer.GenerateSignature(hash);
        BcBigInteger s = rs[1];
        if (s.CompareTo(Secp256k1Curve.HalfOrder) > 0)
        {
            s = Secp256k1Curve.Domain.N.Subtract(s);
        }
        Span<byte> r32 = stackalloc byte[ScalarLength];
        Span<byte> s32 = stackalloc byte[ScalarLength];
        WriteFixedWidth(rs[0], r32);
        WriteFixedWidth(s, s32);
        return EcdsaDerSignature.TryEncode(r32, s32, destination, out bytesWritten);
    }

    /// <summary>Writes a value below 2^256 as exactly 32 big-endian bytes.</summary>
    private static void WriteFixedWidth(BcBigInteger value, Span<byte> destination)
    {
        int length = value.GetLengthofByteArrayUnsigned();
        destination.Clear();
        value.ToByteArrayUnsigned(destination[^length..]);
    }
}
