using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Mesh.Transport.Crypto;

/// <summary>
/// RSASSA-PSS with SHA-256, MGF1-SHA-256 and an explicit salt length (mesh signs with the maximum), run by the
/// platform's OpenSSL on the key the BCL already holds (<see cref="RSAOpenSsl.DuplicateKeyHandle"/>). The BCL's own
/// <see cref="RSASignaturePadding.Pss"/> fixes the salt at the hash length, so the few EVP calls that set it are bound
/// here by hand, through function pointers resolved once (native-AOT safe).
/// </summary>
/// <remarks>
/// <para>Why: BouncyCastle's managed RSA private operation made every mesh RSA signature (each authorized RPC request
/// and response of an RSA node, each signed record) cost milliseconds; OpenSSL's is an order of magnitude faster
/// (<c>bench/RESULTS.md</c>, Identity).</para>
/// <para>Only OpenSSL 3.x is bound (its <c>EVP_PKEY_CTX_set_rsa_*</c> are functions; in 1.1 they are macros), and only
/// the exact <c>libcrypto</c> the runtime itself loaded (<see cref="SafeEvpPKeyHandle.OpenSslVersion"/>), because the
/// key handles come from it. <see cref="IsAvailable"/> is false otherwise, or when a sign/verify self-test fails;
/// callers then use BouncyCastle. The AppContext switch <c>Mesh.Transport.Crypto.DisableOpenSslRsaPss</c> forces that.</para>
/// </remarks>
internal static unsafe class OpenSslRsaPss
{
    private const int RsaPkcs1PssPadding = 6; // RSA_PKCS1_PSS_PADDING

    private static readonly delegate* unmanaged<nint, nint, nint> s_newContext;
    private static readonly delegate* unmanaged<nint, void> s_freeContext;
    private static readonly delegate* unmanaged<nint, int> s_signInit;
    private static readonly delegate* unmanaged<nint, int> s_verifyInit;
    private static readonly delegate* unmanaged<nint, int, int> s_setPadding;
    private static readonly delegate* unmanaged<nint, int, int> s_setSaltLength;
    private static readonly delegate* unmanaged<nint, nint, int> s_setMgf1Digest;
    private static readonly delegate* unmanaged<nint, nint, int> s_setSignatureDigest;
    private static readonly delegate* unmanaged<nint, byte*, nuint*, byte*, nuint, int> s_sign;
    private static readonly delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int> s_verify;
    private static readonly delegate* unmanaged<void> s_clearError;
    private static readonly nint s_sha256;
    private static readonly bool s_available;

    static OpenSslRsaPss()
    {
        if (!OperatingSystem.IsLinux()
            || (AppContext.TryGetSwitch("Mesh.Transport.Crypto.DisableOpenSslRsaPss", out bool disabled) && disabled)
            // 0xMNN00PPSL: only 3.x, the one whose handles the runtime gives out.
            || (SafeEvpPKeyHandle.OpenSslVersion >> 28) != 3
            || !NativeLibrary.TryLoad("libcrypto.so.3", out nint library))
        {
            return;
        }
        if (!NativeLibrary.TryGetExport(library, "EVP_PKEY_CTX_new", out nint newContext)
            || !NativeLibrary.TryGetExport(library, "EVP_PKEY_CTX_free", out nint freeContext)
            || !NativeLibrary.TryGetExport(library, "EVP_PKEY_sign_init", out nint signInit)
            || !NativeLibrary.TryGetExport(library, "EVP_PKEY_verify_init", out nint verifyInit)
            || !NativeLibrary.TryGetExport(library, "EVP_PKEY_CTX_set_rsa_padding", out nint setPadding)
            || !NativeLibrary.TryGetExport(library, "EVP_PKEY_CTX_set_rsa_pss_saltlen", out nint setSaltLength)
            || !NativeLibrary.TryGetExport(library, "EVP_PKEY_CTX_set_rsa_mgf1_md", out nint setMgf1)
            || !NativeLibrary.TryGetExport(library, "EVP_PKEY_CTX_set_signature_md", out nint setDigest)
            || !NativeLibrary.TryGetExport(library, "EVP_PKEY_sign", out nint sign)
            || !NativeLibrary.TryGetExport(library, "EVP_PKEY_verify", out nint verify)
            || !NativeLibrary.TryGetExport(library, "EVP_sha256", out nint sha256)
            || !NativeLibrary.TryGetExport(library, "ERR_clear_error", out nint clearError))
        {
            return;
        }
        s_newContext = (delegate* unmanaged<nint, nint, nint>)newContext;
        s_freeContext = (delegate* unmanaged<nint, void>)freeContext;
        s_signInit = (delegate* unmanaged<nint, int>)signInit;
        s_verifyInit = (delegate* unmanaged<nint, int>)verifyInit;
        s_setPadding = (delegate* unmanaged<nint, int, int>)setPadding;
        s_setSaltLength = (delegate* unmanaged<nint, int, int>)setSaltLength;
        s_setMgf1Digest = (delegate* unmanaged<nint, nint, int>)setMgf1;
        s_setSignatureDigest = (delegate* unmanaged<nint, nint, int>)setDigest;
        s_sign = (delegate* unmanaged<nint, byte*, nuint*, byte*, nuint, int>)sign;
        s_verify = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int>)verify;
        s_clearError = (delegate* unmanaged<void>)clearError;
        s_sha256 = ((delegate* unmanaged<nint>)sha256)();
        s_available = s_sha256 != 0 && PassesSelfTest();
    }

    /// <summary>True when OpenSSL 3's RSA-PSS with an explicit salt is usable on the runtime's keys.</summary>
    public static bool IsAvailable => s_available;

    /// <summary>A key OpenSSL can sign and verify with here: <see cref="RSAOpenSsl"/> on Linux, else the platform default.</summary>
    public static RSA CreateKey() => OperatingSystem.IsLinux() ? new RSAOpenSsl() : RSA.Create();

    /// <summary>
    /// Signs the SHA-256 <paramref name="hash"/> with PSS and <paramref name="saltLength"/> bytes of salt into
    /// <paramref name="signature"/> (the modulus length). False when unavailable for this key, or OpenSSL refused.
    /// </summary>
    public static bool TrySign(RSA key, ReadOnlySpan<byte> hash, int saltLength, Span<byte> signature, out int bytesWritten)
    {
        bytesWritten = 0;
        return s_available && SignCore(key, hash, saltLength, signature, out bytesWritten);
    }

    /// <summary>
    /// Verifies a PSS signature over the SHA-256 <paramref name="hash"/> that must carry exactly
    /// <paramref name="saltLength"/> bytes of salt: true or false, or null when unavailable for this key.
    /// </summary>
    public static bool? Verify(RSA key, ReadOnlySpan<byte> hash, int saltLength, ReadOnlySpan<byte> signature) =>
        s_available ? VerifyCore(key, hash, saltLength, signature) : null;

    private static bool SignCore(RSA key, ReadOnlySpan<byte> hash, int saltLength, Span<byte> signature, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!OperatingSystem.IsLinux() || key is not RSAOpenSsl openSsl)
        {
            return false;
        }
        using SafeEvpPKeyHandle handle = openSsl.DuplicateKeyHandle();
        nint context = Prepare(handle, sign: true, saltLength);
        if (context == 0)
        {
            return false;
        }
        try
        {
            nuint length = (nuint)signature.Length;
            fixed (byte* tbs = hash)
            fixed (byte* sig = signature)
            {
                if (s_sign(context, sig, &length, tbs, (nuint)hash.Length) != 1)
                {
                    s_clearError();
                    return false;
                }
            }
            bytesWritten = (int)length;
            return true;
        }
        finally
        {
            s_freeContext(context);
        }
    }

    private static bool? VerifyCore(RSA key, ReadOnlySpan<byte> hash, int saltLength, ReadOnlySpan<byte> signature)
    {
        if (!OperatingSystem.IsLinux() || key is not RSAOpenSsl openSsl)
        {
            return null;
        }
        using SafeEvpPKeyHandle handle = openSsl.DuplicateKeyHandle();
        nint context = Prepare(handle, sign: false, saltLength);
        if (context == 0)
        {
            return null;
        }
        try
        {
            fixed (byte* tbs = hash)
            fixed (byte* sig = signature)
            {
                // 1: valid; 0: invalid; < 0: malformed (e.g. a value ≥ n), which is also just invalid here.
                int result = s_verify(context, sig, (nuint)signature.Length, tbs, (nuint)hash.Length);
                if (result != 1)
                {
                    s_clearError();
                }
                return result == 1;
            }
        }
        finally
        {
            s_freeContext(context);
        }
    }

    private static nint Prepare(SafeEvpPKeyHandle handle, bool sign, int saltLength)
    {
        nint context = s_newContext(handle.DangerousGetHandle(), 0);
        if (context == 0)
        {
            s_clearError();
            return 0;
        }
        if ((sign ? s_signInit(context) : s_verifyInit(context)) != 1
            || s_setPadding(context, RsaPkcs1PssPadding) != 1
            || s_setSignatureDigest(context, s_sha256) != 1
            || s_setMgf1Digest(context, s_sha256) != 1
            || s_setSaltLength(context, saltLength) != 1)
        {
            s_clearError();
            s_freeContext(context);
            return 0;
        }
        return context;
    }

    /// <summary>A fresh 2048-bit key signs with the maximum salt, verifies, and refuses a tampered hash and a wrong salt length.</summary>
    private static bool PassesSelfTest()
    {
        try
        {
            using RSA key = CreateKey();
            key.KeySize = 2048;
            byte[] hash = SHA256.HashData("mesh"u8);
            Span<byte> signature = stackalloc byte[256];
            const int maxSalt = 256 - 32 - 2;
            if (!SignCore(key, hash, maxSalt, signature, out int length) || length != 256)
            {
                return false;
            }
            bool valid = VerifyCore(key, hash, maxSalt, signature) == true;
            hash[0] ^= 1;
            bool tamperedRefused = VerifyCore(key, hash, maxSalt, signature) == false;
            hash[0] ^= 1;
            bool wrongSaltRefused = VerifyCore(key, hash, 32, signature) == false;
            return valid && tamperedRefused && wrongSaltRefused;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
