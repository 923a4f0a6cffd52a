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
        ECDsa ecdsa = ECDsa.Create();
        try
        {
            int read;
            try
            {
                // The platform import rejects points that are not on the curve.
                ecdsa.ImportSubjectPublicKeyInfo(spki, out read);
            }
            catch (CryptographicException ex)
            {
                throw new KeyFormatException(KeyFormatError.InvalidEncoding,
                    "ECDSA public key is not a valid DER SubjectPublicKeyInfo with a point on its curve", ex);
            }
            if (read != spki.Length)
            {
                KeyFormatException.Throw(KeyFormatError.InvalidEncoding, $"{spki.Length - read} bytes after the ECDSA SubjectPublicKeyInfo");
            }
            (string name, int fieldLength) = EcdsaCurves.Require(ecdsa);
            // Peer ids hash Data: accept only the one DER encoding this key re-encodes to.
            if (!ecdsa.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki))
            {
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
