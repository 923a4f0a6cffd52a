using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;

namespace Mesh.Node.Chain.Signing;

/// <summary>
/// An Ethereum-style secp256k1 account as this chain uses it (<c>fp_account::EthereumSignature</c>,
/// <c>AccountId20</c>): the address is the last 20 bytes of keccak256 of the uncompressed public key, and a signature
/// is r ‖ s ‖ v (65 bytes) over keccak256 of the message. Created from a raw private key or from a BIP39 mnemonic
/// with a BIP44 path (default <c>m/44'/60'/0'/0/0</c>, the first Ethereum account). The private key never appears in
/// <see cref="ToString"/>.
/// </summary>
public sealed class EthereumKeyPair
{
    public const string DefaultDerivationPath = "m/44'/60'/0'/0/0";

    private readonly BigInteger _d;
    private readonly byte[] _publicXy;

    private EthereumKeyPair(BigInteger d)
    {
        _d = d;
        ECPoint q = Secp256k1.PublicPoint(d);
        _publicXy = Secp256k1.RawXy(q);
        PublicKeyCompressed = q.GetEncoded(true);
        Address = AddressOf(_publicXy);
    }

    public AccountId20 Address { get; }

    /// <summary>The 33-byte SEC1 compressed public key.</summary>
    public byte[] PublicKeyCompressed { get; }

    /// <summary>The 64-byte uncompressed public key without the 0x04 prefix.</summary>
    public ReadOnlySpan<byte> PublicKeyXy => _publicXy;

    /// <summary>A key pair from a 32-byte private scalar (1 ≤ d &lt; n).</summary>
    public static EthereumKeyPair FromPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != 32)
        {
            throw new ArgumentException($"a secp256k1 private key is 32 bytes, got {privateKey.Length}", nameof(privateKey));
        }
        var d = new BigInteger(1, privateKey);
        if (!Secp256k1.IsValidPrivateKey(d))
        {
            throw new ArgumentException("the private key is zero or not below the secp256k1 group order", nameof(privateKey));
        }
        return new EthereumKeyPair(d);
    }

    /// <summary>A key pair from a hex private key (with or without <c>0x</c>).</summary>
    public static EthereumKeyPair FromPrivateKeyHex(string hex)
    {
        ReadOnlySpan<char> digits = hex.Trim().StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex.Trim().AsSpan(2) : hex.Trim();
        if (digits.Length != 64)
        {
            throw new ArgumentException("a hex private key has 64 hex digits", nameof(hex));
        }
        Span<byte> key = stackalloc byte[32];
        if (Convert.FromHexString(digits, key, out _, out int written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            throw new ArgumentException("the private key is not valid hex", nameof(hex));
        }
        try
        {
            return FromPrivateKey(key);
        }
        finally
        {
            key.Clear();
        }
    }

    /// <summary>A key pair from a BIP39 mnemonic (checksum verified), an optional BIP39 passphrase, and a BIP32 path.</summary>
    public static EthereumKeyPair FromMnemonic(string mnemonic, string passphrase = "", string path = DefaultDerivationPath)
    {
        byte[] seed = Bip39.MnemonicToSeed(mnemonic, passphrase);
        try
        {
            byte[] key = Bip32.DerivePrivateKey(seed, path);
            try
            {
                return FromPrivateKey(key);
            }
            finally
            {
                Array.Clear(key);
            }
        }
        finally
        {
            Array.Clear(seed);
        }
    }

    /// <summary>The 32-byte private key (handle with care).</summary>
    public byte[] ExportPrivateKey()
    {
        byte[] raw = _d.ToByteArrayUnsigned();
        var result = new byte[32];
        raw.CopyTo(result, 32 - raw.Length);
        return result;
    }

    /// <summary>Signs a 32-byte digest as-is: r ‖ s ‖ v with v ∈ {0, 1}.</summary>
    public byte[] SignDigest(ReadOnlySpan<byte> digest32)
    {
        if (digest32.Length != 32)
        {
            throw new ArgumentException("the digest is 32 bytes", nameof(digest32));
        }
        var signature = new byte[65];
        Secp256k1.Sign(_d, digest32, signature);
        return signature;
    }

    /// <summary>Signs a message the way <c>EthereumSignature::verify</c> checks it: keccak256(message), then ECDSA.</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        Span<byte> digest = stackalloc byte[32];
        Keccak256.Hash(message, digest);
        return SignDigest(digest);
    }

    /// <summary>The address of a 64-byte x ‖ y public key: keccak256(xy)[12..32].</summary>
    public static AccountId20 AddressOf(ReadOnlySpan<byte> publicXy)
    {
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(publicXy, hash);
        return new AccountId20(hash[12..]);
    }

    public override string ToString() => $"EthereumKeyPair({Address})";
}

/// <summary>Verification side of <see cref="EthereumKeyPair"/>: recover the signer of a 65-byte signature.</summary>
public static class EthereumSignature
{
    /// <summary>The address that produced <paramref name="signature"/> over keccak256(<paramref name="message"/>), or
    /// null if the signature is malformed.</summary>
    public static AccountId20? RecoverAddress(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> message)
    {
        Span<byte> digest = stackalloc byte[32];
        Keccak256.Hash(message, digest);
        return RecoverAddressFromDigest(signature, digest);
    }

    public static AccountId20? RecoverAddressFromDigest(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> digest32)
    {
        ECPoint? q = Secp256k1.Recover(signature, digest32);
        return q is null ? null : EthereumKeyPair.AddressOf(Secp256k1.RawXy(q));
    }

    /// <summary>True when <paramref name="signature"/> over <paramref name="message"/> recovers to <paramref name="signer"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> message, AccountId20 signer) =>
        RecoverAddress(signature, message) is AccountId20 a && a == signer;
}
