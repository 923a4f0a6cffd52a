using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Rpc;

/// <summary>The RPC layer's log messages (source-generated).</summary>
internal static partial class RpcLog
{
    [LoggerMessage(1, LogLevel.Debug, "RPC {Protocol} from {Peer}: the caller sent a malformed or oversized envelope ({Error}, {Declared} bytes declared); stream reset")]
    public static partial void BadRequestEnvelope(ILogger logger, string protocol, PeerId peer, Unary.UnaryEnvelopeError error, long declared);

    [LoggerMessage(2, LogLevel.Debug, "RPC {Protocol} from {Peer}: dropped without reply ({Reason})")]
    public static partial void Dropped(ILogger logger, string protocol, PeerId peer, string reason);

    [LoggerMessage(3, LogLevel.Debug, "RPC {Protocol} from {Peer}: request rejected by the authorizer ({Failure}: {Detail})")]
    public static partial void RequestRejected(ILogger logger, string protocol, PeerId peer, Auth.RpcAuthFailure failure, string? detail);

    [LoggerMessage(4, LogLevel.Warning, "RPC {Protocol} from {Peer}: the handler failed; replying with an error")]
    public static partial void HandlerFailed(ILogger logger, string protocol, PeerId peer, Exception exception);

    [LoggerMessage(5, LogLevel.Debug, "RPC {Protocol} from {Peer}: the caller went away (reset, end of input or stray bytes); handler cancelled, reply dropped")]
    public static partial void CallerGone(ILogger logger, string protocol, PeerId peer);

    [LoggerMessage(6, LogLevel.Debug, "RPC {Protocol} from {Peer}: the stream failed while replying")]
    public static partial void ReplyFailed(ILogger logger, string protocol, PeerId peer, Exception exception);

    [LoggerMessage(7, LogLevel.Debug, "RPC {Protocol} from {Peer}: the request stream broke the framing ({Reason}); handler cancelled, stream reset")]
    public static partial void BadRequestStream(ILogger logger, string protocol, PeerId peer, string reason);

    [LoggerMessage(8, LogLevel.Debug, "RPC {Protocol} from {Peer}: response of {Size} bytes exceeds the {Limit}-byte message size limit; replying with an error")]
    public static partial void ResponseTooLarge(ILogger logger, string protocol, PeerId peer, long size, int limit);
}
