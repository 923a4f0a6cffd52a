using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Host;

internal static partial class HostLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Host {PeerId} listening on {Address}")]
    public static partial void Listening(ILogger logger, string peerId, string address);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "Connected to {PeerId} ({Direction}, {RemoteAddress}, muxer {Muxer})")]
    public static partial void Connected(ILogger logger, string peerId, ConnectionDirection direction, string remoteAddress, string muxer);

    [LoggerMessage(EventId = 202, Level = LogLevel.Debug, Message = "Disconnected from {PeerId} ({Direction}): {Reason}")]
    public static partial void Disconnected(ILogger logger, string peerId, ConnectionDirection direction, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "{Direction} handshake with {RemoteEndPoint} failed at {Stage} ({Reason}): {Message}")]
    public static partial void HandshakeFailed(ILogger logger, ConnectionDirection direction, string remoteEndPoint, HandshakeStage stage, HandshakeFailure reason, string message);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Inbound connection from {RemoteEndPoint} refused: {Reason}")]
    public static partial void InboundRefused(ILogger logger, string remoteEndPoint, string reason);

    [LoggerMessage(EventId = 205, Level = LogLevel.Debug, Message = "Duplicate connection to {PeerId} resolved: keeping the {Kept} one, closing the {Closed} one")]
    public static partial void DuplicateResolved(ILogger logger, string peerId, ConnectionDirection kept, ConnectionDirection closed);

    [LoggerMessage(EventId = 206, Level = LogLevel.Debug, Message = "Inbound stream from {PeerId} reset: {Reason}")]
    public static partial void InboundStreamRefused(ILogger logger, string peerId, string reason);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Handler for {Protocol} failed on a stream from {PeerId}; stream reset")]
    public static partial void HandlerFailed(ILogger logger, string protocol, string peerId, Exception exception);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "A connection event subscriber threw")]
    public static partial void EventSubscriberFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 209, Level = LogLevel.Debug, Message = "Dial {Address} failed: {Message}")]
    public static partial void DialFailed(ILogger logger, string address, string message);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Host {PeerId} stopping: {Connections} connections, draining for up to {Seconds} s")]
    public static partial void Stopping(ILogger logger, string peerId, int connections, double seconds);

    [LoggerMessage(EventId = 211, Level = LogLevel.Error, Message = "Accept loop on {Address} failed")]
    public static partial void AcceptLoopFailed(ILogger logger, string address, Exception exception);

    [LoggerMessage(EventId = 212, Level = LogLevel.Debug, Message = "Identify with {PeerId} failed: {Message}")]
    public static partial void IdentifyFailed(ILogger logger, string peerId, string message);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "Identify from {PeerId}: {Problem}; ignored")]
    public static partial void IdentifyRejectedField(ILogger logger, string peerId, string problem);

    [LoggerMessage(EventId = 214, Level = LogLevel.Debug, Message = "Identify push to {PeerId} failed: {Message}")]
    public static partial void IdentifyPushFailed(ILogger logger, string peerId, string message);
}
