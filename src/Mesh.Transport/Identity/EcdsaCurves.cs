using System.Security.Cryptography;

namespace Mesh.Transport.Identity;

/// <summary>
/// The NIST curves accepted for libp2p ECDSA keys. go-libp2p accepts whatever Go's x509 parses (P-224 to P-521) and
/// generates P-256; P-224 is left out because the platform crypto does not support it everywhere.
/// </summary>
internal static class EcdsaCurves
{
    public const string P256Oid = "1.2.840.10045.3.1.7";
    public const string P384Oid = "1.3.132.0.34";
    public const string P521Oid = "1.3.132.0.35";

    /// <summary>The curve name ("P-256", …) and scalar length of a platform curve, or false when not accepted.</summary>
    public static bool TryGet(in ECCurve curve, out string name, out int fieldLength) =>
        TryGet(curve.IsNamed ? curve.Oid.Value : null, out name, out fieldLength);

    /// <summary>The curve name ("P-256", …) and scalar length for a named-curve OID, or false when not accepted.</summary>
    public static bool TryGet(string? oid, out string name, out int fieldLength)
    {
        switch (oid)
        {
            case P256Oid:
                (name, fieldLength) = ("P-256", 32);
                return true;
            case P384Oid:
                (name, fieldLength) = ("P-384", 48);
                return true;
            case P521Oid:
                (name, fieldLength) = ("P-521", 66);
                return true;
            default:
                (name, fieldLength) = ("", 0);
                return false;
        }
    }

    /// <summary>Checks the curve of an imported key, throwing <see cref="KeyFormatException"/> when it is not accepted.</summary>
    public static (string Name, int FieldLength) Require(ECDsa key)
    {
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        if (!TryGet(parameters.Curve, out string name, out int fieldLength))
        {
            KeyFormatException.Throw(KeyFormatError.UnsupportedCurve,
                $"ECDSA key on an unsupported curve ({parameters.Curve.Oid?.Value ?? "explicit parameters"}); accepted: P-256, P-384, P-521");
        }
        return (name, fieldLength);
    }
}
