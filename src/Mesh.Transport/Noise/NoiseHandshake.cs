using System.IO.Pipelines;
using System.Text;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Noise;

/// <summary>
/// Runs the noise-libp2p handshake (libp2p/specs noise/README.md: Noise_XX_25519_ChaChaPoly_SHA256, empty prologue,
/// libp2p payloads in msgs 2 and 3, inlined muxer negotiation) on a raw connection and returns the
/// <see cref="NoiseSecureChannel"/> over it. The static X25519 key is a <see cref="NoiseStaticKey"/>: a host passes the
/// one it keeps for its lifetime; the overloads that take a bare identity key make a fresh one per session.
/// </summary>
/// <remarks>
/// The handshake reads the raw <see cref="IDuplexPipe.Input"/> only up to the end of its last message, so bytes the
/// peer sent right behind it belong to the channel. On failure (a <see cref="NoiseException"/> for anything the peer
/// did, <see cref="OperationCanceledException"/> when <c>cancellationToken</c> fires, e.g. the host's handshake
/// timeout) both directions of <c>connection</c> are completed with the error and the error is rethrown; a log line
/// says why. On success the channel owns <c>connection</c>.
/// </remarks>
public static class NoiseHandshake
{
    /// <summary>
    /// Dialer side. Verifies that the remote authenticates as <paramref name="expectedRemotePeer"/> (when given) and
    /// offers <paramref name="supportedMuxers"/> (in order of preference; empty to skip inlined muxer negotiation).
    /// </summary>
    /// <exception cref="PeerIdMismatchException">The remote is a different peer than <paramref name="expectedRemotePeer"/>.</exception>
    /// <exception cref="NoiseHandshakeException">The handshake failed; <see cref="NoiseException.Error"/> says why.</exception>
    public static ValueTask<NoiseSecureChannel> InitiateAsync(
        IDuplexPipe connection,
        PrivateKey localIdentity,
        PeerId? expectedRemotePeer,
        IReadOnlyList<string> supportedMuxers,
        ILogger logger,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(localIdentity);
        ValidateExpectedPeer(expectedRemotePeer);
        return OneSessionAsync(connection, NoiseStaticKey.Generate(localIdentity), isInitiator: true, expectedRemotePeer, supportedMuxers, logger, cancellationToken);
    }

    /// <summary>Dialer side with a static key kept across handshakes (see <see cref="NoiseStaticKey"/>).</summary>
    /// <exception cref="PeerIdMismatchException">The remote is a different peer than <paramref name="expectedRemotePeer"/>.</exception>
    /// <exception cref="NoiseHandshakeException">The handshake failed; <see cref="NoiseException.Error"/> says why.</exception>
    public static ValueTask<NoiseSecureChannel> InitiateAsync(
        IDuplexPipe connection,
        NoiseStaticKey localKey,
        PeerId? expectedRemotePeer,
        IReadOnlyList<string> supportedMuxers,
        ILogger logger,
        CancellationToken cancellationToken = default)
    {
        ValidateExpectedPeer(expectedRemotePeer);
        return HandshakeAsync(connection, localKey, isInitiator: true, expectedRemotePeer, supportedMuxers, logger, cancellationToken);
    }

    /// <summary>Listener side: accepts any peer that authenticates, offering <paramref name="supportedMuxers"/> in msg 2.</summary>
    /// <exception cref="NoiseHandshakeException">The handshake failed; <see cref="NoiseException.Error"/> says why.</exception>
    public static ValueTask<NoiseSecureChannel> RespondAsync(
        IDuplexPipe connection,
        PrivateKey localIdentity,
        IReadOnlyList<string> supportedMuxers,
        ILogger logger,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(localIdentity);
        return OneSessionAsync(connection, NoiseStaticKey.Generate(localIdentity), isInitiator: false, expectedRemotePeer: null, supportedMuxers, logger, cancellationToken);
    }

    /// <summary>Listener side with a static key kept across handshakes (see <see cref="NoiseStaticKey"/>).</summary>
    /// <exception cref="NoiseHandshakeException">The handshake failed; <see cref="NoiseException.Error"/> says why.</exception>
    public static ValueTask<NoiseSecureChannel> RespondAsync(
        IDuplexPipe connection,
        NoiseStaticKey localKey,
        IReadOnlyList<string> supportedMuxers,
        ILogger logger,
        CancellationToken cancellationToken = default) =>
        HandshakeAsync(connection, localKey, isInitiator: false, expectedRemotePeer: null, supportedMuxers, logger, cancellationToken);

    private static void ValidateExpectedPeer(PeerId? expectedRemotePeer)
    {
        if (expectedRemotePeer is { IsEmpty: true })
        {
            throw new ArgumentException("The expected remote peer is the empty PeerId; pass null to accept any peer.", nameof(expectedRemotePeer));
        }
    }

    /// <summary>A handshake with a static key made for it alone, cleared when it ends.</summary>
    private static async ValueTask<NoiseSecureChannel> OneSessionAsync(
        IDuplexPipe connection,
        NoiseStaticKey sessionKey,
        bool isInitiator,
        PeerId? expectedRemotePeer,
        IReadOnlyList<string> supportedMuxers,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        using (sessionKey)
        {
            return await HandshakeAsync(connection, sessionKey, isInitiator, expectedRemotePeer, supportedMuxers, logger, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask<NoiseSecureChannel> HandshakeAsync(
        IDuplexPipe connection,
        NoiseStaticKey localKey,
        bool isInitiator,
        PeerId? expectedRemotePeer,
        IReadOnlyList<string> supportedMuxers,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(localKey);
        ArgumentNullException.ThrowIfNull(logger);
        ValidateMuxers(supportedMuxers);
        string role = isInitiator ? "initiator" : "responder";
        try
        {
            (CipherState send, CipherState receive, RemotePeerInfo remote) = await RunAsync(
                connection,
                isInitiator,
                _ => BuildPayload(localKey, supportedMuxers),
                (payload, remoteStaticKey) => AcceptPeer(payload, remoteStaticKey, isInitiator, expectedRemotePeer, supportedMuxers),
                cancellationToken,
                localKey).ConfigureAwait(false);
            logger.HandshakeCompleted(role, remote.PublicKey.PeerId, remote.Muxer);
            return new NoiseSecureChannel(connection, send, receive, isInitiator, remote.PublicKey, remote.Muxer, logger);
        }
        catch (NoiseException ex)
        {
            logger.HandshakeFailed(role, ex.Error, ex.Message);
            await AbortConnectionAsync(connection, ex).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            logger.HandshakeAborted(role, ex);
            await AbortConnectionAsync(connection, ex).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Our payload: identity key, signature over "noise-libp2p-static-key:" ‖ static key, and our muxers (omitted
    /// when we have none).
    /// </summary>
    private static byte[] BuildPayload(NoiseStaticKey localKey, IReadOnlyList<string> supportedMuxers)
    {
        var payload = new NoiseHandshakePayload
        {
            IdentityKey = localKey.Identity.PublicKey.ToProtobuf(),
            IdentitySignature = localKey.IdentitySignature,
            Extensions = supportedMuxers.Count > 0 ? new NoiseExtensions { StreamMuxers = supportedMuxers } : null,
        };
        return NoisePayloadCodec.Encode(payload);
    }

    /// <summary>
    /// Checks the peer's payload against its static key (libp2p/specs noise/README.md, "Static Key Authentication"):
    /// decode, identity key, signature, expected peer id, then the muxer rule.
    /// </summary>
    private static RemotePeerInfo AcceptPeer(byte[] payloadBytes, byte[] remoteStaticKey, bool isInitiator, PeerId? expectedRemotePeer, IReadOnlyList<string> localMuxers)
    {
        NoiseHandshakePayload payload = NoisePayloadCodec.Decode(payloadBytes);
        if (payload.IdentityKey.IsEmpty)
        {
            NoiseThrow.Handshake(NoiseError.InvalidIdentityKey, "The peer's handshake payload carries no identity key.");
        }
        if (!PublicKey.TryFromProtobuf(payload.IdentityKey.Span, out PublicKey? key, out KeyFormatError keyError))
        {
            NoiseThrow.Handshake(NoiseError.InvalidIdentityKey, $"The peer's identity key is not a valid libp2p public key ({keyError}).");
        }
        if (payload.IdentitySignature.IsEmpty || !key.Verify(NoiseStaticKey.SignedData(remoteStaticKey), payload.IdentitySignature.Span))
        {
            NoiseThrow.Handshake(NoiseError.InvalidSignature, $"The identity signature of {key.PeerId} over its static Noise key does not verify.");
        }
        PeerId peer = key.PeerId;
        if (expectedRemotePeer is { } expected && expected != peer)
        {
            throw new PeerIdMismatchException(expected, peer);
        }
        IReadOnlyList<string> remoteMuxers = payload.Extensions?.StreamMuxers ?? [];
        string? muxer = isInitiator
            ? NoiseMuxerNegotiation.Select(localMuxers, remoteMuxers)
            : NoiseMuxerNegotiation.Select(remoteMuxers, localMuxers);
        return new RemotePeerInfo(key, muxer);
    }

    private static void ValidateMuxers(IReadOnlyList<string> supportedMuxers)
    {
        ArgumentNullException.ThrowIfNull(supportedMuxers);
        // Whatever we offer must pass the peer's payload limits (ours mirror js-libp2p's).
        if (supportedMuxers.Count > NoisePayloadCodec.MaxStreamMuxers)
        {
            throw new ArgumentException($"At most {NoisePayloadCodec.MaxStreamMuxers} muxers can be offered.", nameof(supportedMuxers));
        }
        foreach (string muxer in supportedMuxers)
        {
            if (string.IsNullOrEmpty(muxer) || Encoding.UTF8.GetByteCount(muxer) > NoisePayloadCodec.MaxStreamMuxerLength)
            {
                throw new ArgumentException($"Muxer protocol ids must be 1 to {NoisePayloadCodec.MaxStreamMuxerLength} bytes.", nameof(supportedMuxers));
            }
        }
    }

    private static async ValueTask AbortConnectionAsync(IDuplexPipe connection, Exception error)
    {
        await connection.Input.CompleteAsync(error).ConfigureAwait(false);
        await connection.Output.CompleteAsync(error).ConfigureAwait(false);
    }

    private sealed record RemotePeerInfo(PublicKey PublicKey, string? Muxer);

    /// <summary>
    /// The message sequence of XX with libp2p payloads, independent of how payloads are built and checked:
    /// <code>
    ///   initiator                                      responder
    ///   msg 1  e                       (empty payload)  →   read, payload ignored
    ///   read, acceptPeer(payload, rs)              ←  msg 2  e, ee, s, es  (responder payload)
    ///   msg 3  s, se  (initiator payload)               →   read, acceptPeer(payload, rs)
    /// </code>
    /// <paramref name="buildPayload"/> gets our static X25519 public key (<paramref name="staticKey"/>'s, or a fresh one
    /// for this session when it is null) and returns the payload we send; <paramref name="acceptPeer"/> gets the peer's
    /// decrypted payload and static key and either returns what the caller needs to know about the peer or throws.
    /// Returns the transport ciphers; the handshake state (keys, chaining key) is cleared either way.
    /// </summary>
    internal static async ValueTask<(CipherState Send, CipherState Receive, TPeer Peer)> RunAsync<TPeer>(
        IDuplexPipe connection,
        bool isInitiator,
        Func<byte[], byte[]> buildPayload,
        Func<byte[], byte[], TPeer> acceptPeer,
        CancellationToken cancellationToken,
        NoiseStaticKey? staticKey = null)
    {
        // noise-libp2p over TCP uses an empty prologue (libp2p-specs.md §2c).
        using var state = staticKey is null ? new NoiseXXHandshakeState(isInitiator, prologue: []) : new NoiseXXHandshakeState(isInitiator, prologue: [], staticKey);
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
