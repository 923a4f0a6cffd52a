using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Noise;

/// <summary>Source-generated log lines of the Noise handshake and secure channel (event ids 2100-2199).</summary>
internal static partial class NoiseLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Debug, Message = "Noise handshake as {Role} with {RemotePeer} completed; inlined muxer: {Muxer}")]
    public static partial void HandshakeCompleted(this ILogger logger, string role, PeerId remotePeer, string? muxer);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Noise handshake as {Role} failed ({Error}): {Reason}")]
    public static partial void HandshakeFailed(this ILogger logger, string role, NoiseError error, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, Message = "Noise handshake as {Role} aborted")]
    public static partial void HandshakeAborted(this ILogger logger, string role, Exception exception);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Noise channel with {RemotePeer} failed ({Error}): {Reason}")]
    public static partial void ChannelProtocolError(this ILogger logger, PeerId remotePeer, NoiseError error, string reason);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Debug, Message = "Noise channel with {RemotePeer} ended by an error")]
    public static partial void ChannelError(this ILogger logger, PeerId remotePeer, Exception exception);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Trace, Message = "Noise channel with {RemotePeer}: peer closed its sending direction")]
    public static partial void RemoteClosed(this ILogger logger, PeerId remotePeer);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Trace, Message = "Noise channel with {RemotePeer}: local sending direction closed")]
    public static partial void LocalClosed(this ILogger logger, PeerId remotePeer);
}
