namespace Mesh.Transport.Host;

/// <summary>Where in the connection upgrade a handshake was (TCP → mss /noise → Noise → muxer selection → muxer).</summary>
public enum HandshakeStage
{
    /// <summary>multistream-select of the security protocol (<c>/noise</c>).</summary>
    SecurityNegotiation,

    /// <summary>The Noise XX handshake, including the identity proof and inlined muxer negotiation.</summary>
    Security,

    /// <summary>multistream-select of the muxer (<c>/yamux/1.0.0</c>) when Noise did not agree on one.</summary>
    MuxerNegotiation,

    /// <summary>Starting the muxer.</summary>
    Muxer,
}

/// <summary>Why a handshake failed.</summary>
public enum HandshakeFailure
{
    /// <summary>The stage did not finish within <see cref="HostOptions.HandshakeTimeout"/> (a stalled or slow peer).</summary>
    TimedOut,

    /// <summary>The peer does not speak a protocol we offered (multistream-select <c>na</c>, no common muxer).</summary>
    NoCommonProtocol,

    /// <summary>The peer sent bytes that break the protocol (garbage, oversized frame, bad message).</summary>
    ProtocolViolation,

    /// <summary>The peer's identity proof failed (bad signature, key does not match) or it is not the expected peer.</summary>
    AuthenticationFailed,

    /// <summary>The connection closed or reset mid-handshake.</summary>
    ConnectionClosed,
}

/// <summary>
/// A connection upgrade failed. The host logs it and closes that connection only; dials surface it as the inner
/// exception of a <see cref="DialException"/>.
/// </summary>
public sealed class HandshakeException : IOException
{
    public HandshakeException(HandshakeStage stage, HandshakeFailure reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Stage = stage;
        Reason = reason;
    }

    public HandshakeStage Stage { get; }

    public HandshakeFailure Reason { get; }
}
