using System.Collections.Immutable;
using System.IO.Pipelines;
using Mesh.Multistream;
using Mesh.Transport.Noise;

namespace Mesh.Transport.Host;

/// <summary>
/// The host's use of multistream-select (<see cref="MultistreamSelect"/>): which negotiation runs where. Kept in one
/// place so the connection and stream code reads as "select / respond", not as wire details.
/// </summary>
internal static class ProtocolNegotiation
{
    /// <summary>
    /// Initiator side of a stream. One protocol: lazy (the proposal leaves with the caller's first data, saving a round
    /// trip; a refusal surfaces on the first read) behind a <see cref="LazyStreamPipe"/> that holds back the FIN until
    /// the answer arrived. Several: one round trip per proposal until the peer accepts one.
    /// </summary>
    public static async ValueTask<(string Protocol, IDuplexPipe Pipe)> SelectAsync(IDuplexPipe pipe, IReadOnlyList<string> protocols, CancellationToken cancellationToken)
    {
        if (protocols.Count == 1)
        {
            return (protocols[0], new LazyStreamPipe(MultistreamSelect.SelectLazy(pipe, protocols[0])));
        }
        string selected = await MultistreamSelect.SelectAsync(pipe, protocols, cancellationToken).ConfigureAwait(false);
        return (selected, pipe);
    }

    /// <summary>
    /// Lazy initiator for the security protocol: header and proposal sit unflushed in the raw output, so the Noise
    /// initiator's first flush sends header, proposal and Noise message 1 in one packet.
    /// </summary>
    public static IDuplexPipe SelectLazy(IDuplexPipe pipe, string protocol) => MultistreamSelect.SelectLazy(pipe, protocol);

    /// <summary>Responder side for one supported protocol.</summary>
    /// <exception cref="MultistreamException">The initiator proposed something else, misbehaved, or left.</exception>
    public static ValueTask<string> RespondAsync(IDuplexPipe pipe, string protocol, CancellationToken cancellationToken) =>
        MultistreamSelect.HandleAsync(pipe, [protocol], cancellationToken);

    /// <summary>Responder side against the host's handler table (also answers <c>ls</c> with it).</summary>
    public static ValueTask<string> RespondAsync(IDuplexPipe pipe, ImmutableDictionary<string, HandlerRegistration> handlers, CancellationToken cancellationToken) =>
        MultistreamSelect.HandleAsync(pipe, handlers.ContainsKey, handlers.Keys, MultistreamSelect.DefaultMaxAttempts, cancellationToken);

    /// <summary>True when a Noise failure means "not who they claim to be" rather than "malformed bytes".</summary>
    public static bool IsAuthenticationFailure(NoiseException exception) =>
        exception is PeerIdMismatchException || exception.Error is NoiseError.InvalidSignature or NoiseError.PeerIdMismatch or NoiseError.InvalidIdentityKey;
}
