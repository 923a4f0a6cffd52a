namespace Mesh.Transport.Yamux;

/// <summary>The yamux header flags (hashicorp/yamux spec.md, "Flag Field").</summary>
[Flags]
public enum YamuxFlags : ushort
{
    None = 0,

    /// <summary>Opens a stream (with Data or WindowUpdate); marks an outbound ping.</summary>
    Syn = 0x1,

    /// <summary>Acknowledges a stream (with Data or WindowUpdate); marks a ping reply.</summary>
    Ack = 0x2,

    /// <summary>Half-closes the sender's side of a stream.</summary>
    Fin = 0x4,

    /// <summary>Resets a stream immediately.</summary>
    Rst = 0x8,
}
