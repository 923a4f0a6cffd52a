namespace Mesh.Transport.Yamux;

/// <summary>Why a yamux session ended (attached to every close, logged, and exposed as <see cref="YamuxSession.EndReason"/>).</summary>
public enum YamuxSessionEndReason
{
    /// <summary>The session is still running.</summary>
    None = 0,

    /// <summary><see cref="YamuxSession.CloseAsync"/> finished: every stream completed, GoAway(normal) was sent.</summary>
    LocalClose,

    /// <summary><see cref="YamuxSession.Abort"/> was called (or the session was disposed).</summary>
    LocalAbort,

    /// <summary>The peer sent GoAway(normal) and then closed the connection.</summary>
    RemoteGoAway,

    /// <summary>The peer sent GoAway with an error code (protocol or internal error).</summary>
    RemoteGoAwayError,

    /// <summary>The connection reached end-of-stream without a GoAway.</summary>
    TransportClosed,

    /// <summary>Reading from or writing to the connection failed.</summary>
    TransportError,

    /// <summary>The peer violated the protocol; this side sent GoAway(protocol error).</summary>
    ProtocolError,

    /// <summary>Nothing arrived from the peer for the keep-alive interval plus the keep-alive timeout.</summary>
    KeepAliveTimeout,

    /// <summary>More control frames (pongs, refusals) were queued than the output queue allows: the peer floods while not reading.</summary>
    OutputQueueOverflow,

    /// <summary>An unexpected failure inside the session; this side sent GoAway(internal error).</summary>
    InternalError,
}
