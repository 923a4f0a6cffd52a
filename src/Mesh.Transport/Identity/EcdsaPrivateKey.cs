using System.Security.Cryptography;

namespace Mesh.Transport.Identity;

/// <summary>
/// An ECDSA private key on a NIST curve (peer-ids spec, "ECDSA"). The protobuf Data is the SEC 1 (RFC 5915)
/// <c>ECPrivateKey</c> DER that go-libp2p writes with <c>x509.MarshalECPrivateKey</c>; PKCS#8 is accepted on input
/// too. Signatures are DER-encoded ECDSA over SHA-256.
/// </summary>
public sealed class EcdsaPrivateKey : PrivateKey
{
    private readonly ECDsa _ecdsa;
    private readonly EcdsaPublicKey _publicKey;

    private EcdsaPrivateKey(byte[] sec1, ECDsa ecdsa, EcdsaPublicKey publicKey)
        : base(sec1)
    {
        _ecdsa = ecdsa;
        _publicKey = publicKey;
        MaxSignatureLength = ecdsa.GetMaxSignatureSize(DSASignatureFormat.Rfc3279DerSequence);
    }

    public override KeyType Type => KeyType.Ecdsa;

    public override PublicKey PublicKey => _publicKey;

    public override int MaxSignatureLength { get; }

    /// <summary>A new P-256 key (go-libp2p's default curve) from the platform generator.</summary>
    public static EcdsaPrivateKey Generate()
    {
        using ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return FromDer(ecdsa.ExportECPrivateKey());
    }

    /// <summary>Builds a key from SEC 1 <c>ECPrivateKey</c> DER (or PKCS#8 <c>PrivateKeyInfo</c> DER), validating it.</summary>
    /// <exception cref="KeyFormatException">Bad DER, trailing bytes, an unsupported curve, or a public point that does not match.</exception>
    public static EcdsaPrivateKey FromDer(ReadOnlySpan<byte> der)
    {
        ECDsa ecdsa = ECDsa.Create();
        try
        {
            if (!TryImport(ecdsa, der, out int read, out Exception? failure))
            {
                throw new KeyFormatException(KeyFormatError.InvalidEncoding,
                    "ECDSA private key is neither SEC 1 ECPrivateKey nor PKCS#8 DER (or its public point does not match)", failure);
            }
            if (read != der.Length)
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, $"{der.Length - read} bytes after the ECDSA private key");
            }
            EcdsaCurves.Require(ecdsa);
            EcdsaPublicKey publicKey = EcdsaPublicKey.FromSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo());
            return new EcdsaPrivateKey(ecdsa.ExportECPrivateKey(), ecdsa, publicKey);
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    public override bool TrySign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten) =>
        _ecdsa.TrySignData(data, destination, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence, out bytesWritten);

    // The platform import reports unknown or explicit curves with PlatformNotSupportedException on Linux.
    private static bool TryImport(ECDsa ecdsa, ReadOnlySpan<byte> der, out int read, out Exception? failure)
    {
        try
        {
            ecdsa.ImportECPrivateKey(der, out read);
            failure = null;
            return true;
        }
        catch (Exception sec1Failure) when (sec1Failure is CryptographicException or PlatformNotSupportedException)
        {
            failure = sec1Failure;
        }
        try
        {
            ecdsa.ImportPkcs8PrivateKey(der, out read);
            failure = null;
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or PlatformNotSupportedException)
        {
            read = 0;
            return false;
        }
    }
}
