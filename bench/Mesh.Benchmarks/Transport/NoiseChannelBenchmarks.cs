using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Mesh.Transport.Identity;
using Mesh.Transport.Noise;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// Secure-channel throughput over an in-memory duplex pipe: the initiator's app writes 16 MiB in 64 KiB writes, the
/// responder's app reads it all. Covers both loops (frame cutting, encryption into the raw writer, frame decoding,
/// decryption into the app pipe) and the pipe hand-offs between four threads-worth of work on whatever cores exist.
/// Throughput = 16 MiB / Mean.
/// </summary>
public class NoiseChannelBenchmarks
{
    private const int TotalBytes = 16 << 20;
    private const int WriteBytes = 64 * 1024;

    private readonly byte[] _chunk = new byte[WriteBytes];
    private NoiseSecureChannel _initiator = null!;
    private NoiseSecureChannel _responder = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_chunk);
        var options = new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false);
        var leftToRight = new Pipe(options);
        var rightToLeft = new Pipe(options);
        var left = new Duplex(rightToLeft.Reader, leftToRight.Writer);
        var right = new Duplex(leftToRight.Reader, rightToLeft.Writer);
        ValueTask<(CipherState Send, CipherState Receive, int Peer)> i = NoiseHandshake.RunAsync(left, true, _ => [], (_, _) => 0, default);
        ValueTask<(CipherState Send, CipherState Receive, int Peer)> r = NoiseHandshake.RunAsync(right, false, _ => [], (_, _) => 0, default);
        (CipherState iSend, CipherState iReceive, _) = i.AsTask().GetAwaiter().GetResult();
        (CipherState rSend, CipherState rReceive, _) = r.AsTask().GetAwaiter().GetResult();
        PublicKey label = PrivateKey.Generate(KeyType.Ed25519).PublicKey;
        _initiator = new NoiseSecureChannel(left, iSend, iReceive, true, label, null, NullLogger.Instance);
        _responder = new NoiseSecureChannel(right, rSend, rReceive, false, label, null, NullLogger.Instance);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _initiator.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _responder.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "channel: 16 MiB one way, 64 KiB writes")]
    public async Task Transfer16MiB()
    {
        Task write = WriteAllAsync();
        long remaining = TotalBytes;
        PipeReader input = _responder.Input;
        while (remaining > 0)
        {
            ReadResult result = await input.ReadAsync();
            remaining -= result.Buffer.Length;
            input.AdvanceTo(result.Buffer.End);
        }
        await write;
    }

    private async Task WriteAllAsync()
    {
        PipeWriter output = _initiator.Output;
        for (int written = 0; written < TotalBytes; written += WriteBytes)
        {
            await output.WriteAsync(_chunk);
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
