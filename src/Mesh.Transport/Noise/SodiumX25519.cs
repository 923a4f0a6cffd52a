using System.Runtime.InteropServices;

namespace Mesh.Transport.Noise;

/// <summary>
/// X25519 (RFC 7748) from libsodium (<c>crypto_scalarmult_curve25519</c>), the native library the <c>libsodium</c>
/// package ships next to the application (NSec, the .NET binding DESIGN.md names as the challenger, is built on it).
/// Raw 32-byte keys in, raw 32-byte results out: no key objects, no public-key recomputation on import.
/// </summary>
/// <remarks>
/// Why: the connection setup rate is bounded by the handshake's X25519 operations (one key generation and three DH
/// per side). Measured on the project's 2-core machine (<c>bench/RESULTS.md</c>, Noise): libsodium's DH about 2x
/// faster than BouncyCastle's managed one; NSec's object API costs as much as BouncyCastle because importing a
/// private key derives its public key, and OpenSSL 3's EVP API does the same plus a provider lookup per key.
/// <see cref="IsAvailable"/> is false when the library cannot be loaded, <c>sodium_init</c> fails, or the RFC 7748
/// §6.1 known-answer test fails; callers then use BouncyCastle. Resolved once through function pointers (native-AOT
/// safe, no marshalling stubs).
/// </remarks>
internal static unsafe class SodiumX25519
{
    private const int KeyLength = 32;

    private static readonly delegate* unmanaged<byte*, byte*, byte*, int> s_scalarMult;
    private static readonly delegate* unmanaged<byte*, byte*, int> s_scalarMultBase;

    static SodiumX25519()
    {
        if (AppContext.TryGetSwitch("Mesh.Transport.Noise.DisableSodiumX25519", out bool disabled) && disabled)
        {
            return;
        }
        if (!TryLoad(out nint library))
        {
            return;
        }
        if (!NativeLibrary.TryGetExport(library, "sodium_init", out nint init)
            || !NativeLibrary.TryGetExport(library, "crypto_scalarmult_curve25519", out nint scalarMult)
            || !NativeLibrary.TryGetExport(library, "crypto_scalarmult_curve25519_base", out nint scalarMultBase)
            // 0: initialised now; 1: already initialised; -1: failure.
            || ((delegate* unmanaged<int>)init)() < 0)
        {
            return;
        }
        s_scalarMult = (delegate* unmanaged<byte*, byte*, byte*, int>)scalarMult;
        s_scalarMultBase = (delegate* unmanaged<byte*, byte*, int>)scalarMultBase;
        if (!PassesKnownAnswerTest())
        {
            s_scalarMult = null;
            s_scalarMultBase = null;
        }
    }

    /// <summary>True when libsodium loaded and passed its known-answer test.</summary>
    public static bool IsAvailable => s_scalarMult != null;

    /// <summary>The public key of <paramref name="privateKey"/> (clamped on use, as RFC 7748 §5 does).</summary>
    public static bool TryDerivePublicKey(ReadOnlySpan<byte> privateKey, Span<byte> publicKey)
    {
        if (s_scalarMultBase == null)
        {
            return false;
        }
        fixed (byte* priv = privateKey)
        fixed (byte* pub = publicKey)
        {
            return s_scalarMultBase(pub, priv) == 0;
        }
    }

    /// <summary>
    /// X25519(privateKey, publicKey). False when libsodium refused, which means the result is all zero (a small-order
    /// peer point, RFC 7748 §6.1); the caller decides what that means.
    /// </summary>
    public static bool TryAgree(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> publicKey, Span<byte> sharedSecret)
    {
        if (s_scalarMult == null)
        {
            return false;
        }
        fixed (byte* priv = privateKey)
        fixed (byte* pub = publicKey)
        fixed (byte* shared = sharedSecret)
        {
            return s_scalarMult(shared, priv, pub) == 0;
        }
    }

    private static bool TryLoad(out nint library)
    {
        // Next to the application (how the libsodium package deploys it, also for native AOT), else the system's.
        string local = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "libsodium.dll" : OperatingSystem.IsMacOS() ? "libsodium.dylib" : "libsodium.so");
        return NativeLibrary.TryLoad(local, out library)
            || NativeLibrary.TryLoad("libsodium", typeof(SodiumX25519).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out library)
            || NativeLibrary.TryLoad("libsodium.so.23", out library);
    }

    /// <summary>RFC 7748 §6.1: Alice's public key, the shared secret of Alice's and Bob's keys, and a refused zero point.</summary>
    private static bool PassesKnownAnswerTest()
    {
        ReadOnlySpan<byte> alicePrivate = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        ReadOnlySpan<byte> alicePublic = Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        ReadOnlySpan<byte> bobPublic = Convert.FromHexString("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        ReadOnlySpan<byte> shared = Convert.FromHexString("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        Span<byte> output = stackalloc byte[KeyLength];
        return TryDerivePublicKey(alicePrivate, output) && output.SequenceEqual(alicePublic)
            && TryAgree(alicePrivate, bobPublic, output) && output.SequenceEqual(shared)
            && !TryAgree(alicePrivate, new byte[KeyLength], output);
    }
}
