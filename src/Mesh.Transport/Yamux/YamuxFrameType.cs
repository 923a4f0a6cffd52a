namespace Mesh.Transport.Yamux;

/// <summary>The yamux frame types (hashicorp/yamux spec.md, "Type Field"; libp2p/specs yamux/README.md).</summary>
public enum YamuxFrameType : byte
{
    /// <summary>Stream data; <c>length</c> is the number of payload bytes that follow the header.</summary>
    Data = 0,

    /// <summary>Stream flow-control credit; <c>length</c> is the window delta (or, with RST, an error code).</summary>
    WindowUpdate = 1,

    /// <summary>Session ping (stream id 0); <c>length</c> is an opaque value the peer echoes.</summary>
    Ping = 2,

    /// <summary>Session termination (stream id 0); <c>length</c> is a <see cref="YamuxGoAwayCode"/>.</summary>
    GoAway = 3,
}
