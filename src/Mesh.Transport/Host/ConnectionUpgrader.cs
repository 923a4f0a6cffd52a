using System.IO.Pipelines;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using Mesh.Transport.Muxing;
using Mesh.Transport.Noise;
using Microsoft.Extensions.Logging;

namespace Mesh.Transport.Host;

/// <summary>
/// Turns a raw connection into a secured, multiplexed one (libp2p connections spec):
/// <code>
///   raw ─ mss(/noise) ─ Noise XX (inlined muxer list in msgs 2/3) ─ [mss(/yamux/1.0.0) if no inlined muxer] ─ yamux
/// </code>
/// The dialer selects <c>/noise</c> optimistically: the multistream header, the proposal and the first Noise message
/// leave in one flush, and the listener's answer is read together with Noise message 2. The whole upgrade is bounded
/// by one timeout; any failure is a <see cref="HandshakeException"/> naming the stage and the reason.
/// </summary>
internal sealed class ConnectionUpgrader
{
    public const string NoiseProtocolId = "/noise";

    // One Noise static key for the host's lifetime (see NoiseStaticKey for why that is safe and what it saves).
    private readonly NoiseStaticKey _noiseKey;
    private readonly IStreamMuxer _muxer;
    private readonly string[] _muxers;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;

    public ConnectionUpgrader(PrivateKey identity, IStreamMuxer muxer, TimeSpan timeout, ILogger logger)
    {
        _noiseKey = NoiseStaticKey.Generate(identity);
        _muxer = muxer;
        _muxers = [muxer.ProtocolId];
        _timeout = timeout;
        _logger = logger;
    }

    public string MuxerProtocolId => _muxer.ProtocolId;

    public async Task<UpgradedConnection> UpgradeAsync(IDuplexPipe raw, bool isInitiator, PeerId? expectedPeer, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        CancellationToken ct = timeout.Token;
        HandshakeStage stage = HandshakeStage.SecurityNegotiation;
        try
        {
            IDuplexPipe secureInput;
            if (isInitiator)
            {
                secureInput = ProtocolNegotiation.SelectLazy(raw, NoiseProtocolId);
            }
            else
            {
                await ProtocolNegotiation.RespondAsync(raw, NoiseProtocolId, ct).ConfigureAwait(false);
                secureInput = raw;
            }

            stage = HandshakeStage.Security;
            NoiseSecureChannel channel = isInitiator
                ? await NoiseHandshake.InitiateAsync(secureInput, _noiseKey, expectedPeer, _muxers, _logger, ct).ConfigureAwait(false)
                : await NoiseHandshake.RespondAsync(secureInput, _noiseKey, _muxers, _logger, ct).ConfigureAwait(false);

            try
            {
                stage = HandshakeStage.MuxerNegotiation;
                string? muxer = channel.NegotiatedMuxer;
                if (muxer is null)
                {
                    muxer = isInitiator
                        ? await MultistreamSelect.SelectAsync(channel, _muxers, ct).ConfigureAwait(false)
                        : await ProtocolNegotiation.RespondAsync(channel, _muxer.ProtocolId, ct).ConfigureAwait(false);
                }
                if (muxer != _muxer.ProtocolId)
                {
                    throw new HandshakeException(stage, HandshakeFailure.NoCommonProtocol, $"no common muxer (peer chose {muxer ?? "none"})");
                }

                stage = HandshakeStage.Muxer;
                IMuxedConnection muxed = _muxer.Create(channel, isInitiator);
                return new UpgradedConnection(channel.RemotePeer, channel.RemotePublicKey, muxed, muxer, channel.OutboundDrained);
            }
            catch
            {
                await channel.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch (HandshakeException)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new HandshakeException(stage, HandshakeFailure.TimedOut, $"no progress within {_timeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || ex is ConnectionAbortedException)
        {
            throw new HandshakeException(stage, Classify(ex), ex.Message, ex);
        }
    }

    private static HandshakeFailure Classify(Exception ex) => ex switch
    {
        NoiseException noise when ProtocolNegotiation.IsAuthenticationFailure(noise) => HandshakeFailure.AuthenticationFailed,
        NoiseException { Error: NoiseError.NoCommonMuxer } => HandshakeFailure.NoCommonProtocol,
        NoiseException { Error: NoiseError.ConnectionClosed } => HandshakeFailure.ConnectionClosed,
        MultistreamException { Error: MultistreamError.ProtocolNotSupported or MultistreamError.TooManyAttempts } => HandshakeFailure.NoCommonProtocol,
        MultistreamException { Error: MultistreamError.UnexpectedEndOfStream } => HandshakeFailure.ConnectionClosed,
        MeshProtocolException => HandshakeFailure.ProtocolViolation,
        InvalidDataException => HandshakeFailure.ProtocolViolation,
        _ => HandshakeFailure.ConnectionClosed,
    };
}

/// <summary>The result of a successful upgrade.</summary>
/// <remarks><paramref name="SecureOutboundDrained"/>: the secure channel has flushed its last frames to the socket.</remarks>
internal readonly record struct UpgradedConnection(PeerId RemotePeer, PublicKey RemotePublicKey, IMuxedConnection Muxed, string Muxer, Task SecureOutboundDrained);
