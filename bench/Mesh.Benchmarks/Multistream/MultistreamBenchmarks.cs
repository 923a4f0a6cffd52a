using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Mesh.Benchmarks.Transport;
using Mesh.Multistream;

namespace Mesh.Benchmarks.Multistream;

/// <summary>
/// multistream-select message decoding (the header plus a proposal, as one packet, contiguous and in 4-byte
/// segments) and a 1 KiB length-prefixed message: steady-state decoding must allocate nothing. The end-to-end
/// negotiation over an in-memory pipe pair shows what one whole select costs (async machinery and the returned
/// protocol string included).
/// </summary>
public class MultistreamBenchmarks
{
    private ReadOnlySequence<byte> _messages;
    private ReadOnlySequence<byte> _segmentedMessages;
    private ReadOnlySequence<byte> _framed;
    private readonly string[] _protocols = ["/yamux/1.0.0"];

    [GlobalSetup]
    public void Setup()
    {
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteHeader(writer);
        MultistreamCodec.WriteMessage(writer, "/yamux/1.0.0");
        byte[] packet = writer.WrittenSpan.ToArray();
        _messages = new ReadOnlySequence<byte>(packet);
        _segmentedMessages = BenchSegments.Chunked(packet, 4);

        writer.Clear();
        LengthPrefixed.Write(writer, new byte[1024]);
        _framed = new ReadOnlySequence<byte>(writer.WrittenSpan.ToArray());
    }

    [Benchmark(Description = "mss read header+proposal")]
    public bool ReadMessages() => Read(_messages);

    [Benchmark(Description = "mss read header+proposal, 4 B segments")]
    public bool ReadMessagesSegmented() => Read(_segmentedMessages);

    [Benchmark(Description = "length-prefixed read 1 KiB")]
    public long ReadLengthPrefixed()
    {
        ReadOnlySequence<byte> buffer = _framed;
        LengthPrefixed.TryRead(ref buffer, 4096, out ReadOnlySequence<byte> message);
        return message.Length;
    }

    [Benchmark(Description = "negotiate over in-memory pipes")]
    public async Task<string> Negotiate()
    {
        var options = new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);
        var a = new Pipe(options);
        var b = new Pipe(options);
        var dialer = new Duplex(b.Reader, a.Writer);
        var listener = new Duplex(a.Reader, b.Writer);
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, _protocols, CancellationToken.None);
        string selected = await MultistreamSelect.SelectAsync(dialer, _protocols, CancellationToken.None);
        await handled;
        return selected;
    }

    private static bool Read(ReadOnlySequence<byte> buffer)
    {
        MultistreamCodec.TryReadMessage(ref buffer, out ReadOnlySequence<byte> header, out _);
        MultistreamCodec.TryReadMessage(ref buffer, out ReadOnlySequence<byte> proposal, out _);
        return MultistreamCodec.BodyEquals(header, MultistreamCodec.ProtocolId) && MultistreamCodec.BodyEquals(proposal, "/yamux/1.0.0");
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
