using Mesh.Multistream;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p.Records;

/// <summary>
/// The <c>pk</c> namespace (libp2p kad-dht spec "Validation"; go-libp2p-record <c>PublicKeyValidator</c>):
/// <c>/pk/&lt;peer id multihash&gt;</c> holds that peer's <c>PublicKey</c> protobuf, valid iff the key hashes to the
/// peer id in the record key. All valid values are the same key, so <see cref="Select"/> takes the first.
/// </summary>
/// <remarks>
/// go compares the peer id derived from the key (identity multihash for keys of at most 42 bytes, sha2-256 above);
/// js (<c>validatePublicKeyRecord</c>) always compares the sha2-256 multihash of the protobuf. Both forms are
/// accepted, so records published by either implementation validate here.
/// </remarks>
public sealed class PublicKeyRecordValidator : IKadRecordValidator
{
    public const string Namespace = "pk";

    /// <summary>Largest protobuf-encoded public key accepted (an RSA-4096 key is about 550 bytes).</summary>
    public const int MaxValueLength = 4096;

    public static PublicKeyRecordValidator Instance { get; } = new();

    public bool Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason)
    {
        if (!KadRecordKey.TrySplit(key, out ReadOnlySpan<byte> ns, out ReadOnlySpan<byte> hash) || !ns.SequenceEqual("pk"u8))
        {
            reason = "not a /pk/ key";
            return false;
        }
        if (!Multihash.IsValid(hash))
        {
            reason = "the key after /pk/ is not a multihash";
            return false;
        }
        if (value.Length > MaxValueLength || !PublicKey.TryFromProtobuf(value, out PublicKey? publicKey))
        {
            reason = "the value is not a libp2p PublicKey protobuf";
            return false;
        }
        if (publicKey.PeerId.Bytes.SequenceEqual(hash))
        {
            reason = null;
            return true;
        }
        Span<byte> sha = stackalloc byte[2 + Multihash.Sha2_256DigestLength];
        if (Multihash.TryComputeSha2_256(value, sha, out int written) && sha[..written].SequenceEqual(hash))
        {
            reason = null;
            return true;
        }
        reason = "the public key does not hash to the key";
        return false;
    }

    public int Select(ReadOnlySpan<byte> key, IReadOnlyList<ReadOnlyMemory<byte>> values)
    {
        ArgumentOutOfRangeException.ThrowIfZero(values.Count, nameof(values));
        return 0;
    }
}
