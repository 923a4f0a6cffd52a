namespace Mesh.Kademlia.Serialization;

/// <summary>
/// The dynamic types a hivemind/mesh msgpack value can have once loaded by <c>MSGPackSerializer.loads</c>
/// (mesh-reference §3): Python's None, bool, int, float, str, bytes, list, tuple (ext 0x40), dict, an unknown
/// extension, and <c>DictionaryDHTValue</c> (ext 0x50).
/// </summary>
public enum MsgKind : byte
{
    Nil,
    Bool,

    /// <summary>A Python int in the msgpack range [-2^63, 2^64).</summary>
    Integer,

    /// <summary>Always a float64 on the wire; float32 input is widened on load.</summary>
    Float,

    /// <summary>msgpack str (UTF-8), Python str.</summary>
    String,

    /// <summary>msgpack bin, Python bytes.</summary>
    Binary,

    /// <summary>msgpack array, Python list.</summary>
    Array,

    /// <summary>Python tuple, carried as ext 0x40 wrapping the msgpack array of its items.</summary>
    Tuple,

    /// <summary>msgpack map, Python dict (insertion order kept; str/bytes keys only on load).</summary>
    Map,

    /// <summary>An extension type the serializer does not know (Python returns its payload bytes).</summary>
    Extension,

    /// <summary>ext 0x50, hivemind's <c>DictionaryDHTValue</c>.</summary>
    Dictionary,
}
