using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Storage;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// One entry of an <c>rpc_store</c> (mesh <c>call_store</c>): a key, its subkey tag (<c>IS_REGULAR_VALUE</c> = 0xc0,
/// <c>IS_DICTIONARY</c> = empty, else msgpack(subkey)), the serialized (and signed) value, its expiration and whether
/// it goes to the peer's cache instead of its storage.
/// </summary>
public readonly record struct DhtStoreEntry(DhtId Key, ReadOnlyMemory<byte> Subkey, ReadOnlyMemory<byte> Value, double ExpirationTime, bool InCache = false)
{
    /// <summary>A plain value.</summary>
    public static DhtStoreEntry Regular(DhtId key, ReadOnlyMemory<byte> value, double expirationTime, bool inCache = false) =>
        new(key, ReservedSubkeys.IsRegularValue.ToArray(), value, expirationTime, inCache);

    /// <summary>One subkey of a dictionary value; <paramref name="packedSubkey"/> is msgpack(subkey).</summary>
    public static DhtStoreEntry WithSubkey(DhtId key, ReadOnlyMemory<byte> packedSubkey, ReadOnlyMemory<byte> value, double expirationTime, bool inCache = false) =>
        new(key, packedSubkey, value, expirationTime, inCache);

    /// <summary>A whole dictionary (msgpack ext 0x50), merged subkey by subkey.</summary>
    public static DhtStoreEntry Dictionary(DhtId key, ReadOnlyMemory<byte> packedDictionary, double expirationTime, bool inCache = false) =>
        new(key, ReadOnlyMemory<byte>.Empty, packedDictionary, expirationTime, inCache);
}
