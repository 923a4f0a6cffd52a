using System.Formats.Asn1;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace Mesh.Transport.Identity;

/// <summary>
/// An RSA public key (peer-ids spec, "RSA"): Data is the DER-encoded PKIX SubjectPublicKeyInfo, libp2p signatures are
/// RSASSA-PKCS1-v1_5 over SHA-256. Mesh's own signatures (<see cref="MeshSignatureScheme"/>) use RSA-PSS instead.
/// </summary>
/// <remarks>
/// <para>
/// The modulus must be <see cref="MinKeySizeInBits"/> to <see cref="MaxKeySizeInBits"/> bits: smaller keys are
/// breakable, larger ones let a peer make every verification arbitrarily expensive.
/// </para>
/// <para>
/// The DER is parsed and re-encoded here (System.Formats.Asn1, strict DER), not through the platform key import:
/// that import and the exports it would need cost hundreds of microseconds, and most keys decoded from peers (mesh
/// <c>[owner:ssh-rsa …]</c> markers checked with RSA-PSS) never need a platform key. The platform <see cref="RSA"/>
/// for PKCS#1 verification is created on first use, never mutated afterwards, and shared by concurrent
/// verifications: the platform implementations (OpenSSL EVP_PKEY, CNG key handles) create a fresh operation context
/// per call and only read the key.
/// </para>
/// </remarks>
public sealed class RsaPublicKey : PublicKey
{
    /// <summary>Smallest accepted modulus.</summary>
    public const int MinKeySizeInBits = 1024;

    /// <summary>Largest accepted modulus (OpenSSL's own limit).</summary>
    public const int MaxKeySizeInBits = 16384;

    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";

    private readonly byte[] _modulus;
    private readonly byte[] _exponent;
    private RSA? _platformKey;
    private RsaKeyParameters? _bouncyCastleKey;

    private RsaPublicKey(byte[] spki, byte[] modulus, byte[] exponent, int keySizeInBits)
        : base(spki)
    {
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
        // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
        //   AlgorithmIdentifier ::= SEQUENCE { rsaEncryption OID, parameters NULL }   (RFC 3279 §2.3.1)
        //   RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }    (inside the BIT STRING)
        byte[] modulus;
        byte[] exponent;
        try
        {
            (modulus, exponent) = ReadSubjectPublicKeyInfo(spki.ToArray());
        }
        catch (AsnContentException ex)
        {
            throw new KeyFormatException(KeyFormatError.InvalidEncoding, "RSA public key is not a DER SubjectPublicKeyInfo", ex);
        }
        int bits = CheckParameters(modulus, exponent);
        byte[] canonical = WriteSubjectPublicKeyInfo(modulus, exponent);
        // Strict DER plus the checks above leave one encoding per key; comparing with our own encoding keeps that true
        // whatever the reader tolerates, because peer ids hash these bytes.
        if (!canonical.AsSpan().SequenceEqual(spki))
        {
            KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "RSA SubjectPublicKeyInfo is not in canonical DER form");
        }
        return new RsaPublicKey(canonical, modulus, exponent, bits);
    }

    /// <summary>Builds a key from its modulus and exponent (big-endian unsigned), as the OpenSSH form carries them.</summary>
    /// <exception cref="KeyFormatException">The modulus or exponent is out of range.</exception>
    public static RsaPublicKey FromModulusAndExponent(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent)
    {
        byte[] n = TrimLeadingZeros(modulus).ToArray();
        byte[] e = TrimLeadingZeros(exponent).ToArray();
        int bits = CheckParameters(n, e);
        return new RsaPublicKey(WriteSubjectPublicKeyInfo(n, e), n, e, bits);
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
            return PlatformKey.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
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
    /// The platform key (RSAOpenSsl where it exists, for PKCS#1 and for RSA-PSS through OpenSSL), created on first use; a
    /// thread that loses the creation race disposes its copy.
    /// </summary>
    internal RSA PlatformKey
    {
        get
        {
            RSA? key = Volatile.Read(ref _platformKey);
            if (key is not null)
            {
                return key;
            }
            RSA created = Crypto.OpenSslRsaPss.CreateKey();
            created.ImportParameters(new RSAParameters { Modulus = _modulus, Exponent = _exponent });
            RSA? existing = Interlocked.CompareExchange(ref _platformKey, created, null);
            if (existing is null)
            {
                return created;
            }
            created.Dispose();
            return existing;
        }
    }

    /// <summary>Checks a modulus and exponent (big-endian, no leading zeros) and returns the modulus bit length.</summary>
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

    private static (byte[] Modulus, byte[] Exponent) ReadSubjectPublicKeyInfo(ReadOnlyMemory<byte> spki)
    {
        var outer = new AsnReader(spki, AsnEncodingRules.DER);
        AsnReader info = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        AsnReader algorithm = info.ReadSequence();
        if (algorithm.ReadObjectIdentifier() != RsaEncryptionOid)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "SubjectPublicKeyInfo algorithm is not rsaEncryption");
        }
        algorithm.ReadNull();
        algorithm.ThrowIfNotEmpty();
        byte[] key = info.ReadBitString(out int unusedBits);
        info.ThrowIfNotEmpty();
        if (unusedBits != 0)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "RSA public key BIT STRING has unused bits");
        }
        var keyReader = new AsnReader(key, AsnEncodingRules.DER);
        AsnReader rsaPublicKey = keyReader.ReadSequence();
        keyReader.ThrowIfNotEmpty();
        byte[] modulus = ReadPositiveInteger(rsaPublicKey, "modulus");
        byte[] exponent = ReadPositiveInteger(rsaPublicKey, "exponent");
        rsaPublicKey.ThrowIfNotEmpty();
        return (modulus, exponent);
    }

    private static byte[] ReadPositiveInteger(AsnReader reader, string name)
    {
        // DER already guarantees the minimal two's-complement form; a positive value may carry one 0x00 sign byte.
        ReadOnlySpan<byte> value = reader.ReadIntegerBytes().Span;
        if ((value[0] & 0x80) != 0)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidEncoding, $"RSA {name} is negative");
        }
        return (value[0] == 0 && value.Length > 1 ? value[1..] : value).ToArray();
    }

    private static byte[] WriteSubjectPublicKeyInfo(byte[] modulus, byte[] exponent)
    {
        var key = new AsnWriter(AsnEncodingRules.DER);
        using (key.PushSequence())
        {
            key.WriteIntegerUnsigned(modulus);
            key.WriteIntegerUnsigned(exponent);
        }
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(RsaEncryptionOid);
                writer.WriteNull();
            }
            writer.WriteBitString(key.Encode());
        }
        return writer.Encode();
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
