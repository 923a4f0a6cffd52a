using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Mesh.Transport.Identity;

/// <summary>
/// An RSA public key (peer-ids spec, "RSA"): Data is the DER-encoded PKIX SubjectPublicKeyInfo, libp2p signatures are
/// RSASSA-PKCS1-v1_5 over SHA-256. Mesh's own signatures (<see cref="MeshSignatureScheme"/>) use RSA-PSS instead.
/// </summary>
/// <remarks>
/// The modulus must be <see cref="MinKeySizeInBits"/> to <see cref="MaxKeySizeInBits"/> bits: smaller keys are
/// breakable, larger ones let a peer make every verification arbitrarily expensive. The <see cref="RSA"/> instance is
/// created once, never mutated afterwards, and shared by concurrent verifications: the platform implementations
/// (OpenSSL EVP_PKEY, CNG key handles) create a fresh operation context per call and only read the key.
/// </remarks>
public sealed class RsaPublicKey : PublicKey
{
    /// <summary>Smallest accepted modulus.</summary>
    public const int MinKeySizeInBits = 1024;

    /// <summary>Largest accepted modulus (OpenSSL's own limit).</summary>
    public const int MaxKeySizeInBits = 16384;

    private readonly RSA _rsa;
    private readonly byte[] _modulus;
    private readonly byte[] _exponent;
    private RsaKeyParameters? _bouncyCastleKey;

    private RsaPublicKey(byte[] spki, RSA rsa, byte[] modulus, byte[] exponent, int keySizeInBits)
        : base(spki)
    {
        _rsa = rsa;
        _modulus = modulus;
        _exponent = exponent;
        KeySizeInBits = keySizeInBits;
    }

    public override KeyType Type => KeyType.Rsa;

    /// <summary>The exact bit length of the modulus.</summary>
    public int KeySizeInBits { get; }

    /// <summary>The modulus n, big-endian, without leading zeros.</summary>
    public ReadOnlySpan<byte> Modulus => _modulus;

    /// <summary>The public exponent e, big-endian, without leading zeros.</summary>
    public ReadOnlySpan<byte> Exponent => _exponent;

    /// <summary>Builds a key from its DER SubjectPublicKeyInfo (the libp2p Data encoding), validating it.</summary>
    /// <exception cref="KeyFormatException">Bad or non-canonical DER, not RSA, or a modulus/exponent out of range.</exception>
    public static RsaPublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        RSA rsa = RSA.Create();
        try
        {
            int read;
            try
            {
                rsa.ImportSubjectPublicKeyInfo(spki, out read);
            }
            catch (CryptographicException ex)
            {
                throw new KeyFormatException(KeyFormatError.InvalidEncoding, "RSA public key is not a valid DER SubjectPublicKeyInfo", ex);
            }
            if (read != spki.Length)
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, $"{spki.Length - read} bytes after the RSA SubjectPublicKeyInfo");
            }
            RSAParameters parameters = rsa.ExportParameters(includePrivateParameters: false);
            int bits = CheckParameters(parameters.Modulus!, parameters.Exponent!);
            // Peer ids hash Data: accept only the one DER encoding this key re-encodes to.
            if (!rsa.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki))
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "RSA SubjectPublicKeyInfo is not in canonical DER form");
            }
            return new RsaPublicKey(spki.ToArray(), rsa, parameters.Modulus!, parameters.Exponent!, bits);
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    /// <summary>Builds a key from its modulus and exponent (big-endian unsigned), as the OpenSSH form carries them.</summary>
    /// <exception cref="KeyFormatException">The modulus or exponent is out of range.</exception>
    public static RsaPublicKey FromModulusAndExponent(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent)
    {
        modulus = TrimLeadingZeros(modulus);
        exponent = TrimLeadingZeros(exponent);
        CheckParameters(modulus, exponent);
        using RSA rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(new RSAParameters { Modulus = modulus.ToArray(), Exponent = exponent.ToArray() });
        }
        catch (CryptographicException ex)
        {
            throw new KeyFormatException(KeyFormatError.InvalidEncoding, "RSA public key parameters were rejected", ex);
        }
        return FromSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo());
    }

    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        // RFC 8017 §8.2.2 step 1: a signature is exactly k = modulus-length bytes.
        if (signature.Length != _modulus.Length)
        {
            return false;
        }
        try
        {
            return _rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            // A signature value >= n is "invalid", not an error.
            return false;
        }
    }

    /// <summary>The BouncyCastle form of this key, for RSA-PSS with an explicit salt length (built on first use).</summary>
    internal RsaKeyParameters BouncyCastleKey =>
        _bouncyCastleKey ??= new RsaKeyParameters(false, new BcBigInteger(1, _modulus), new BcBigInteger(1, _exponent));

    /// <summary>
    /// Checks a modulus and exponent (big-endian, no leading zeros) and returns the modulus bit length.
    /// </summary>
    internal static int CheckParameters(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent)
    {
        int bits = modulus.IsEmpty ? 0 : ((modulus.Length - 1) * 8) + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[0]));
        if (bits < MinKeySizeInBits || bits > MaxKeySizeInBits)
        {
            KeyFormatException.Throw(KeyFormatError.UnsupportedKeySize,
                $"RSA modulus is {bits} bits; accepted sizes are {MinKeySizeInBits} to {MaxKeySizeInBits}");
        }
        if ((modulus[^1] & 1) == 0)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "RSA modulus must be odd");
        }
        // e must be odd and at least 3 (RFC 8017 §3.1); keep it to 31 bits like go-libp2p's x509 parser, so that a
        // peer cannot pick a huge exponent to make verification slow.
        if (exponent.IsEmpty || exponent.Length > 4 || (exponent[^1] & 1) == 0
            || (exponent.Length == 1 && exponent[0] < 3) || (exponent.Length == 4 && exponent[0] >= 0x80))
        {
            KeyFormatException.Throw(KeyFormatError.UnsupportedKeySize, "RSA public exponent must be odd, at least 3 and below 2^31");
        }
        return bits;
    }

    private static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }
        return value[i..];
    }
}
