using System.Buffers;
using BenchmarkDotNet.Attributes;
using Mesh.Transport.Noise;

namespace Mesh.Benchmarks.Transport;

/// <summary>
/// One noise-libp2p transport frame: ChaCha20-Poly1305 (BCL, OpenSSL underneath on Linux) plus the u16 framing, for a
/// small frame and a full one (65519 plaintext bytes = a 64 KiB message). Steady state must allocate nothing.
/// Decryption re-reads the same frame by rewinding the nonce, so the measured work is exactly one authenticated
/// decryption per operation.
/// </summary>
public class NoiseTransportBenchmarks
{
    private CipherState _send = null!;
    private CipherState _receive = null!;
    private byte[] _plaintext = null!;
    private byte[] _frame = null!;
    private byte[] _destination = null!;
    private ReadOnlySequence<byte> _message;
    private ReadOnlySequence<byte> _segmentedMessage;
    private ReadOnlySequence<byte> _segmentedPlaintext;

    [Params(1024, NoiseConstants.MaxPlaintextLength)]
    public int PlaintextBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] key = Enumerable.Repeat((byte)0x42, 32).ToArray();
        _send = new CipherState();
        _send.InitializeKey(key);
        _receive = new CipherState();
        _receive.InitializeKey(key);
        _plaintext = new byte[PlaintextBytes];
        new Random(1).NextBytes(_plaintext);
        _frame = new byte[NoiseTransportCodec.FrameLength(PlaintextBytes)];
        _destination = new byte[PlaintextBytes];

        using var encrypt = new CipherState();
        encrypt.InitializeKey(key);
        NoiseTransportCodec.WriteFrame(encrypt, _plaintext, _frame);
        _message = new ReadOnlySequence<byte>(_frame).Slice(NoiseConstants.FrameHeaderLength);
        // The same message as it arrives from a socket pipe: 4 KiB segments.
        _segmentedMessage = BenchSegments.Chunked(_frame, 4096).Slice(NoiseConstants.FrameHeaderLength);
        _segmentedPlaintext = BenchSegments.Chunked(_plaintext, 4096);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _send.Dispose();
        _receive.Dispose();
    }

    [Benchmark(Description = "encrypt+frame, contiguous")]
    public int EncryptFrame() => NoiseTransportCodec.WriteFrame(_send, _plaintext, _frame);

    [Benchmark(Description = "encrypt+frame, 4 KiB segments")]
    public int EncryptFrameSegmented() => NoiseTransportCodec.WriteFrame(_send, _segmentedPlaintext, _frame);

    [Benchmark(Description = "decrypt, contiguous")]
    public int DecryptFrame()
    {
        _receive.SetNonce(0);
        return NoiseTransportCodec.ReadMessage(_receive, _message, _destination);
    }

    [Benchmark(Description = "decrypt, 4 KiB segments")]
    public int DecryptFrameSegmented()
    {
        _receive.SetNonce(0);
        return NoiseTransportCodec.ReadMessage(_receive, _segmentedMessage, _destination);
    }
}
