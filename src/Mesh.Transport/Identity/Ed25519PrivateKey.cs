using System.Security.Cryptography;
using Mesh.Transport.Crypto;
using BcEd25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Mesh.Transport.Identity;

/// <summary>
/// An Ed25519 private key (peer-ids spec, "Ed25519"). The protobuf Data is seed‖public (64 bytes); the legacy
/// seed‖public‖public (96 bytes) and the bare 32-byte seed written by mesh's <c>P2P.generate_ed25519_identity</c> are
/// read too. Signatures are pure Ed25519 (RFC 8032 §5.1), deterministic, 64 bytes: libsodium's where it loads
/// (<see cref="LibSodium"/>, about 2x faster; the same bytes, Ed25519 being deterministic), else BouncyCastle's.
/// </summary>
public sealed class Ed25519PrivateKey : PrivateKey
{
    /// <summary>Length of the RFC 8032 private key (the seed).</summary>
    public const int SeedLength = 32;

    private readonly byte[] _seed;
    private readonly Ed25519PublicKey _publicKey;

    // seed ‖ public key: the protobuf Data, and libsodium's secret key layout.
    private readonly byte[] _secretKey;

    private Ed25519PrivateKey(byte[] seed, Ed25519PublicKey publicKey)
        : this(seed, publicKey, Concat(seed, publicKey.DataArray))
    {
    }

    private Ed25519PrivateKey(byte[] seed, Ed25519PublicKey publicKey, byte[] secretKey)
        : base(secretKey)
    {
        _seed = seed;
        _publicKey = publicKey;
        _secretKey = secretKey;
    }

    public override KeyType Type => KeyType.Ed25519;

    public override PublicKey PublicKey => _publicKey;

    public override int MaxSignatureLength => Ed25519PublicKey.SignatureLength;

    /// <summary>A new key from the system CSPRNG.</summary>
    public static Ed25519PrivateKey Generate()
    {
        Span<byte> seed = stackalloc byte[SeedLength];
        RandomNumberGenerator.Fill(seed);
        try
        {
            return FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>The key with the given 32-byte RFC 8032 seed (every 32-byte string is a valid seed).</summary>
    /// <exception cref="KeyFormatException">The seed is not 32 bytes.</exception>
    public static Ed25519PrivateKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedLength)
        {
            KeyFormatException.Throw(KeyFormatError.InvalidLength, $"Ed25519 seed must be {SeedLength} bytes, got {seed.Length}");
        }
        return new Ed25519PrivateKey(seed.ToArray(), Ed25519PublicKey.FromSeed(seed));
    }

    /// <summary>Parses the protobuf Data: 64 bytes seed‖public, 96 bytes seed‖public‖public, or the 32-byte seed.</summary>
    internal static Ed25519PrivateKey FromData(ReadOnlySpan<byte> data)
    {
        const int Pub = Ed25519PublicKey.KeyLength;
        switch (data.Length)
        {
            case SeedLength:
                return FromSeed(data);
            case SeedLength + Pub:
                break;
            case SeedLength + Pub + Pub:
                // Legacy go-libp2p layout (peer-ids spec): the public key twice; accept only if the copies agree.
                if (!data.Slice(SeedLength, Pub).SequenceEqual(data.Slice(SeedLength + Pub, Pub)))
                {
                    KeyFormatException.Throw(KeyFormatError.InconsistentKey,
                        "legacy 96-byte Ed25519 private key: the two public key copies differ");
                }
                break;
            default:
                KeyFormatException.Throw(KeyFormatError.InvalidLength,
                    $"Ed25519 private key data must be 32, 64 or 96 bytes, got {data.Length}");
                break;
        }
        Ed25519PrivateKey key = FromSeed(data[..SeedLength]);
        // go-libp2p trusts the stored public half; a mismatch would make us sign as one peer id and claim another.
        if (!data.Slice(SeedLength, Pub).SequenceEqual(key._publicKey.Data))
        {
            KeyFormatException.Throw(KeyFormatError.InconsistentKey, "Ed25519 private key: the public half does not match the seed");
        }
        return key;
    }

    /// <summary>Copies the 32-byte seed out (for callers that need the raw RFC 8032 private key).</summary>
    public void ExportSeed(Span<byte> destination)
    {
        if (destination.Length < SeedLength)
        {
            throw new ArgumentException($"destination must hold {SeedLength} bytes", nameof(destination));
        }
        _seed.CopyTo(destination);
    }

    public override bool TrySign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
    {
        if (destination.Length < Ed25519PublicKey.SignatureLength)
        {
            bytesWritten = 0;
            return false;
        }
        if (!LibSodium.TrySignEd25519(_secretKey, data, destination[..Ed25519PublicKey.SignatureLength]))
        {
            // Passing the public key saves the scalar multiplication that re-derives it on every signature.
            BcEd25519.Sign(_seed, _publicKey.Data, data, destination[..Ed25519PublicKey.SignatureLength]);
        }
        bytesWritten = Ed25519PublicKey.SignatureLength;
        return true;
    }

    /// <summary>BouncyCastle's signature, for the tests and benchmarks that compare the two.</summary>
    internal void SignBouncyCastle(ReadOnlySpan<byte> data, Span<byte> destination) =>
        BcEd25519.Sign(_seed, _publicKey.Data, data, destination[..Ed25519PublicKey.SignatureLength]);

    private static byte[] Concat(byte[] seed, byte[] publicKey)
    {
        byte[] data = new byte[seed.Length + publicKey.Length];
        seed.CopyTo(data, 0);
        publicKey.CopyTo(data, seed.Length);
        return data;
    }
}
