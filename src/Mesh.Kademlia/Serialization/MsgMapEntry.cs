namespace Mesh.Kademlia.Serialization;

/// <summary>One key/value pair of a msgpack map, in insertion order.</summary>
public readonly record struct MsgMapEntry(MsgValue Key, MsgValue Value);
