namespace Mesh.Transport.Yamux;

/// <summary>Which limit made <see cref="YamuxSession.OpenStreamAsync"/> fail.</summary>
public enum YamuxStreamLimit
{
    /// <summary><see cref="YamuxOptions.MaxAckBacklog"/> outbound streams are waiting for the peer's ACK (spec: at most 256).</summary>
    AckBacklog,

    /// <summary><see cref="YamuxOptions.MaxOutboundStreams"/> outbound streams are open.</summary>
    MaxOutboundStreams,

    /// <summary>This side's half of the 32-bit stream id space is used up; the session must be replaced.</summary>
    StreamIdsExhausted,
}
