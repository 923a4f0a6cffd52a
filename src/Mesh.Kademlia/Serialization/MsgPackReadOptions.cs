namespace Mesh.Kademlia.Serialization;

/// <summary>Limits and buffer policy for decoding msgpack from untrusted input.</summary>
public readonly record struct MsgPackReadOptions
{
    public MsgPackReadOptions()
    {
    }

    public static MsgPackReadOptions Default { get; } = new();

    /// <summary>
    /// Maximum container nesting (lists, maps, tuples, dictionaries). DHT values nest 3 or 4 levels (a heartbeat is a
    /// tuple holding a dict holding a dict); deeper input is refused before it can exhaust the stack.
    /// </summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>
    /// Largest str/bin/ext payload in bytes and largest array/map element count a header may declare. The default is
    /// the 4 MiB unary message cap (mesh-reference §1.6), the most a DHT value can ever be.
    /// </summary>
    public int MaxLength { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// When true, bytes values and unknown extension payloads reference the input buffer instead of copies. Only safe
    /// when the input outlives the value and is never reused (e.g. a protobuf <c>ByteString</c>), never for pooled
    /// pipe buffers.
    /// </summary>
    public bool AliasInput { get; init; }
}
