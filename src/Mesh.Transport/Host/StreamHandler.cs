namespace Mesh.Transport.Host;

/// <summary>
/// Serves one inbound stream whose protocol was negotiated. The host owns the stream around the call: when the handler
/// returns, the stream is closed gracefully (write side FIN, read side released); when it throws, the stream alone is
/// reset and the exception is logged. <paramref name="cancellationToken"/> fires when the host stops or the connection
/// ends.
/// </summary>
public delegate Task StreamHandler(MeshStream stream, CancellationToken cancellationToken);

/// <summary>Per-protocol limits, given with <see cref="MeshHost.SetHandler"/>.</summary>
public sealed record StreamHandlerOptions
{
    /// <summary>Inbound streams of this protocol open at once per connection; null: <see cref="HostOptions.DefaultMaxInboundStreamsPerProtocol"/>.</summary>
    public int? MaxInboundStreamsPerConnection { get; init; }

    /// <summary>Outbound streams of this protocol open at once per connection; null: <see cref="HostOptions.DefaultMaxOutboundStreamsPerProtocol"/>.</summary>
    public int? MaxOutboundStreamsPerConnection { get; init; }
}
