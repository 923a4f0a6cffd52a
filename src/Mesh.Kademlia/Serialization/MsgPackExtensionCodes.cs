namespace Mesh.Kademlia.Serialization;

/// <summary>Extension type codes registered by mesh's <c>MSGPackSerializer</c> (mesh-reference §3).</summary>
public static class MsgPackExtensionCodes
{
    /// <summary><c>_TUPLE_EXT_TYPE_CODE</c>: a Python tuple, payload = msgpack(list(tuple)).</summary>
    public const sbyte Tuple = 0x40;

    /// <summary><c>DictionaryDHTValue</c>: payload = msgpack([maxsize, latest_expiration_time, [[subkey, value, exp], ...]]).</summary>
    public const sbyte DictionaryDhtValue = 0x50;

    /// <summary><c>BatchTensorDescriptor</c> (torch); not used by the DHT core, decoded as an unknown extension.</summary>
    public const sbyte BatchTensorDescriptor = 0x51;
}
