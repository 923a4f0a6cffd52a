using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Mesh.Transport.Identity;
using Mesh.Transport.Noise;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// Complete noise-libp2p handshakes between two of ours over an in-memory duplex pipe (both sides' work: fresh static
/// and ephemeral X25519 keys, 6 DH, identity signature and verification, payload codec, framing, channel start and
/// dispose). Handshakes per second = 1 s / Mean (the two sides run concurrently, so on a 2-core machine this is close
/// to the per-side cost).
/// </summary>
public class NoiseHandshakeBenchmarks
{
    private static readonly string[] s_muxers = ["/yamux/1.0.0"];
    private static readonly PipeOptions s_options = new(useSynchronizationContext: false);

    private PrivateKey _initiatorKey = null!;
    private PrivateKey _responderKey = null!;

    [Params(KeyType.Ed25519, KeyType.Secp256k1, KeyType.Rsa)]
    public KeyType Identity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _initiatorKey = PrivateKey.Generate(Identity);
        _responderKey = PrivateKey.Generate(Identity);
    }

    [Benchmark(Description = "noise-libp2p handshake, both sides, in-memory pipe")]
    public async Task Handshake()
    {
        var leftToRight = new Pipe(s_options);
        var rightToLeft = new Pipe(s_options);
        var left = new Duplex(rightToLeft.Reader, leftToRight.Writer);
        var right = new Duplex(leftToRight.Reader, rightToLeft.Writer);
        Task<NoiseSecureChannel> initiator = NoiseHandshake.InitiateAsync(left, _initiatorKey, _responderKey.PeerId, s_muxers, NullLogger.Instance).AsTask();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, _responderKey, s_muxers, NullLogger.Instance).AsTask();
        await using NoiseSecureChannel a = await initiator;
        await using NoiseSecureChannel b = await responder;
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
