namespace Mesh.Kademlia.Storage;

/// <summary>
/// The subkey tags of <c>StoreRequest.subkeys</c> with special meaning (mesh-reference §1.6, <c>DHTProtocol</c>).
/// Any other tag is msgpack(subkey).
/// </summary>
public static class ReservedSubkeys
{
    /// <summary><c>IS_REGULAR_VALUE</c> = msgpack(None) = <c>0xc0</c>: a plain value, no subkey.</summary>
    public static ReadOnlySpan<byte> IsRegularValue => [0xc0];

    /// <summary>
    /// <c>IS_DICTIONARY</c> = empty: the value is a whole serialized <c>DictionaryDHTValue</c> (ext 0x50) to merge
    /// subkey by subkey.
    /// </summary>
    public static ReadOnlySpan<byte> IsDictionary => [];

    public static bool IsRegular(ReadOnlySpan<byte> tag) => tag.Length == 1 && tag[0] == 0xc0;
}
