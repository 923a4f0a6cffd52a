using Microsoft.Extensions.Logging;

namespace Mesh.Kademlia.Libp2p;

internal static partial class KadLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Kad DHT ({Protocol}, {Mode}) started on {PeerId}")]
    public static partial void Started(ILogger logger, string protocol, KadDhtMode mode, string peerId);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Kad request from {PeerId} rejected, stream reset: {Reason}")]
    public static partial void InboundRejected(ILogger logger, string peerId, string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Kad {Type} to {PeerId} failed: {Reason}")]
    public static partial void RequestFailed(ILogger logger, string type, string peerId, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "Routing table: {Outcome} {PeerId} ({Count} peers)")]
    public static partial void RoutingChanged(ILogger logger, string outcome, string peerId, int count);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "PUT_VALUE for {Key} from {PeerId} refused: {Result} ({Reason})")]
    public static partial void PutRefused(ILogger logger, string key, string peerId, string result, string? reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Debug, Message = "ADD_PROVIDER from {PeerId}: ignored an entry for {Provider} (only the sender may announce itself)")]
    public static partial void ForeignProviderIgnored(ILogger logger, string peerId, string provider);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Debug, Message = "Value from {PeerId} for {Key} rejected: {Reason}")]
    public static partial void ReceivedValueRejected(ILogger logger, string peerId, string key, string? reason);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Debug, Message = "Routing table refresh: {Lookups} lookups, {Count} peers")]
    public static partial void Refreshed(ILogger logger, int lookups, int count);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "Kad maintenance task failed")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Debug, Message = "Bootstrap peer {Address} unusable: {Reason}")]
    public static partial void BootstrapPeerFailed(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Information, Message = "Routing table low ({Before} peers): refilled to {After} from connected peers{Rejoined}")]
    public static partial void RefilledLowTable(ILogger logger, int before, int after, string rejoined);
}
