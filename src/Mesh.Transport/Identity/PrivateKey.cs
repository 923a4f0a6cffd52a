using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Mesh.Transport.Identity;

/// <summary>
/// A libp2p private key (peer-ids spec): signs with the libp2p signature scheme of its type, knows its
/// <see cref="PublicKey"/>, and round-trips through the <c>PrivateKey</c> protobuf that identity files hold.
/// </summary>
/// <remarks>
/// Instances are immutable and safe to use from several threads at once. Decoders validate the key completely
/// (lengths, DER, that the public half belongs to the private half), reporting bad input as
/// <see cref="KeyFormatException"/>. <see cref="ToString"/> never shows key material.
/// </remarks>
public abstract class PrivateKey : IEquatable<PrivateKey>
{
    private readonly byte[] _data;

    /// <param name="data">The canonical protobuf Data encoding of this key (owned by the instance from now on).</param>
    private protected PrivateKey(byte[] data)
    {
        _data = data;
    }

    /// <summary>The key algorithm.</summary>
    public abstract KeyType Type { get; }

    /// <summary>The matching public key.</summary>
    public abstract PublicKey PublicKey { get; }

    /// <summary>The peer id of <see cref="PublicKey"/>.</summary>
    public PeerId PeerId => PublicKey.PeerId;

    /// <summary>
    /// An upper bound on the length of a signature by this key (the exact length for Ed25519 and RSA; DER-encoded
    /// ECDSA signatures are up to this long). Size the destination of <see cref="TrySign"/> with it.
    /// </summary>
    public abstract int MaxSignatureLength { get; }

    /// <summary>
    /// Signs <paramref name="data"/> with the libp2p signature scheme of this key type (Ed25519 RFC 8032; RSA PKCS#1
    /// v1.5 with SHA-256; secp256k1 and ECDSA DER-encoded ECDSA over SHA-256) into <paramref name="destination"/>.
    /// </summary>
    /// <returns>False (writing nothing useful) when the destination is shorter than the signature.</returns>
    public abstract bool TrySign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten);

    /// <summary>Signs into <paramref name="destination"/> and returns the signature length.</summary>
    /// <exception cref="ArgumentException">The destination is too short (size it with <see cref="MaxSignatureLength"/>).</exception>
    public int Sign(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (!TrySign(data, destination, out int written))
        {
            throw new ArgumentException(
                $"destination is {destination.Length} bytes; a {Type} signature needs up to {MaxSignatureLength}", nameof(destination));
        }
        return written;
    }

    /// <summary>Signs and returns the signature as a new array.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        int max = MaxSignatureLength;
        byte[] buffer = new byte[max];
        if (!TrySign(data, buffer, out int written))
        {
            throw new CryptographicException($"{Type} signature did not fit its own maximum length {max}");
        }
        return written == max ? buffer : buffer.AsSpan(0, written).ToArray();
    }

    /// <summary>Generates a new key of the given type (RSA: 2048 bits; ECDSA: P-256) from the system CSPRNG.</summary>
    public static PrivateKey Generate(KeyType type) => type switch
    {
        KeyType.Ed25519 => Ed25519PrivateKey.Generate(),
        KeyType.Rsa => RsaPrivateKey.Generate(RsaPrivateKey.DefaultKeySizeInBits),
        KeyType.Secp256k1 => Secp256k1PrivateKey.Generate(),
        KeyType.Ecdsa => EcdsaPrivateKey.Generate(),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown key type"),
    };

    /// <summary>Decodes a <c>PrivateKey</c> protobuf (the whole span), validating the key it carries.</summary>
    /// <exception cref="KeyFormatException">The bytes are not a canonical key protobuf or the key is malformed.</exception>
    public static PrivateKey FromProtobuf(ReadOnlySpan<byte> protobuf)
    {
        if (!KeyProtobuf.TryRead(protobuf, out KeyType type, out ReadOnlySpan<byte> data, out KeyFormatError error, out string? reason))
        {
            KeyFormatException.Throw(error, reason!);
        }
        return FromData(type, data);
    }

    /// <summary>Decodes a <c>PrivateKey</c> protobuf without throwing for bad input.</summary>
    public static bool TryFromProtobuf(ReadOnlySpan<byte> protobuf, [NotNullWhen(true)] out PrivateKey? key, out KeyFormatError error)
    {
        key = null;
        if (!KeyProtobuf.TryRead(protobuf, out KeyType type, out ReadOnlySpan<byte> data, out error, out _))
        {
            return false;
        }
        try
        {
            key = FromData(type, data);
            return true;
        }
        catch (KeyFormatException ex)
        {
            error = ex.Error;
            return false;
        }
    }

    /// <summary>
    /// Builds a key from its type and protobuf Data encoding: Ed25519 seed‖public (64 bytes), the legacy
    /// seed‖public‖public (96 bytes, both copies must match) or the bare 32-byte seed that mesh's
    /// <c>P2P.generate_ed25519_identity</c> writes; RSA PKCS#1 DER; secp256k1 the 32-byte scalar; ECDSA SEC1 DER
    /// (PKCS#8 is accepted too).
    /// </summary>
    /// <exception cref="KeyFormatException">The data is not a valid key of that type.</exception>
    public static PrivateKey FromData(KeyType type, ReadOnlySpan<byte> data) => type switch
    {
        KeyType.Ed25519 => Ed25519PrivateKey.FromData(data),
        KeyType.Rsa => RsaPrivateKey.FromPkcs1(data),
        KeyType.Secp256k1 => Secp256k1PrivateKey.FromScalar(data),
        KeyType.Ecdsa => EcdsaPrivateKey.FromDer(data),
        _ => KeyFormatException.Throw<PrivateKey>(KeyFormatError.UnknownKeyType, $"unknown key type {(int)type}"),
    };

    /// <summary>The length of the canonical <c>PrivateKey</c> protobuf.</summary>
    public int GetProtobufLength() => KeyProtobuf.GetLength(_data.Length);

    /// <summary>Writes the canonical <c>PrivateKey</c> protobuf.</summary>
    /// <returns>False (writing nothing) when <paramref name="destination"/> is shorter than <see cref="GetProtobufLength"/>.</returns>
    public bool TryWriteProtobuf(Span<byte> destination, out int bytesWritten)
    {
        if (destination.Length < GetProtobufLength())
        {
            bytesWritten = 0;
            return false;
        }
        bytesWritten = KeyProtobuf.Write(destination, Type, _data);
        return true;
    }

    /// <summary>Writes the canonical <c>PrivateKey</c> protobuf and returns its length.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="GetProtobufLength"/>.</exception>
    public int WriteProtobuf(Span<byte> destination) => KeyProtobuf.Write(destination, Type, _data);

    /// <summary>
    /// The canonical <c>PrivateKey</c> protobuf as a new array: what identity files hold. Ed25519 is written as
    /// seed‖public (64 bytes), the layout go-libp2p and mesh's keygen use.
    /// </summary>
    public byte[] ToProtobuf()
    {
        byte[] result = new byte[GetProtobufLength()];
        KeyProtobuf.Write(result, Type, _data);
        return result;
    }

    /// <summary>Equal when the type and the canonical Data are equal (compared in constant time).</summary>
    public bool Equals([NotNullWhen(true)] PrivateKey? other) =>
        other is not null && (ReferenceEquals(this, other)
            || (other.Type == Type && other._data.Length == _data.Length && CryptographicOperations.FixedTimeEquals(other._data, _data)));

    public override bool Equals([NotNullWhen(true)] object? obj) => Equals(obj as PrivateKey);

    /// <summary>Hashes the public key only, so the hash code reveals nothing about the secret.</summary>
    public override int GetHashCode() => PublicKey.GetHashCode();

    /// <summary>The key type and peer id (never the key material).</summary>
    public override string ToString() => $"{Type} private key of {PeerId}";
}
