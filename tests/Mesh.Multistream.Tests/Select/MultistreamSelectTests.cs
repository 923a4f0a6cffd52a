using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Mesh.TestKit;

namespace Mesh.Multistream.Tests;

public sealed class MultistreamSelectTests
{
    // Every negotiation test is bounded: a bug fails the test instead of hanging the run.
    private static CancellationToken Timeout()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        return cts.Token;
    }

    [Fact]
    public async Task Initiator_and_responder_agree_on_the_first_protocol()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, ["/noise", "/tls/1.0.0"], ct);
        string selected = await MultistreamSelect.SelectAsync(dialer, ["/noise"], ct);
        Assert.Equal("/noise", selected);
        Assert.Equal("/noise", await handled);
    }

    [Fact]
    public async Task Initiator_moves_on_after_na()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, p => p == "/yamux/1.0.0", ct);
        string selected = await MultistreamSelect.SelectAsync(dialer, ["/mplex/6.7.0", "/other", "/yamux/1.0.0"], ct);
        Assert.Equal("/yamux/1.0.0", selected);
        Assert.Equal("/yamux/1.0.0", await handled);
    }

    [Fact]
    public async Task Initiator_fails_with_a_typed_error_when_nothing_is_supported_and_responder_sees_the_close()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, _ => false, ct);
        var ex = await Assert.ThrowsAsync<MultistreamException>(async () => await MultistreamSelect.SelectAsync(dialer, ["/a", "/b"], ct));
        Assert.Equal(MultistreamError.ProtocolNotSupported, ex.Error);
        await dialer.Output.CompleteAsync();
        var responderEx = await Assert.ThrowsAsync<MultistreamException>(async () => await handled);
        Assert.Equal(MultistreamError.UnexpectedEndOfStream, responderEx.Error);

        (dialer, listener) = DuplexPipePair.Create();
        handled = MultistreamSelect.HandleAsync(listener, _ => false, ct);
        ex = await Assert.ThrowsAsync<MultistreamException>(async () => await MultistreamSelect.SelectAsync(dialer, "/only", ct));
        Assert.Equal("/only", ex.Protocol);
        await dialer.Output.CompleteAsync();
        await Assert.ThrowsAsync<MultistreamException>(async () => await handled);
    }

    [Fact]
    public async Task Random_proposal_lists_settle_on_the_first_supported_protocol()
    {
        CancellationToken ct = Timeout();
        string[] pool = ["/a/1", "/b/1", "/c/2", "/d/ü", "/e/" + new string('e', 900)];
        var random = new Random(42);
        for (int i = 0; i < 200; i++)
        {
            string[] proposals = pool.OrderBy(_ => random.Next()).Take(random.Next(1, pool.Length + 1)).ToArray();
            HashSet<string> supported = pool.Where(_ => random.Next(3) == 0).ToHashSet();
            string? expected = proposals.FirstOrDefault(supported.Contains);
            (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
            ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, supported.Contains, ct);
            if (expected is null)
            {
                var ex = await Assert.ThrowsAsync<MultistreamException>(async () => await MultistreamSelect.SelectAsync(dialer, proposals, ct));
                Assert.Equal(MultistreamError.ProtocolNotSupported, ex.Error);
                await dialer.Output.CompleteAsync();
                await Assert.ThrowsAsync<MultistreamException>(async () => await handled);
                continue;
            }
            Assert.Equal(expected, await MultistreamSelect.SelectAsync(dialer, proposals, ct));
            Assert.Equal(expected, await handled);
        }
    }

    [Fact]
    public async Task Nothing_after_the_echo_is_consumed_on_either_side()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();

        // Raw initiator: header, proposal and application bytes coalesced in one write.
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteHeader(writer);
        MultistreamCodec.WriteMessage(writer, "/app/1");
        writer.Write("HELLO"u8);
        await dialer.Output.WriteAsync(writer.WrittenMemory, ct);

        Assert.Equal("/app/1", await MultistreamSelect.HandleAsync(listener, ["/app/1"], ct));
        // The next protocol reads the same PipeReader and gets the coalesced bytes at once.
        Assert.Equal("HELLO", await ReadStringAsync(listener.Input, 5, ct));

        // Raw responder: header, echo and application bytes in one write, answering a real initiator.
        (dialer, listener) = DuplexPipePair.Create();
        ValueTask<string> selecting = MultistreamSelect.SelectAsync(dialer, ["/app/1"], ct);
        await ExpectAsync(listener.Input, Message(MultistreamCodec.ProtocolId) + Message("/app/1"), ct);
        writer.Clear();
        MultistreamCodec.WriteHeader(writer);
        MultistreamCodec.WriteMessage(writer, "/app/1");
        writer.Write("WORLD"u8);
        await listener.Output.WriteAsync(writer.WrittenMemory, ct);
        Assert.Equal("/app/1", await selecting);
        Assert.Equal("WORLD", await ReadStringAsync(dialer.Input, 5, ct));
    }

    [Fact]
    public async Task Negotiates_when_every_byte_arrives_separately()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, ["/b"], ct);
        byte[] request = Hex.Decode(Message(MultistreamCodec.ProtocolId) + Message("/a") + Message("/b"));
        foreach (byte b in request)
        {
            await dialer.Output.WriteAsync(new[] { b }, ct);
        }
        Assert.Equal("/b", await handled);
        await ExpectAsync(dialer.Input, Message(MultistreamCodec.ProtocolId) + Message("na") + Message("/b"), ct);
    }

    [Fact]
    public async Task Responder_answers_ls_and_still_negotiates()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, ["/x/1", "/y/2"], ct);
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteHeader(writer);
        MultistreamCodec.WriteListRequest(writer);
        await dialer.Output.WriteAsync(writer.WrittenMemory, ct);

        // Header, then the ls response (read with the larger ls limit).
        await ExpectAsync(dialer.Input, Message(MultistreamCodec.ProtocolId), ct);
        var list = new List<string>();
        while (true)
        {
            ReadResult result = await dialer.Input.ReadAsync(ct);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (MultistreamCodec.TryReadMessage(ref buffer, MultistreamCodec.MaxMessageLength, out ReadOnlySequence<byte> body, out _) == OperationStatus.Done)
            {
                Assert.True(MultistreamCodec.TryParseListResponse(body, list));
                dialer.Input.AdvanceTo(buffer.Start);
                break;
            }
            dialer.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
        Assert.Equal(["/x/1", "/y/2"], list);

        writer.Clear();
        MultistreamCodec.WriteMessage(writer, "/y/2");
        await dialer.Output.WriteAsync(writer.WrittenMemory, ct);
        Assert.Equal("/y/2", await handled);
        await ExpectAsync(dialer.Input, Message("/y/2"), ct);
    }

    [Fact]
    public async Task Responder_sends_its_header_as_soon_as_the_initiators_arrives()
    {
        // An initiator that waits for the responder's header before proposing must not deadlock.
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, ["/p"], ct);
        await dialer.Output.WriteAsync(Hex.Decode(Message(MultistreamCodec.ProtocolId)), ct);
        await ExpectAsync(dialer.Input, Message(MultistreamCodec.ProtocolId), ct);
        await dialer.Output.WriteAsync(Hex.Decode(Message("/p")), ct);
        Assert.Equal("/p", await handled);
        await ExpectAsync(dialer.Input, Message("/p"), ct);
    }

    [Fact]
    public async Task Lazy_select_sends_proposal_with_the_first_data_and_verifies_the_echo_on_read()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        IDuplexPipe stream = MultistreamSelect.SelectLazy(dialer, "/echo/1");
        await stream.Output.WriteAsync("PING"u8.ToArray(), ct); // one flush carries header + proposal + data

        Assert.Equal("/echo/1", await MultistreamSelect.HandleAsync(listener, ["/echo/1"], ct));
        Assert.Equal("PING", await ReadStringAsync(listener.Input, 4, ct));
        await listener.Output.WriteAsync("PONG"u8.ToArray(), ct);

        // The first read consumes the responder's header and echo and shows only the application data.
        Assert.Equal("PONG", await ReadStringAsync(stream.Input, 4, ct));
        await stream.Output.WriteAsync("AGAIN"u8.ToArray(), ct);
        Assert.Equal("AGAIN", await ReadStringAsync(listener.Input, 5, ct));
    }

    [Fact]
    public async Task Lazy_select_flushes_the_proposal_itself_when_the_caller_reads_first()
    {
        // Server-speaks-first protocols (identify): the initiator only reads.
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        IDuplexPipe stream = MultistreamSelect.SelectLazy(dialer, "/ipfs/id/1.0.0");
        ValueTask<string> reading = ReadStringAsync(stream.Input, 8, ct);
        Assert.Equal("/ipfs/id/1.0.0", await MultistreamSelect.HandleAsync(listener, ["/ipfs/id/1.0.0"], ct));
        await listener.Output.WriteAsync("IDENTIFY"u8.ToArray(), ct);
        Assert.Equal("IDENTIFY", await reading);
    }

    [Fact]
    public async Task Lazy_select_hands_over_data_coalesced_with_the_echo()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        IDuplexPipe stream = MultistreamSelect.SelectLazy(dialer, "/p");
        await stream.Output.FlushAsync(ct);
        await ExpectAsync(listener.Input, Message(MultistreamCodec.ProtocolId) + Message("/p"), ct);
        await listener.Output.WriteAsync(Hex.Decode(Message(MultistreamCodec.ProtocolId) + Message("/p") + "414243"), ct);
        Assert.Equal("ABC", await ReadStringAsync(stream.Input, 3, ct));
    }

    [Fact]
    public async Task Lazy_select_fails_the_read_when_the_responder_says_na()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        IDuplexPipe stream = MultistreamSelect.SelectLazy(dialer, "/missing/1");
        await stream.Output.WriteAsync("DATA"u8.ToArray(), ct);
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, ["/other"], ct);
        var ex = await Assert.ThrowsAsync<MultistreamException>(async () => await stream.Input.ReadAsync(ct));
        Assert.Equal(MultistreamError.ProtocolNotSupported, ex.Error);
        Assert.Equal("/missing/1", ex.Protocol);
        await dialer.Output.CompleteAsync();
        await Assert.ThrowsAsync<MultistreamException>(async () => await handled);
    }

    [Fact]
    public async Task Lazy_select_reports_a_responder_that_closes_early()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        IDuplexPipe stream = MultistreamSelect.SelectLazy(dialer, "/p");
        await listener.Output.WriteAsync(Hex.Decode(Message(MultistreamCodec.ProtocolId)), ct);
        await listener.Output.CompleteAsync();
        var ex = await Assert.ThrowsAsync<MultistreamException>(async () => await stream.Input.ReadAsync(ct));
        Assert.Equal(MultistreamError.UnexpectedEndOfStream, ex.Error);
    }

    [Fact]
    public async Task Garbage_header_is_rejected_by_both_roles()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, ["/p"], ct);
        await dialer.Output.WriteAsync(Hex.Decode(Message("/multistream/2.0.0") + Message("/p")), ct);
        var ex = await Assert.ThrowsAsync<MultistreamException>(async () => await handled);
        Assert.Equal(MultistreamError.UnexpectedHeader, ex.Error);

        (dialer, listener) = DuplexPipePair.Create();
        ValueTask<string> selecting = MultistreamSelect.SelectAsync(dialer, "/p", ct);
        await listener.Output.WriteAsync(Hex.Decode(Message("/multistream/2.0.0")), ct);
        ex = await Assert.ThrowsAsync<MultistreamException>(async () => await selecting);
        Assert.Equal(MultistreamError.UnexpectedHeader, ex.Error);

        (dialer, listener) = DuplexPipePair.Create();
        selecting = MultistreamSelect.SelectAsync(dialer, "/p", ct);
        await listener.Output.WriteAsync("\u0005hello"u8.ToArray(), ct);
        ex = await Assert.ThrowsAsync<MultistreamException>(async () => await selecting);
        Assert.Equal(MultistreamError.MissingNewline, ex.Error);
    }

    [Fact]
    public async Task Unexpected_answers_are_rejected()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> selecting = MultistreamSelect.SelectAsync(dialer, "/p", ct);
        await listener.Output.WriteAsync(Hex.Decode(Message(MultistreamCodec.ProtocolId) + Message("/q")), ct);
        var ex = await Assert.ThrowsAsync<MultistreamException>(async () => await selecting);
        Assert.Equal(MultistreamError.UnexpectedMessage, ex.Error);

        // Two answers to one proposal: the second is an answer to nothing.
        (dialer, listener) = DuplexPipePair.Create();
        selecting = MultistreamSelect.SelectAsync(dialer, ["/p", "/q"], ct);
        await listener.Output.WriteAsync(Hex.Decode(Message(MultistreamCodec.ProtocolId) + Message("na") + Message("na")), ct);
        ex = await Assert.ThrowsAsync<MultistreamException>(async () => await selecting);
        Assert.Equal(MultistreamError.UnexpectedMessage, ex.Error);
    }

    [Fact]
    public async Task Oversized_lengths_are_refused_from_the_prefix()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, ["/p"], ct);
        // A header, then a proposal declaring 16383 bytes of which none is sent: refused without waiting for them.
        await dialer.Output.WriteAsync(Hex.Decode(Message(MultistreamCodec.ProtocolId) + "ff7f"), ct);
        var ex = await Assert.ThrowsAsync<MultistreamException>(async () => await handled);
        Assert.Equal(MultistreamError.MessageTooLarge, ex.Error);

        (dialer, listener) = DuplexPipePair.Create();
        ValueTask<string> selecting = MultistreamSelect.SelectAsync(dialer, "/p", ct);
        await listener.Output.WriteAsync(Hex.Decode("8080"), ct);
        ex = await Assert.ThrowsAsync<MultistreamException>(async () => await selecting);
        Assert.Equal(MultistreamError.MessageTooLarge, ex.Error);
    }

    [Fact]
    public async Task Responder_gives_up_after_the_maximum_number_of_attempts()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, _ => false, ct);
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteHeader(writer);
        for (int i = 0; i <= MultistreamSelect.DefaultMaxAttempts; i++)
        {
            MultistreamCodec.WriteMessage(writer, $"/nope/{i}");
        }
        await dialer.Output.WriteAsync(writer.WrittenMemory, ct);
        var ex = await Assert.ThrowsAsync<MultistreamException>(async () => await handled);
        Assert.Equal(MultistreamError.TooManyAttempts, ex.Error);

        // It declined exactly DefaultMaxAttempts proposals before giving up.
        await listener.Output.CompleteAsync();
        byte[] answers = await ReadToEndAsync(dialer.Input, ct);
        string expected = Message(MultistreamCodec.ProtocolId) + string.Concat(Enumerable.Repeat(Message("na"), MultistreamSelect.DefaultMaxAttempts));
        Assert.Equal(expected, Hex.Encode(answers));
    }

    [Fact]
    public async Task Responder_rejects_a_proposal_that_is_not_utf8()
    {
        CancellationToken ct = Timeout();
        (IDuplexPipe dialer, IDuplexPipe listener) = DuplexPipePair.Create();
        ValueTask<string> handled = MultistreamSelect.HandleAsync(listener, _ => true, ct);
        await dialer.Output.WriteAsync(Hex.Decode(Message(MultistreamCodec.ProtocolId) + "032fff0a"), ct);
        var ex = await Assert.ThrowsAsync<MultistreamException>(async () => await handled);
        Assert.Equal(MultistreamError.InvalidProtocolId, ex.Error);
    }

    [Fact]
    public async Task Cancellation_is_the_timeout()
    {
        (IDuplexPipe dialer, _) = DuplexPipePair.Create();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await MultistreamSelect.SelectAsync(dialer, "/p", cts.Token));
    }

    [Fact]
    public async Task Invalid_local_arguments_are_argument_errors()
    {
        (IDuplexPipe dialer, _) = DuplexPipePair.Create();
        await Assert.ThrowsAsync<ArgumentException>(async () => await MultistreamSelect.SelectAsync(dialer, Array.Empty<string>(), Timeout()));
        await Assert.ThrowsAsync<ArgumentException>(async () => await MultistreamSelect.SelectAsync(dialer, "bad\nid", Timeout()));
        Assert.Throws<ArgumentException>(() => MultistreamSelect.SelectLazy(dialer, ""));
    }

    private static string Message(string text)
    {
        var writer = new ArrayBufferWriter<byte>();
        MultistreamCodec.WriteMessage(writer, text);
        return Hex.Encode(writer.WrittenSpan);
    }

    private static async Task ExpectAsync(PipeReader reader, string hex, CancellationToken ct)
    {
        byte[] expected = Hex.Decode(hex);
        string actual = Hex.Encode(Encoding.Latin1.GetBytes(await ReadStringAsync(reader, expected.Length, ct, Encoding.Latin1)));
        Assert.Equal(hex, actual);
    }

    private static async ValueTask<string> ReadStringAsync(PipeReader reader, int length, CancellationToken ct, Encoding? encoding = null)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(ct);
            if (result.Buffer.Length >= length)
            {
                string text = (encoding ?? Encoding.UTF8).GetString(result.Buffer.Slice(0, length).ToArray());
                reader.AdvanceTo(result.Buffer.GetPosition(length));
                return text;
            }
            if (result.IsCompleted)
            {
                throw new InvalidOperationException($"stream ended after {result.Buffer.Length} of {length} bytes");
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(ct);
            if (result.IsCompleted)
            {
                byte[] all = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return all;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
