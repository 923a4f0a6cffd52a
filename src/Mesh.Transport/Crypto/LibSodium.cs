using System.Runtime.InteropServices;

namespace Mesh.Transport.Crypto;

/// <summary>
/// The libsodium functions MeshCore's hot paths use, from the native library the <c>libsodium</c> package ships next
/// to the application (NSec, the .NET binding DESIGN.md names as the challenger, is built on it): X25519 for the Noise
/// handshake and Ed25519 for identity signatures (Noise payloads, RPC authorizers, DHT record validators). Raw keys
/// in, raw results out: no key objects, no recomputation of public keys.
/// </summary>
/// <remarks>
/// <para>Why: measured on the project's 2-core machine (<c>bench/RESULTS.md</c>, Noise and Identity), libsodium's
/// X25519 is about 2.5x and its Ed25519 about 2x faster than BouncyCastle's managed code; NSec's object API costs as
/// much as BouncyCastle for X25519 because importing a private key derives its public key, and OpenSSL 3's EVP API
/// does the same plus a provider lookup per key.</para>
/// <para><see cref="IsAvailable"/> is false when the library cannot be loaded, <c>sodium_init</c> fails, an export is
/// missing, or a known-answer test (RFC 7748 §6.1, RFC 8032 §7.1 test 1) fails; callers then use BouncyCastle. The
/// entry points are resolved once through function pointers (native-AOT safe, no marshalling stubs). The switch
/// <c>Mesh.Transport.Crypto.DisableLibSodium</c> (AppContext) forces the fallback.</para>
/// </remarks>
internal static unsafe class LibSodium
{
    private const int X25519KeyLength = 32;

    private static readonly delegate* unmanaged<byte*, byte*, byte*, int> s_scalarMult;
    private static readonly delegate* unmanaged<byte*, byte*, int> s_scalarMultBase;
    private static readonly delegate* unmanaged<byte*, ulong*, byte*, ulong, byte*, int> s_signDetached;
    private static readonly delegate* unmanaged<byte*, byte*, ulong, byte*, int> s_verifyDetached;
    private static readonly bool s_available;

    static LibSodium()
    {
        if (AppContext.TryGetSwitch("Mesh.Transport.Crypto.DisableLibSodium", out bool disabled) && disabled)
        {
            return;
        }
        if (!TryLoad(out nint library)
            || !NativeLibrary.TryGetExport(library, "sodium_init", out nint init)
            || !NativeLibrary.TryGetExport(library, "crypto_scalarmult_curve25519", out nint scalarMult)
            || !NativeLibrary.TryGetExport(library, "crypto_scalarmult_curve25519_base", out nint scalarMultBase)
            || !NativeLibrary.TryGetExport(library, "crypto_sign_ed25519_detached", out nint sign)
            || !NativeLibrary.TryGetExport(library, "crypto_sign_ed25519_verify_detached", out nint verify)
            // 0: initialised now; 1: already initialised; -1: failure.
            || ((delegate* unmanaged<int>)init)() < 0)
        {
            return;
        }
        s_scalarMult = (delegate* unmanaged<byte*, byte*, byte*, int>)scalarMult;
        s_scalarMultBase = (delegate* unmanaged<byte*, byte*, int>)scalarMultBase;
        s_signDetached = (delegate* unmanaged<byte*, ulong*, byte*, ulong, byte*, int>)sign;
        s_verifyDetached = (delegate* unmanaged<byte*, byte*, ulong, byte*, int>)verify;
        s_available = PassesKnownAnswerTests();
    }

    /// <summary>True when libsodium loaded and passed its known-answer tests.</summary>
    public static bool IsAvailable => s_available;

    /// <summary>X25519 base-point multiplication: the public key of <paramref name="privateKey"/> (clamped on use).</summary>
    public static bool TryX25519PublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey) =>
        s_available && X25519PublicKey(privateKey, publicKey);

    /// <summary>
    /// X25519(privateKey, publicKey). False when unavailable or refused; libsodium refuses exactly when the result is
    /// all zero (a small-order peer point, RFC 7748 §6.1). The caller decides what that means.
    /// </summary>
    public static bool TryX25519(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret) =>
        s_available && X25519(privateKey, publicKey, sharedSecret);

    /// <summary>
    /// Pure Ed25519 signature (RFC 8032 §5.1.6) with the 64-byte libsodium secret key seed ‖ public key; false when
    /// libsodium is unavailable.
    /// </summary>
    public static bool TrySignEd25519(ReadOnlySpan<byte> seedAndPublicKey, ReadOnlySpan<byte> message, Span<byte> signature) =>
        s_available && SignEd25519(seedAndPublicKey, message, signature);

    /// <summary>
    /// Verifies a pure Ed25519 signature: true or false, or null when libsodium is unavailable. Like RFC 8032 §5.1.7
    /// (cofactorless), and stricter for crafted input: it also refuses small-order public keys and R points, and
    /// non-canonical encodings, which no honest signer produces.
    /// </summary>
    public static bool? VerifyEd25519(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        s_available ? VerifyEd25519Core(publicKey, message, signature) : null;

    private static bool X25519PublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        fixed (byte* priv = privateKey)
        fixed (byte* pub = publicKey)
        {
            return s_scalarMultBase(pub, priv) == 0;
        }
    }

    private static bool X25519(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        fixed (byte* priv = privateKey)
        fixed (byte* pub = publicKey)
        fixed (byte* shared = sharedSecret)
        {
            return s_scalarMult(shared, priv, pub) == 0;
        }
    }

    private static bool SignEd25519(ReadOnlySpan<byte> seedAndPublicKey, ReadOnlySpan<byte> message, Span<byte> signature)
    {
        fixed (byte* sk = seedAndPublicKey)
        fixed (byte* m = message)
        fixed (byte* sig = signature)
        {
            ulong length;
            return s_signDetached(sig, &length, m, (ulong)message.Length, sk) == 0 && length == 64;
        }
    }

    private static bool VerifyEd25519Core(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        fixed (byte* pk = publicKey)
        fixed (byte* m = message)
        fixed (byte* sig = signature)
        {
            return s_verifyDetached(sig, m, (ulong)message.Length, pk) == 0;
        }
    }

    private static bool TryLoad(out nint library)
    {
        // Next to the application (how the libsodium package deploys it, also for native AOT), through the runtime's
        // probing (deps.json runtimes/ folders of a framework-dependent app), else the system's.
        string local = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "libsodium.dll" : OperatingSystem.IsMacOS() ? "libsodium.dylib" : "libsodium.so");
        return NativeLibrary.TryLoad(local, out library)
            || NativeLibrary.TryLoad("libsodium", typeof(LibSodium).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out library)
            || NativeLibrary.TryLoad("libsodium.so.23", out library);
    }

    private static bool PassesKnownAnswerTests()
    {
        // RFC 7748 §6.1: Alice's public key, Alice's and Bob's shared secret, and a refused small-order point.
        ReadOnlySpan<byte> alicePrivate = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        ReadOnlySpan<byte> alicePublic = Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        ReadOnlySpan<byte> bobPublic = Convert.FromHexString("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        ReadOnlySpan<byte> shared = Convert.FromHexString("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        Span<byte> output = stackalloc byte[X25519KeyLength];
        if (!X25519PublicKey(alicePrivate, output) || !output.SequenceEqual(alicePublic)
            || !X25519(alicePrivate, bobPublic, output) || !output.SequenceEqual(shared)
            || X25519(alicePrivate, new byte[X25519KeyLength], output))
        {
            return false;
        }
        // RFC 8032 §7.1, TEST 1: the empty message.
        ReadOnlySpan<byte> secret = Convert.FromHexString(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        ReadOnlySpan<byte> expected = Convert.FromHexString(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
        Span<byte> signature = stackalloc byte[64];
        return SignEd25519(secret, [], signature) && signature.SequenceEqual(expected)
            && VerifyEd25519Core(secret[32..], [], signature)
            && !VerifyEd25519Core(secret[32..], [0], signature);
    }
}
