using System.IO.Pipelines;
using Mesh.TestKit;
using Mesh.Transport.Identity;
using Mesh.Transport.Muxing;
using Mesh.Transport.Noise;
using Mesh.Transport.Tests.Muxing;
using Mesh.Transport.Yamux;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Tests.Yamux;

/// <summary>
/// The shared muxer conformance suite, run against yamux over a real Noise XX secure channel pair with yamux negotiated
/// inline in the handshake (as in production: TCP → Noise → yamux). This is where yamux meets a connection that is
/// not a bare Pipe: cross-thread CancelPendingRead/CancelPendingFlush, completion and backpressure of the channel.
/// </summary>
public sealed class YamuxOverNoiseConformanceTests : StreamMuxerConformanceTests
{
    private static readonly Lazy<PrivateKey> s_dialerKey = new(() => PrivateKey.Generate(KeyType.Ed25519));
    private static readonly Lazy<PrivateKey> s_listenerKey = new(() => PrivateKey.Generate(KeyType.Ed25519));

    protected override IStreamMuxer CreateMuxer() => new YamuxMuxer();

    protected override (IDuplexPipe Dialer, IDuplexPipe Listener) CreateConnection()
    {
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        using var cts = new CancellationTokenSource(TestTimeout);
        Task<NoiseSecureChannel> dialer = NoiseHandshake.InitiateAsync(left, s_dialerKey.Value, s_listenerKey.Value.PeerId,
            [YamuxMuxer.Protocol], NullLogger.Instance, cts.Token).AsTask();
        Task<NoiseSecureChannel> listener = NoiseHandshake.RespondAsync(right, s_listenerKey.Value,
            [YamuxMuxer.Protocol], NullLogger.Instance, cts.Token).AsTask();
        NoiseSecureChannel a = dialer.GetAwaiter().GetResult();
        NoiseSecureChannel b = listener.GetAwaiter().GetResult();
        Assert.Equal(YamuxMuxer.Protocol, a.NegotiatedMuxer);
        Assert.Equal(YamuxMuxer.Protocol, b.NegotiatedMuxer);
        return (a, b);
    }
}
