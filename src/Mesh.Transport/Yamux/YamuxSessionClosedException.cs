using Mesh.Transport.Muxing;

namespace Mesh.Transport.Yamux;

/// <summary>
/// The yamux session is closing or has ended. Thrown by open, accept and ping, and by stream directions that were still
/// open when the session ended; the session's <see cref="YamuxSession.Completion"/> faults with it when the end was
/// an error other than a local protocol violation (which faults with <see cref="YamuxProtocolException"/>).
/// </summary>
public sealed class YamuxSessionClosedException : MuxedConnectionClosedException
{
    public YamuxSessionClosedException(YamuxSessionEndReason reason, string message, Exception? innerException = null, YamuxGoAwayCode? remoteGoAwayCode = null)
        : base(message, innerException)
    {
        Reason = reason;
        RemoteGoAwayCode = remoteGoAwayCode;
    }

    /// <summary>Why the session ended, or <see cref="YamuxSessionEndReason.None"/> if it is closing but not yet ended.</summary>
    public YamuxSessionEndReason Reason { get; }

    /// <summary>The code of the GoAway the peer sent, if it sent one.</summary>
    public YamuxGoAwayCode? RemoteGoAwayCode { get; }
}
