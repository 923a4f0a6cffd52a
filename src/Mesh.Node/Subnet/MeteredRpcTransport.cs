using Mesh.Node.Metrics;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;

namespace Mesh.Node.Subnet;

/// <summary>
/// An <see cref="IRpcTransport"/> that counts RPC streams (<see cref="NodeMetrics.RpcCalls"/>, by direction and
/// protocol id) on the way to the real one. Every RPC of the node (the DHT's and the app protocols') goes through it.
/// </summary>
public sealed class MeteredRpcTransport(IRpcTransport inner, NodeMetrics metrics) : IRpcTransport
{
    private readonly IRpcTransport _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly NodeMetrics _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));

    public PeerId LocalPeer => _inner.LocalPeer;

    public IRpcTransport Inner => _inner;

    public void SetHandler(string protocol, RpcStreamHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var tags = new KeyValuePair<string, object?>[] { new("direction", "inbound"), new("protocol", protocol) };
        _inner.SetHandler(protocol, (stream, cancellationToken) =>
        {
            _metrics.RpcCalls.Add(1, tags);
            return handler(stream, cancellationToken);
        });
    }

    public bool RemoveHandler(string protocol) => _inner.RemoveHandler(protocol);

    public ValueTask<IRpcStream> OpenStreamAsync(PeerId peer, string protocol, CancellationToken cancellationToken)
    {
        _metrics.RpcCalls.Add(1, new KeyValuePair<string, object?>("direction", "outbound"), new KeyValuePair<string, object?>("protocol", protocol));
        return _inner.OpenStreamAsync(peer, protocol, cancellationToken);
    }
}
