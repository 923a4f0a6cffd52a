using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Mesh.Transport.Identity;

/// <summary>
/// A libp2p public key (peer-ids spec): its <see cref="Type"/>, its raw <see cref="Data"/> encoding, signature
/// verification under the libp2p signature scheme of its type, and the deterministic <c>PublicKey</c> protobuf that
/// peer ids hash and that Noise and identify carry.
/// </summary>
/// <remarks>
/// Instances are immutable and safe to share between threads. Every decoder validates fully (lengths, DER, curve
/// membership, key size), so holding a <see cref="PublicKey"/> means holding a usable key; bad input raises
/// <see cref="KeyFormatException"/>. Two keys are equal when their type and canonical <see cref="Data"/> are equal.
/// </remarks>
public abstract class PublicKey : IEquatable<PublicKey>
{
    private readonly byte[] _data;
    private byte[]? _peerIdBytes;
    private int _hashCode;

    private protected PublicKey(byte[] data)
    {
        _data = data;
    }

    /// <summary>The key algorithm.</summary>
    public abstract KeyType Type { get; }

    /// <summary>
    /// The raw key encoding carried in the protobuf Data field: Ed25519 32 bytes, RSA and ECDSA PKIX DER, secp256k1 the
    /// 33-byte compressed point. Always canonical (the form this key re-encodes to).
    /// </summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary><see cref="Data"/> as memory, for callers that must store it.</summary>
    public ReadOnlyMemory<byte> DataMemory => _data;

    /// <summary>The peer id of this key (computed once, then cached).</summary>
    public PeerId PeerId
    {
        get
        {
            byte[] bytes = _peerIdBytes ??= PeerId.ComputeMultihash(this);
            return PeerId.FromTrustedBytes(bytes);
        }
    }

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/> with the libp2p signature scheme of this key
    /// type (Ed25519 RFC 8032; RSA PKCS#1 v1.5 with SHA-256; secp256k1 and ECDSA DER-encoded ECDSA over SHA-256).
    /// A malformed signature is simply not valid: this never throws for peer-supplied signature bytes.
    /// </summary>
    public abstract bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature);

    /// <summary>Decodes a <c>PublicKey</c> protobuf (the whole span), validating the key it carries.</summary>
    /// <exception cref="KeyFormatException">The bytes are not a canonical key protobuf or the key is malformed.</exception>
    public static PublicKey FromProtobuf(ReadOnlySpan<byte> protobuf)
    {
        if (!KeyProtobuf.TryRead(protobuf, out KeyType type, out ReadOnlySpan<byte> data, out KeyFormatError error, out string? reason))
        {
            KeyFormatException.Throw(error, reason!);
        }
        return FromData(type, data);
    }

    /// <summary>Decodes a <c>PublicKey</c> protobuf without throwing for bad input.</summary>
    /// <returns>False with <paramref name="error"/> set when the bytes are not a valid key protobuf.</returns>
    public static bool TryFromProtobuf(ReadOnlySpan<byte> protobuf, [NotNullWhen(true)] out PublicKey? key, out KeyFormatError error)
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

    /// <summary>Decodes a <c>PublicKey</c> protobuf without throwing for bad input.</summary>
    public static bool TryFromProtobuf(ReadOnlySpan<byte> protobuf, [NotNullWhen(true)] out PublicKey? key) =>
        TryFromProtobuf(protobuf, out key, out _);

    /// <summary>Builds a key from its type and raw <see cref="Data"/> encoding, validating it.</summary>
    /// <exception cref="KeyFormatException">The data is not a valid key of that type.</exception>
    public static PublicKey FromData(KeyType type, ReadOnlySpan<byte> data) => type switch
    {
        KeyType.Ed25519 => Ed25519PublicKey.FromBytes(data),
        KeyType.Rsa => RsaPublicKey.FromSubjectPublicKeyInfo(data),
        KeyType.Secp256k1 => Secp256k1PublicKey.FromBytes(data),
        KeyType.Ecdsa => EcdsaPublicKey.FromSubjectPublicKeyInfo(data),
        _ => KeyFormatException.Throw<PublicKey>(KeyFormatError.UnknownKeyType, $"unknown key type {(int)type}"),
    };

    /// <summary>The length of the canonical <c>PublicKey</c> protobuf.</summary>
    public int GetProtobufLength() => KeyProtobuf.GetLength(_data.Length);

    /// <summary>Writes the canonical <c>PublicKey</c> protobuf.</summary>
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

    /// <summary>Writes the canonical <c>PublicKey</c> protobuf and returns its length.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="GetProtobufLength"/>.</exception>
    public int WriteProtobuf(Span<byte> destination) => KeyProtobuf.Write(destination, Type, _data);

    /// <summary>The canonical <c>PublicKey</c> protobuf as a new array.</summary>
    public byte[] ToProtobuf()
    {
        byte[] result = new byte[GetProtobufLength()];
        KeyProtobuf.Write(result, Type, _data);
        return result;
    }

    public bool Equals([NotNullWhen(true)] PublicKey? other) =>
        other is not null && (ReferenceEquals(this, other) || (other.Type == Type && other._data.AsSpan().SequenceEqual(_data)));

    public override bool Equals([NotNullWhen(true)] object? obj) => Equals(obj as PublicKey);

    public override int GetHashCode()
    {
        int hash = _hashCode;
        if (hash == 0)
        {
            var hasher = new HashCode();
            hasher.Add(Type);
            hasher.AddBytes(_data);
            hash = hasher.ToHashCode() | 1;  // never 0, so 0 can mean "not computed yet"
            _hashCode = hash;
        }
        return hash;
    }

    public static bool operator ==(PublicKey? left, PublicKey? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(PublicKey? left, PublicKey? right) => !(left == right);

    /// <summary>The key type and the peer id, e.g. <c>Ed25519 12D3KooW…</c> (never the key material).</summary>
    public override string ToString() => $"{Type} {PeerId}";

    /// <summary>The backing array of <see cref="Data"/>, for encoders in this assembly that must not copy it.</summary>
    internal byte[] DataArray => _data;
}
