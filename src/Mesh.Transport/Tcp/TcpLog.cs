using System.Net;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Tcp;

internal static partial class TcpLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "TCP connection to {RemoteEndPoint} reset: {Reason}")]
    public static partial void ConnectionReset(ILogger logger, IPEndPoint remoteEndPoint, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "TCP connection to {RemoteEndPoint}: graceful close timed out, aborting")]
    public static partial void CloseTimedOut(ILogger logger, IPEndPoint remoteEndPoint);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "TCP connection to {RemoteEndPoint}: I/O loop faulted")]
    public static partial void LoopFaulted(ILogger logger, IPEndPoint remoteEndPoint, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Listening on TCP {EndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "TCP accept on {EndPoint} failed: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, string reason);
}
