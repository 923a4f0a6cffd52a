using System.Collections.Immutable;
using System.IO.Pipelines;
using Mesh.Multistream;
using Mesh.Transport.Noise;

namespace Mesh.Transport.Host;

/// <summary>
/// The host's use of multistream-select (Mesh.Multistream): which negotiation runs where. Kept in one place so the
/// connection and stream code reads as "select / respond", not as wire details.
/// </summary>
internal static class ProtocolNegotiation
{
    /// <summary>
    /// Initiator side. One protocol: lazy (header + proposal are written but not flushed; the caller's first flush
    /// carries them with its first message, and the answer is checked on the first read). Several: one round trip per
    /// proposal until the peer accepts one.
    /// </summary>
    public static async ValueTask<(string Protocol, IDuplexPipe Pipe)> SelectAsync(IDuplexPipe pipe, IReadOnlyList<string> protocols, CancellationToken cancellationToken)
    {
        if (protocols.Count == 1)
        {
            IDuplexPipe lazy = await SelectLazyAsync(pipe, protocols[0], cancellationToken).ConfigureAwait(false);
            return (protocols[0], lazy);
        }
        string selected = await MultistreamSelect.SelectAsync(pipe, protocols, cancellationToken).ConfigureAwait(false);
        return (selected, pipe);
    }

    /// <summary>Lazy initiator for a single protocol (see <see cref="SelectAsync"/>).</summary>
    public static ValueTask<IDuplexPipe> SelectLazyAsync(IDuplexPipe pipe, string protocol, CancellationToken cancellationToken) =>
        MultistreamSelect.SelectLazyAsync(pipe, protocol, cancellationToken);

    /// <summary>Responder side for one supported protocol; null when the initiator gave up or closed.</summary>
    public static ValueTask<string?> RespondAsync(IDuplexPipe pipe, string protocol, CancellationToken cancellationToken) =>
        MultistreamSelect.RespondAsync(pipe, [protocol], cancellationToken);

    /// <summary>Responder side against the host's handler table; null when the initiator gave up or closed.</summary>
    public static ValueTask<string?> RespondAsync(IDuplexPipe pipe, ImmutableDictionary<string, HandlerRegistration> handlers, CancellationToken cancellationToken) =>
        MultistreamSelect.RespondAsync(pipe, handlers.Keys, cancellationToken);

    /// <summary>True when a Noise failure means "not who they claim to be" rather than "malformed bytes".</summary>
    public static bool IsAuthenticationFailure(NoiseException exception) =>
        exception.Error is NoiseError.InvalidSignature or NoiseError.PeerIdMismatch or NoiseError.InvalidIdentityKey;
}
