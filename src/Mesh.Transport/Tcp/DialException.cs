namespace Mesh.Transport;

/// <summary>Why a dial did not produce a connection.</summary>
public enum DialFailure
{
    /// <summary>The remote refused the TCP connection (nothing listening).</summary>
    Refused,

    /// <summary>No answer within the dial or handshake timeout.</summary>
    TimedOut,

    /// <summary>No route to the host or network.</summary>
    Unreachable,

    /// <summary>The address cannot be dialed by any configured transport.</summary>
    UnsupportedAddress,

    /// <summary>The connection was established but the security or muxer upgrade failed.</summary>
    HandshakeFailed,

    /// <summary>The peer proved a different identity than the one in the address's /p2p component.</summary>
    PeerIdMismatch,

    /// <summary>A local connection limit refused the dial.</summary>
    LimitExceeded,

    /// <summary>The peer has no known addresses to dial.</summary>
    NoAddresses,

    /// <summary>Any other I/O failure.</summary>
    Other,
}

/// <summary>
/// A dial failed. <see cref="Reason"/> says why in a form a CLI or a retry policy can act on; the message names the
/// address; <see cref="Exception.InnerException"/> keeps the low-level cause.
/// </summary>
public sealed class DialException : IOException
{
    public DialException(DialFailure reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    public DialFailure Reason { get; }
}
