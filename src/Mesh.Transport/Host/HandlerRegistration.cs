namespace Mesh.Transport.Host;

/// <summary>A registered protocol handler with its resolved limits (immutable; the host swaps whole tables).</summary>
internal sealed record HandlerRegistration(StreamHandler Handler, int MaxInbound, int MaxOutbound);
