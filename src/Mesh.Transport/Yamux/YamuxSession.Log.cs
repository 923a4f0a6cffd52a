using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Yamux;

public sealed partial class YamuxSession
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "yamux session ({Role}) ended: {Reason}")]
        public static partial void SessionEnded(ILogger logger, string role, YamuxSessionEndReason reason, Exception? exception);

        [LoggerMessage(2, LogLevel.Warning, "yamux protocol error from the peer ({Error}): {Detail}; sending GoAway(protocol error)")]
        public static partial void ProtocolViolation(ILogger logger, YamuxError error, string detail);

        [LoggerMessage(3, LogLevel.Debug, "yamux inbound stream {StreamId} refused with RST: {Reason}")]
        public static partial void StreamRefused(ILogger logger, uint streamId, string reason);

        [LoggerMessage(4, LogLevel.Debug, "yamux peer sent GoAway({Code})")]
        public static partial void RemoteGoAway(ILogger logger, YamuxGoAwayCode code);

        [LoggerMessage(5, LogLevel.Warning, "yamux keep-alive timeout: nothing received for {Idle}")]
        public static partial void KeepAliveTimeout(ILogger logger, TimeSpan idle);

        [LoggerMessage(6, LogLevel.Warning, "yamux output queue overflow ({Limit} control frames pending): the peer is not reading")]
        public static partial void OutputQueueOverflow(ILogger logger, int limit);

        [LoggerMessage(7, LogLevel.Debug, "yamux pong {Opaque} matches no ping in flight; ignored")]
        public static partial void UnexpectedPong(ILogger logger, uint opaque);

        [LoggerMessage(8, LogLevel.Trace, "yamux recv {Type} {Flags} stream={StreamId} length={Length}", SkipEnabledCheck = true)]
        public static partial void FrameReceived(ILogger logger, YamuxFrameType type, YamuxFlags flags, uint streamId, uint length);

        [LoggerMessage(9, LogLevel.Trace, "yamux send {Type} {Flags} stream={StreamId} length={Length}", SkipEnabledCheck = true)]
        public static partial void FrameSent(ILogger logger, YamuxFrameType type, YamuxFlags flags, uint streamId, uint length);
    }
}
