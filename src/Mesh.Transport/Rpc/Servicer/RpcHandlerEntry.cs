using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Rpc.Servicer;

/// <summary>What every registered handler shares with its servicer.</summary>
internal sealed record ServicerEnvironment(RpcOptions Options, ILogger Logger, PeerId LocalPeer);

/// <summary>One registered handler: serves the inbound streams of its protocol id.</summary>
internal abstract class RpcHandlerEntry(string protocol, RpcMethodType type, ServicerEnvironment environment)
{
    public string Protocol { get; } = protocol;

    public RpcMethodType Type { get; } = type;

    protected ServicerEnvironment Environment { get; } = environment;

    /// <summary>Serves one stream and leaves it closed or reset; never throws (the endpoint would only log it).</summary>
    public abstract Task HandleAsync(IRpcStream stream, CancellationToken endpointToken);
}
