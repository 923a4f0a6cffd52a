using Microsoft.Extensions.Logging;

namespace Mesh.Kademlia.Node;

internal static partial class DhtNodeLog
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "{Message}")]
    public static partial void BootstrapFailed(ILogger logger, string message);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "A value found under key {Key} is not valid msgpack; ignored")]
    public static partial void UndecodableValue(ILogger logger, string key);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Cache refresh failed")]
    public static partial void CacheRefreshFailed(ILogger logger, Exception exception);
}
