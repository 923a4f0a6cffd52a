namespace Mesh.Transport.Noise;

/// <summary>
/// Inlined stream-muxer negotiation over Noise (libp2p/specs connections/inlined-muxer-negotiation.md): the responder
/// lists its muxers in msg 2, the initiator in msg 3, and the muxer is "the first item from the initiator's list that
/// both parties support". Both sides run the same rule on the same two lists, so they agree without another message.
/// </summary>
internal static class NoiseMuxerNegotiation
{
    /// <summary>
    /// The agreed muxer, or null when either list is empty (that side did not take part: the host falls back to
    /// multistream-select after the handshake). Both lists non-empty without a common entry is a handshake failure
    /// (<see cref="NoiseError.NoCommonMuxer"/>), as the spec requires.
    /// </summary>
    public static string? Select(IReadOnlyList<string> initiatorMuxers, IReadOnlyList<string> responderMuxers)
    {
        if (initiatorMuxers.Count == 0 || responderMuxers.Count == 0)
        {
            return null;
        }
        foreach (string candidate in initiatorMuxers)
        {
            for (int i = 0; i < responderMuxers.Count; i++)
            {
                if (string.Equals(candidate, responderMuxers[i], StringComparison.Ordinal))
                {
                    return candidate;
                }
            }
        }
        NoiseThrow.Handshake(
            NoiseError.NoCommonMuxer,
            $"Inlined muxer negotiation failed: the initiator offered [{string.Join(", ", initiatorMuxers)}], the responder [{string.Join(", ", responderMuxers)}].");
        return null;
    }
}
