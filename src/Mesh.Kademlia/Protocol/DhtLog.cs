using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Kademlia.Protocol;

internal static partial class DhtLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "DHT call {Method} to {Peer} failed: {Reason}")]
    public static partial void CallFailed(ILogger logger, string method, PeerId peer, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Refused a store of key {Key} from {Peer}: {Reason}")]
    public static partial void StoreRefused(ILogger logger, string key, PeerId peer, DhtStoreOutcome reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Malformed {Method} request from {Peer}: {Reason}")]
    public static partial void MalformedRequest(ILogger logger, string method, PeerId peer, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Ignored part of a reply from {Peer}: {Reason}")]
    public static partial void BadReplyPart(ILogger logger, PeerId peer, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Ping validation of {Peer} failed: {Reason}")]
    public static partial void PingValidationFailed(ILogger logger, PeerId peer, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Routing update dropped: the routing queue is full")]
    public static partial void RoutingQueueFull(ILogger logger);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Background DHT call skipped: {Count} already in flight")]
    public static partial void BackgroundCallSkipped(ILogger logger, int count);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "DHT background work failed")]
    public static partial void BackgroundFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Handing {Count} keys to newly met node {Peer}")]
    public static partial void Replicating(ILogger logger, int count, PeerId peer);
}
