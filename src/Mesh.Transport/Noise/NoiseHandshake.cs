using System.IO.Pipelines;

namespace Mesh.Transport.Noise;

/// <summary>
/// Runs the noise-libp2p XX handshake on a raw connection and returns the <see cref="NoiseSecureChannel"/> over it.
/// </summary>
public static class NoiseHandshake
{
    /// <summary>
    /// The message sequence of XX with libp2p payloads, independent of how payloads are built and checked:
    /// <code>
    ///   initiator                                      responder
    ///   msg 1  e                       (empty payload)  →   read, payload ignored
    ///   read, acceptPeer(payload, rs)              ←  msg 2  e, ee, s, es  (responder payload)
    ///   msg 3  s, se  (initiator payload)               →   read, acceptPeer(payload, rs)
    /// </code>
    /// <paramref name="buildPayload"/> gets our static X25519 public key (a fresh one per session) and returns the
    /// payload we send; <paramref name="acceptPeer"/> gets the peer's decrypted payload and static key and either
    /// returns what the caller needs to know about the peer or throws. Returns the transport ciphers; the handshake
    /// state (keys, chaining key) is cleared either way.
    /// </summary>
    internal static async ValueTask<(CipherState Send, CipherState Receive, TPeer Peer)> RunAsync<TPeer>(
        IDuplexPipe connection,
        bool isInitiator,
        Func<byte[], byte[]> buildPayload,
        Func<byte[], byte[], TPeer> acceptPeer,
        CancellationToken cancellationToken)
    {
        // noise-libp2p over TCP uses an empty prologue (libp2p-specs.md §2c).
        using var state = new NoiseXXHandshakeState(isInitiator, prologue: []);
        byte[] localPayload = buildPayload(state.LocalStaticPublicKey.ToArray());
        TPeer peer;
        if (isInitiator)
        {
            await NoiseHandshakeIO.WriteMessageAsync(connection.Output, state, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            byte[] remotePayload = await NoiseHandshakeIO.ReadMessageAsync(connection.Input, state, cancellationToken).ConfigureAwait(false);
            peer = acceptPeer(remotePayload, state.RemoteStaticPublicKey.ToArray());
            await NoiseHandshakeIO.WriteMessageAsync(connection.Output, state, localPayload, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // The spec forbids extensions in msg 1 and libp2p initiators send an empty payload; like go-libp2p, a
            // non-empty one is authenticated into h (as Noise requires) and otherwise ignored.
            await NoiseHandshakeIO.ReadMessageAsync(connection.Input, state, cancellationToken).ConfigureAwait(false);
            await NoiseHandshakeIO.WriteMessageAsync(connection.Output, state, localPayload, cancellationToken).ConfigureAwait(false);
            byte[] remotePayload = await NoiseHandshakeIO.ReadMessageAsync(connection.Input, state, cancellationToken).ConfigureAwait(false);
            peer = acceptPeer(remotePayload, state.RemoteStaticPublicKey.ToArray());
        }
        (CipherState send, CipherState receive) = state.Split();
        return (send, receive, peer);
    }
}
