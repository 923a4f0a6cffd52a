using System.Buffers;
using System.Text;
using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Scale;

namespace Mesh.Node.Chain.Storage;

/// <summary>
/// Storage keys from metadata (FRAME storage layout):
/// <code>
///   key = twox128(pallet storage prefix) ++ twox128(entry name) ++ hasher_1(SCALE(key_1)) ++ … ++ hasher_n(SCALE(key_n))
/// </code>
/// A map with n hashers takes n keys (its key type is an n-tuple when n &gt; 1). Giving fewer keys yields the prefix
/// shared by every key that starts with them, which is what paged iteration (<c>state_getKeysPaged</c>) walks.
/// </summary>
public static class StorageKeys
{
    /// <summary>twox128(pallet) ++ twox128(entry): the 32-byte prefix of every key of the item.</summary>
    public static byte[] Prefix(string palletPrefix, string entry)
    {
        var key = new byte[32];
        StorageHashing.Twox128(Encoding.UTF8.GetBytes(palletPrefix), key.AsSpan(0, 16));
        StorageHashing.Twox128(Encoding.UTF8.GetBytes(entry), key.AsSpan(16, 16));
        return key;
    }

    /// <summary>The key (or, with fewer keys than hashers, the key prefix) of <paramref name="pallet"/>.<paramref name="entry"/>.</summary>
    public static byte[] Build(RuntimeMetadata metadata, string pallet, string entry, params ScaleValue[] keys)
    {
        PalletMetadata p = metadata.Pallet(pallet);
        StorageEntryMetadata e = p.FindStorage(entry) ?? throw new ChainDecodeException($"the runtime has no storage item {pallet}.{entry}");
        return Build(metadata.Types, p.StoragePrefix ?? p.Name, e, keys);
    }

    public static byte[] Build(PortableRegistry types, string palletPrefix, StorageEntryMetadata entry, params ScaleValue[] keys)
    {
        if (keys.Length > entry.Hashers.Length)
        {
            throw new ArgumentException($"storage item {entry.Name} takes {entry.Hashers.Length} key(s), got {keys.Length}");
        }
        int[] keyTypes = KeyTypes(types, entry);
        var buffer = new ArrayBufferWriter<byte>(64);
        buffer.Write(Prefix(palletPrefix, entry.Name));
        for (int i = 0; i < keys.Length; i++)
        {
            byte[] encoded = ScaleCodec.Encode(types, keyTypes[i], keys[i]);
            int n = StorageHashing.OutputLength(entry.Hashers[i], encoded.Length);
            StorageHashing.Hash(entry.Hashers[i], encoded, buffer.GetSpan(n));
            buffer.Advance(n);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The type id of each key of a map (one per hasher).</summary>
    public static int[] KeyTypes(PortableRegistry types, StorageEntryMetadata entry)
    {
        if (entry.KeyTypeId is not int keyType)
        {
            return [];
        }
        if (entry.Hashers.Length == 1)
        {
            return [keyType];
        }
        PortableType t = types[keyType];
        if (t.Kind != TypeDefKind.Tuple || t.TupleTypeIds.Length != entry.Hashers.Length)
        {
            ChainThrow.Decode($"storage item {entry.Name}: {entry.Hashers.Length} hashers but key type {t} is not a tuple of as many");
        }
        return t.TupleTypeIds;
    }

    /// <summary>
    /// Recovers the keys of a full storage key (as <c>state_getKeysPaged</c> returns them). Keys behind an opaque hasher
    /// (Blake2_128, Twox128, …) cannot be recovered and come back as null.
    /// </summary>
    public static ScaleValue?[] DecodeKeys(PortableRegistry types, StorageEntryMetadata entry, ReadOnlySpan<byte> storageKey)
    {
        int[] keyTypes = KeyTypes(types, entry);
        if (storageKey.Length < 32)
        {
            ChainThrow.Decode($"storage key of {entry.Name} is shorter than its 32-byte prefix");
        }
        var reader = new ScaleReader(storageKey[32..]);
        var result = new ScaleValue?[keyTypes.Length];
        for (int i = 0; i < keyTypes.Length; i++)
        {
            StorageHasher h = entry.Hashers[i];
            reader.Skip(StorageHashing.HashPrefixLength(h));
            if (StorageHashing.IsTransparent(h))
            {
                result[i] = ScaleCodec.Decode(types, keyTypes[i], ref reader);
            }
            else if (i != keyTypes.Length - 1)
            {
                ChainThrow.Decode($"storage item {entry.Name}: key {i} is behind an opaque hasher, later keys cannot be located");
            }
        }
        return result;
    }
}
