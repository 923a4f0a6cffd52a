using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Mesh.Transport.Identity;

/// <summary>
/// An ECDSA public key on a NIST curve (peer-ids spec, "ECDSA"): Data is the DER-encoded PKIX SubjectPublicKeyInfo
/// with a named curve and an uncompressed point, libp2p signatures are DER-encoded ECDSA over SHA-256 (SHA-256 for
/// every curve, as go-libp2p does).
/// </summary>
/// <remarks>
/// The <see cref="ECDsa"/> instance is created once, never mutated afterwards, and shared by concurrent
/// verifications (the platform creates a fresh operation context per call).
/// </remarks>
public sealed class EcdsaPublicKey : PublicKey
{
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";

    private readonly ECDsa _ecdsa;
    private readonly int _fieldLength;

    private EcdsaPublicKey(byte[] spki, ECDsa ecdsa, string curveName, int fieldLength)
        : base(spki)
    {
        _ecdsa = ecdsa;
        CurveName = curveName;
        _fieldLength = fieldLength;
    }

    public override KeyType Type => KeyType.Ecdsa;

    /// <summary>"P-256", "P-384" or "P-521".</summary>
    public string CurveName { get; }

    /// <summary>Builds a key from its DER SubjectPublicKeyInfo (the libp2p Data encoding), validating it.</summary>
    /// <exception cref="KeyFormatException">Bad or non-canonical DER, a point off the curve, or an unsupported curve.</exception>
    public static EcdsaPublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        // Check the structure and the curve ourselves first: the platform import reacts to unknown or explicit curves
        // with exceptions other than CryptographicException (PlatformNotSupportedException on Linux), and peers must
        // only ever cause KeyFormatException.
        (string name, int fieldLength) = CheckSubjectPublicKeyInfo(spki);
        ECDsa ecdsa = ECDsa.Create();
        try
        {
            int read;
            try
            {
                // The platform import rejects points that are not on the curve.
                ecdsa.ImportSubjectPublicKeyInfo(spki, out read);
            }
            catch (Exception ex) when (ex is CryptographicException or PlatformNotSupportedException)
            {
                throw new KeyFormatException(KeyFormatError.InvalidPoint, $"ECDSA {name} public key is not a point on the curve", ex);
            }
            if (read != spki.Length || !ecdsa.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki))
            {
                // Unreachable after CheckSubjectPublicKeyInfo; kept because peer ids hash these bytes.
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "ECDSA SubjectPublicKeyInfo is not in canonical DER form");
            }
            return new EcdsaPublicKey(spki.ToArray(), ecdsa, name, fieldLength);
        }
        catch
        {
            ecdsa.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Strict DER check of <c>SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve OID }, BIT STRING 04‖X‖Y }</c>
    /// (RFC 5480 §2) with an accepted curve; returns the curve name and scalar length.
    /// </summary>
    private static (string Name, int FieldLength) CheckSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        try
        {
            var outer = new AsnReader(spki.ToArray(), AsnEncodingRules.DER);
            AsnReader info = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            AsnReader algorithm = info.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != EcPublicKeyOid)
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, "SubjectPublicKeyInfo algorithm is not id-ecPublicKey");
            }
            if (!algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
            {
                KeyFormatException.Throw(KeyFormatError.UnsupportedCurve, "ECDSA key with explicit curve parameters; accepted: P-256, P-384, P-521");
            }
            string curve = algorithm.ReadObjectIdentifier();
            algorithm.ThrowIfNotEmpty();
            if (!EcdsaCurves.TryGet(curve, out string name, out int fieldLength))
            {
                KeyFormatException.Throw(KeyFormatError.UnsupportedCurve, $"ECDSA key on an unsupported curve ({curve}); accepted: P-256, P-384, P-521");
            }
            byte[] point = info.ReadBitString(out int unusedBits);
            info.ThrowIfNotEmpty();
            // Uncompressed only, like Go's x509 (elliptic.Unmarshal): one encoding per key.
            if (unusedBits != 0 || point.Length != 1 + (2 * fieldLength) || point[0] != 0x04)
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, $"ECDSA {name} public key must be an uncompressed point (04‖X‖Y)");
            }
            return (name, fieldLength);
        }
        catch (AsnContentException ex)
        {
            throw new KeyFormatException(KeyFormatError.InvalidEncoding, "ECDSA public key is not a DER SubjectPublicKeyInfo", ex);
        }
    }

    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        // Decode the DER ourselves (strictly) so that malformed peer input never reaches the platform as an exception.
        Span<byte> rs = stackalloc byte[2 * _fieldLength];
        if (!EcdsaDerSignature.TryDecode(signature, _fieldLength, rs))
        {
            return false;
        }
        try
        {
            return _ecdsa.VerifyData(data, rs, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
