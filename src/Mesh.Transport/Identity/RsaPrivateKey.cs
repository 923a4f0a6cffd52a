using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;
using NumericsBigInteger = System.Numerics.BigInteger;

namespace Mesh.Transport.Identity;

/// <summary>
/// An RSA private key (peer-ids spec, "RSA"): the protobuf Data is the PKCS#1 <c>RSAPrivateKey</c> DER (what mesh's
/// keygen and p2pd write, "TraditionalOpenSSL"). libp2p signatures are RSASSA-PKCS1-v1_5 over SHA-256.
/// </summary>
/// <remarks>
/// Decoding checks that the CRT values belong to the modulus (as Go's <c>x509.ParsePKCS1PrivateKey</c> does through
/// <c>Validate</c>): a corrupted identity file must fail to load, not sign garbage under a valid-looking peer id.
/// </remarks>
public sealed class RsaPrivateKey : PrivateKey
{
    /// <summary>The modulus size <see cref="PrivateKey.Generate"/> uses (mesh's keygen and p2pd use 2048 too).</summary>
    public const int DefaultKeySizeInBits = 2048;

    private readonly RSA _rsa;
    private readonly RsaPublicKey _publicKey;
    private RsaPrivateCrtKeyParameters? _bouncyCastleKey;

    private RsaPrivateKey(byte[] pkcs1, RSA rsa, RsaPublicKey publicKey)
        : base(pkcs1)
    {
        _rsa = rsa;
        _publicKey = publicKey;
    }

    public override KeyType Type => KeyType.Rsa;

    public override PublicKey PublicKey => _publicKey;

    /// <summary>The public key with its RSA-specific members.</summary>
    public RsaPublicKey RsaPublicKey => _publicKey;

    /// <summary>An RSA signature is exactly as long as the modulus.</summary>
    public override int MaxSignatureLength => _publicKey.Modulus.Length;

    /// <summary>A new key of the given size (e = 65537) from the platform generator.</summary>
    public static RsaPrivateKey Generate(int keySizeInBits = DefaultKeySizeInBits)
    {
        if (keySizeInBits < RsaPublicKey.MinKeySizeInBits || keySizeInBits > RsaPublicKey.MaxKeySizeInBits)
        {
            throw new ArgumentOutOfRangeException(nameof(keySizeInBits), keySizeInBits,
                $"RSA keys must be {RsaPublicKey.MinKeySizeInBits} to {RsaPublicKey.MaxKeySizeInBits} bits");
        }
        using RSA rsa = RSA.Create(keySizeInBits);
        return FromPkcs1(rsa.ExportRSAPrivateKey());
    }

    /// <summary>Builds a key from its PKCS#1 <c>RSAPrivateKey</c> DER, validating it.</summary>
    /// <exception cref="KeyFormatException">Bad DER, trailing bytes, a size out of range, or inconsistent CRT values.</exception>
    public static RsaPrivateKey FromPkcs1(ReadOnlySpan<byte> pkcs1)
    {
        // RSAOpenSsl where it exists, so that OpenSSL can also sign mesh's RSA-PSS with this key (OpenSslRsaPss).
        RSA rsa = Crypto.OpenSslRsaPss.CreateKey();
        try
        {
            int read;
            try
            {
                rsa.ImportRSAPrivateKey(pkcs1, out read);
            }
            catch (CryptographicException ex)
            {
                throw new KeyFormatException(KeyFormatError.InvalidEncoding, "RSA private key is not a valid PKCS#1 DER RSAPrivateKey", ex);
            }
            if (read != pkcs1.Length)
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, $"{pkcs1.Length - read} bytes after the PKCS#1 RSAPrivateKey");
            }
            RSAParameters p = rsa.ExportParameters(includePrivateParameters: true);
            try
            {
                RsaPublicKey.CheckParameters(p.Modulus!, p.Exponent!);
                CheckConsistency(p);
                RsaPublicKey publicKey = RsaPublicKey.FromModulusAndExponent(p.Modulus!, p.Exponent!);
                return new RsaPrivateKey(rsa.ExportRSAPrivateKey(), rsa, publicKey);
            }
            finally
            {
                ClearPrivate(ref p);
            }
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    public override bool TrySign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
    {
        if (destination.Length < MaxSignatureLength)
        {
            bytesWritten = 0;
            return false;
        }
        return _rsa.TrySignData(data, destination, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, out bytesWritten);
    }

    /// <summary>The platform key (for RSA-PSS through OpenSSL).</summary>
    internal RSA PlatformKey => _rsa;

    /// <summary>The BouncyCastle form of this key, for RSA-PSS with an explicit salt length (built on first use).</summary>
    internal RsaPrivateCrtKeyParameters BouncyCastleKey
    {
        get
        {
            RsaPrivateCrtKeyParameters? key = _bouncyCastleKey;
            if (key is null)
            {
                RSAParameters p = _rsa.ExportParameters(includePrivateParameters: true);
                try
                {
                    key = new RsaPrivateCrtKeyParameters(
                        Bc(p.Modulus!), Bc(p.Exponent!), Bc(p.D!), Bc(p.P!), Bc(p.Q!), Bc(p.DP!), Bc(p.DQ!), Bc(p.InverseQ!));
                }
                finally
                {
                    ClearPrivate(ref p);
                }
                _bouncyCastleKey = key;  // benign race: every thread builds the same immutable value
            }
            return key;
        }
    }

    /// <summary>
    /// The checks of Go's <c>rsa.PrivateKey.Validate</c> that matter for a stored key: n = p·q, the CRT exponents are
    /// d mod (p−1) and d mod (q−1) and invert e there, and qInv·q ≡ 1 (mod p).
    /// </summary>
    private static void CheckConsistency(in RSAParameters p)
    {
        NumericsBigInteger n = Big(p.Modulus!), e = Big(p.Exponent!), d = Big(p.D!);
        NumericsBigInteger prime1 = Big(p.P!), prime2 = Big(p.Q!);
        NumericsBigInteger dp = Big(p.DP!), dq = Big(p.DQ!), qInv = Big(p.InverseQ!);
        if (prime1 <= NumericsBigInteger.One || prime2 <= NumericsBigInteger.One || prime1 * prime2 != n)
        {
            KeyFormatException.Throw(KeyFormatError.InconsistentKey, "RSA private key: p·q is not the modulus");
        }
        NumericsBigInteger p1 = prime1 - 1, q1 = prime2 - 1;
        if (d % p1 != dp || d % q1 != dq || (e * dp) % p1 != NumericsBigInteger.One || (e * dq) % q1 != NumericsBigInteger.One
            || (qInv * prime2) % prime1 != NumericsBigInteger.One)
        {
            KeyFormatException.Throw(KeyFormatError.InconsistentKey, "RSA private key: CRT values do not match the key");
        }
    }

    private static NumericsBigInteger Big(byte[] value) => new(value, isUnsigned: true, isBigEndian: true);

    private static BcBigInteger Bc(byte[] value) => new(1, value);

    private static void ClearPrivate(ref RSAParameters p)
    {
        CryptographicOperations.ZeroMemory(p.D);
        CryptographicOperations.ZeroMemory(p.P);
        CryptographicOperations.ZeroMemory(p.Q);
        CryptographicOperations.ZeroMemory(p.DP);
        CryptographicOperations.ZeroMemory(p.DQ);
        CryptographicOperations.ZeroMemory(p.InverseQ);
    }
}
