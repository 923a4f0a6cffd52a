using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Libp2p.Network;

/// <summary>
/// The requesting side of <c>/ipfs/kad/1.0.0</c>: one stream per request (libp2p kad-dht spec allows reuse; go and js
/// open one per request too), the request written, one response read within the request timeout, the stream closed.
/// PING is never sent (spec: deprecated).
/// </summary>
internal sealed class KadClient
{
    private readonly MeshHost _host;
    private readonly string[] _protocols;
    private readonly KadDhtOptions _options;

    public KadClient(MeshHost host, KadDhtOptions options)
    {
        _host = host;
        _options = options;
        _protocols = [options.ProtocolId];
    }

    /// <summary>Sends a request and returns the peer's response, which must have the request's type.</summary>
    /// <exception cref="KadProtocolException">The response is malformed, missing or of another type.</exception>
    /// <exception cref="OperationCanceledException">The request timed out or <paramref name="cancellationToken"/> fired.</exception>
    public async ValueTask<KadMessage> SendRequestAsync(PeerId peer, KadMessage request, CancellationToken cancellationToken)
    {
        if (request.Type == KadMessageType.Ping)
        {
            throw new ArgumentException("PING is deprecated: answered, never sent.", nameof(request));
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        MeshStream stream = await _host.OpenStreamAsync(peer, _protocols, timeout.Token).ConfigureAwait(false);
        try
        {
            await KadStreamIO.WriteAsync(stream.Output, request, _options.MaxMessageSize, timeout.Token).ConfigureAwait(false);
            KadMessage? response = await KadStreamIO.ReadAsync(stream.Input, _options.MaxMessageSize, timeout.Token).ConfigureAwait(false);
            if (response is null)
            {
                KadProtocolException.ThrowInvalid($"{peer} closed the stream without answering {request.Type}");
            }
            if (response.Type != request.Type)
            {
                KadProtocolException.ThrowInvalid($"{peer} answered {request.Type} with {response.Type}");
            }
            await stream.DisposeAsync().ConfigureAwait(false);
            return response;
        }
        catch
        {
            stream.Reset();
            throw;
        }
    }

    /// <summary>Sends a message that has no response (ADD_PROVIDER) and closes the stream.</summary>
    public async ValueTask SendMessageAsync(PeerId peer, KadMessage message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        MeshStream stream = await _host.OpenStreamAsync(peer, _protocols, timeout.Token).ConfigureAwait(false);
        try
        {
            await KadStreamIO.WriteAsync(stream.Output, message, _options.MaxMessageSize, timeout.Token).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        catch
        {
            stream.Reset();
            throw;
        }
    }
}
