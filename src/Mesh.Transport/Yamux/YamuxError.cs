namespace Mesh.Transport.Yamux;

/// <summary>Why a peer's yamux input was rejected. Every value is a session-fatal protocol error (GoAway code 1).</summary>
public enum YamuxError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The header's version byte is not 0, the only version the spec defines.</summary>
    InvalidVersion,

    /// <summary>The header's type byte is not Data, WindowUpdate, Ping or GoAway.</summary>
    InvalidFrameType,

    /// <summary>A stream frame (Data/WindowUpdate) on the session id 0, or a session frame (Ping/GoAway) on a stream id.</summary>
    InvalidStreamId,

    /// <summary>The peer opened a stream with an id of our parity (both ends think they are the client, or the server).</summary>
    WrongStreamIdParity,

    /// <summary>The peer opened a stream whose id is still open.</summary>
    DuplicateStream,

    /// <summary>The peer opened a stream with an id it already used (or one too far below its newest to tell).</summary>
    ReusedStreamId,

    /// <summary>The peer sent more Data bytes than the receive window it was granted.</summary>
    ReceiveWindowExceeded,

    /// <summary>The peer's window updates pushed a send window past 2^32-1 bytes.</summary>
    SendWindowOverflow,

    /// <summary>A Ping frame with neither SYN nor ACK.</summary>
    InvalidPingFlags,
}
