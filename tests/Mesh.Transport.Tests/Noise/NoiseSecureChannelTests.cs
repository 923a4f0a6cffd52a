using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Mesh.TestKit;
using Mesh.Transport.Noise;

namespace Mesh.Transport.Tests.Noise;

/// <summary>The secure channel's read and write loops, over an in-memory duplex pipe (no libp2p identities involved).</summary>
public sealed class NoiseSecureChannelTests
{
    [Fact]
    public async Task Transfers_16_MiB_both_ways_intact_across_frame_boundaries()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (NoiseSecureChannel initiator, NoiseSecureChannel responder) = await NoiseTestChannels.CreatePairAsync(cts.Token);
        await using (initiator)
        await using (responder)
        {
            byte[] toResponder = RandomNumberGenerator.GetBytes(16 << 20);
            byte[] toInitiator = RandomNumberGenerator.GetBytes(16 << 20);
            // Odd write sizes so the 65519-byte frame boundaries fall everywhere relative to the writes.
            int[] sizes = [1, 65519, 65520, 100_000, 7, 300_000, 4096, 65535];

            Task sendA = Task.Run(async () =>
            {
                await NoiseTestChannels.WriteChunkedAsync(initiator.Output, toResponder, sizes, cts.Token);
                await initiator.Output.CompleteAsync();
            }, cts.Token);
            Task sendB = Task.Run(async () =>
            {
                await NoiseTestChannels.WriteChunkedAsync(responder.Output, toInitiator, [.. sizes.Reverse()], cts.Token);
                await responder.Output.CompleteAsync();
            }, cts.Token);
            Task<byte[]> receiveB = NoiseTestChannels.ReadToEndAsync(responder.Input, cts.Token);
            Task<byte[]> receiveA = NoiseTestChannels.ReadToEndAsync(initiator.Input, cts.Token);

            await Task.WhenAll(sendA, sendB, receiveA, receiveB);
            byte[] gotByResponder = await receiveB;
            byte[] gotByInitiator = await receiveA;
            Assert.True(toResponder.AsSpan().SequenceEqual(gotByResponder));
            Assert.True(toInitiator.AsSpan().SequenceEqual(gotByInitiator));
            await initiator.Completion.WaitAsync(cts.Token);
            await responder.Completion.WaitAsync(cts.Token);
        }
    }

    [Fact]
    public async Task Half_close_delivers_everything_and_the_other_direction_keeps_working()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (NoiseSecureChannel initiator, NoiseSecureChannel responder) = await NoiseTestChannels.CreatePairAsync(cts.Token);
        await using (initiator)
        await using (responder)
        {
            await initiator.Output.WriteAsync("request"u8.ToArray(), cts.Token);
            await initiator.Output.CompleteAsync(); // FIN after the data

            Assert.Equal("request"u8.ToArray(), await NoiseTestChannels.ReadToEndAsync(responder.Input, cts.Token));

            // The responder can still answer after the initiator's half-close.
            await responder.Output.WriteAsync("response"u8.ToArray(), cts.Token);
            await responder.Output.CompleteAsync();
            Assert.Equal("response"u8.ToArray(), await NoiseTestChannels.ReadToEndAsync(initiator.Input, cts.Token));

            await initiator.Input.CompleteAsync();
            await responder.Input.CompleteAsync();
            await Task.WhenAll(initiator.Completion, responder.Completion).WaitAsync(cts.Token);
        }
    }

    [Fact]
    public async Task Tampered_ciphertext_fails_both_directions_with_a_typed_error()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        (CipherState iSend, CipherState iReceive, CipherState rSend, CipherState rReceive) = await NoiseTestChannels.HandshakeAsync(left, right, cts.Token);
        await using NoiseSecureChannel responder = NoiseTestChannels.Channel(right, rSend, rReceive, false);

        // The initiator side is played by hand: one good frame, then one with a flipped ciphertext bit.
        byte[] good = Frame(iSend, "good"u8);
        byte[] bad = Frame(iSend, "evil"u8);
        bad[3] ^= 0x01;
        await left.Output.WriteAsync(good, cts.Token);
        ReadResult first = await responder.Input.ReadAsync(cts.Token);
        Assert.Equal("good"u8.ToArray(), first.Buffer.ToArray());
        responder.Input.AdvanceTo(first.Buffer.End);

        // (An error ends the channel at once, like a reset: plaintext still undelivered at that point is dropped.)
        await left.Output.WriteAsync(bad, cts.Token);

        NoiseDecryptException readError = await Assert.ThrowsAsync<NoiseDecryptException>(async () => await responder.Input.ReadAsync(cts.Token));
        Assert.Equal(NoiseError.DecryptFailed, readError.Error);
        // The channel ends with the error; then the sending direction fails with it too (the write loop completes its
        // pipe asynchronously after the read loop's failure wakes it, hence after Completion), and the raw connection
        // is completed with it.
        await Assert.ThrowsAsync<NoiseDecryptException>(() => responder.Completion.WaitAsync(cts.Token));
        await Assert.ThrowsAsync<NoiseDecryptException>(async () =>
        {
            await responder.Output.WriteAsync(new byte[10], cts.Token);
            await responder.Output.FlushAsync(cts.Token);
        });
        await Assert.ThrowsAsync<NoiseDecryptException>(async () => await left.Input.ReadAsync(cts.Token));
        iSend.Dispose();
        iReceive.Dispose();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    public async Task A_frame_shorter_than_the_tag_fails_typed(int length)
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, NoiseSecureChannel responder) = await ResponderWithRawPeerAsync(cts.Token);
        await using (responder)
        {
            await left.Output.WriteAsync(new byte[] { 0, (byte)length }, cts.Token);
            NoiseFrameException ex = await Assert.ThrowsAsync<NoiseFrameException>(async () => await responder.Input.ReadAsync(cts.Token));
            Assert.Equal(NoiseError.FrameTooShort, ex.Error);
        }
    }

    [Fact]
    public async Task A_connection_that_ends_inside_a_frame_fails_typed()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, NoiseSecureChannel responder) = await ResponderWithRawPeerAsync(cts.Token);
        await using (responder)
        {
            await left.Output.WriteAsync(new byte[] { 0x01, 0x00, 1, 2, 3 }, cts.Token); // says 256 bytes, sends 3
            await left.Output.CompleteAsync();
            NoiseFrameException ex = await Assert.ThrowsAsync<NoiseFrameException>(async () => await responder.Input.ReadAsync(cts.Token));
            Assert.Equal(NoiseError.TruncatedFrame, ex.Error);
        }
    }

    [Fact]
    public async Task Raw_end_of_stream_at_a_frame_boundary_is_a_clean_end_of_input()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        (CipherState iSend, CipherState iReceive, CipherState rSend, CipherState rReceive) = await NoiseTestChannels.HandshakeAsync(left, right, cts.Token);
        await using NoiseSecureChannel responder = NoiseTestChannels.Channel(right, rSend, rReceive, false);
        await left.Output.WriteAsync(Frame(iSend, "last words"u8), cts.Token);
        await left.Output.CompleteAsync();
        Assert.Equal("last words"u8.ToArray(), await NoiseTestChannels.ReadToEndAsync(responder.Input, cts.Token));
        iSend.Dispose();
        iReceive.Dispose();
    }

    [Fact]
    public async Task Large_writes_are_cut_into_frames_of_at_most_65519_plaintext_bytes()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        (CipherState iSend, CipherState iReceive, CipherState rSend, CipherState rReceive) = await NoiseTestChannels.HandshakeAsync(left, right, cts.Token);
        await using NoiseSecureChannel initiator = NoiseTestChannels.Channel(left, iSend, iReceive, true);

        byte[] data = RandomNumberGenerator.GetBytes(1_000_000);
        await initiator.Output.WriteAsync(data, cts.Token);
        await initiator.Output.CompleteAsync();

        // Read the raw frames on the far side by hand and decrypt them with the responder's receive cipher.
        byte[] raw = await NoiseTestChannels.ReadToEndAsync(right.Input, cts.Token);
        var buffer = new ReadOnlySequence<byte>(raw);
        var plaintext = new ArrayBufferWriter<byte>();
        int frames = 0;
        while (NoiseFrameCodec.TryReadFrame(ref buffer, NoiseConstants.TagLength, out ReadOnlySequence<byte> message, out _) == OperationStatus.Done)
        {
            Assert.InRange(message.Length, NoiseConstants.TagLength + 1, NoiseConstants.MaxMessageLength);
            Span<byte> destination = plaintext.GetSpan((int)message.Length);
            plaintext.Advance(NoiseTransportCodec.ReadMessage(rReceive, message, destination));
            frames++;
        }
        Assert.True(buffer.IsEmpty);
        Assert.True(frames >= (data.Length + NoiseConstants.MaxPlaintextLength - 1) / NoiseConstants.MaxPlaintextLength);
        Assert.True(data.AsSpan().SequenceEqual(plaintext.WrittenSpan));
        rSend.Dispose();
        rReceive.Dispose();
    }

    [Fact]
    public async Task Nonce_exhaustion_ends_the_channel_instead_of_reusing_a_nonce()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        (CipherState iSend, CipherState iReceive, CipherState rSend, CipherState rReceive) = await NoiseTestChannels.HandshakeAsync(left, right, cts.Token);
        iSend.SetNonce(ulong.MaxValue - 1);
        rReceive.SetNonce(ulong.MaxValue - 1);
        await using NoiseSecureChannel initiator = NoiseTestChannels.Channel(left, iSend, iReceive, true);
        await using NoiseSecureChannel responder = NoiseTestChannels.Channel(right, rSend, rReceive, false);

        await initiator.Output.WriteAsync("the last nonce"u8.ToArray(), cts.Token);
        ReadResult result = await responder.Input.ReadAsync(cts.Token);
        Assert.Equal("the last nonce"u8.ToArray(), result.Buffer.ToArray());
        responder.Input.AdvanceTo(result.Buffer.End);

        // The next frame would need nonce 2^64-1: the write loop fails rather than send it.
        await initiator.Output.WriteAsync("one too many"u8.ToArray(), cts.Token);
        NoiseException ex = await Assert.ThrowsAsync<NoiseException>(() => initiator.Completion.WaitAsync(cts.Token));
        Assert.Equal(NoiseError.NonceExhausted, ex.Error);
        await Assert.ThrowsAsync<NoiseException>(async () => await initiator.Input.ReadAsync(cts.Token));
    }

    [Fact]
    public async Task Dispose_aborts_pending_reads_and_is_idempotent()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (NoiseSecureChannel initiator, NoiseSecureChannel responder) = await NoiseTestChannels.CreatePairAsync(cts.Token);
        ValueTask<ReadResult> pending = initiator.Input.ReadAsync(cts.Token);
        await initiator.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending);
        await initiator.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => initiator.Completion.WaitAsync(cts.Token));

        // The raw connection was completed with the abort, which the in-memory pipe hands to the peer as an error.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => NoiseTestChannels.ReadToEndAsync(responder.Input, cts.Token));
        await responder.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_unblocks_a_write_loop_stalled_by_a_peer_that_does_not_read()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        // A raw pipe that pauses at 64 KiB: with nobody reading the far end, the write loop's flush stalls.
        var small = new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create(small);
        (CipherState iSend, CipherState iReceive, CipherState rSend, CipherState rReceive) = await NoiseTestChannels.HandshakeAsync(left, right, cts.Token);
        NoiseSecureChannel initiator = NoiseTestChannels.Channel(left, iSend, iReceive, true);

        // Fill the app pipe past its own threshold too: this flush can only end by disposal.
        ValueTask<FlushResult> write = initiator.Output.WriteAsync(new byte[4 << 20], cts.Token);
        await initiator.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(async () => await write);
        rSend.Dispose();
        rReceive.Dispose();
    }

    [Fact]
    public async Task A_foreign_CancelPendingRead_on_the_raw_reader_does_not_break_the_channel()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        (CipherState iSend, CipherState iReceive, CipherState rSend, CipherState rReceive) = await NoiseTestChannels.HandshakeAsync(left, right, cts.Token);
        await using NoiseSecureChannel initiator = NoiseTestChannels.Channel(left, iSend, iReceive, true);
        await using NoiseSecureChannel responder = NoiseTestChannels.Channel(right, rSend, rReceive, false);

        // Someone else (a transport shutting a read down, say) cancels the raw read the loop is waiting on.
        right.Input.CancelPendingRead();
        await initiator.Output.WriteAsync("still here"u8.ToArray(), cts.Token);
        await initiator.Output.CompleteAsync();
        Assert.Equal("still here"u8.ToArray(), await NoiseTestChannels.ReadToEndAsync(responder.Input, cts.Token));
    }

    [Fact]
    public async Task Bytes_coalesced_with_message_3_reach_the_channel()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        ValueTask<(CipherState Send, CipherState Receive, int Peer)> responderTask = NoiseHandshake.RunAsync(right, false, _ => [], (_, _) => 0, cts.Token);

        // The initiator by hand: msg 1, read msg 2, then msg 3 AND two transport frames in one write.
        using var state = new NoiseXXHandshakeState(true, []);
        await NoiseHandshakeIO.WriteMessageAsync(left.Output, state, ReadOnlyMemory<byte>.Empty, cts.Token);
        await NoiseHandshakeIO.ReadMessageAsync(left.Input, state, cts.Token);
        var message3 = new byte[2 + NoiseXXHandshakeState.Overhead(2)];
        int written = state.WriteMessage([], message3.AsSpan(2));
        BinaryPrimitives.WriteUInt16BigEndian(message3, (ushort)written);
        (CipherState iSend, CipherState iReceive) = state.Split();
        byte[] coalesced = [.. message3, .. Frame(iSend, "early "u8), .. Frame(iSend, "data"u8)];
        await left.Output.WriteAsync(coalesced, cts.Token);
        await left.Output.CompleteAsync();

        (CipherState rSend, CipherState rReceive, _) = await responderTask;
        await using NoiseSecureChannel responder = NoiseTestChannels.Channel(right, rSend, rReceive, false);
        Assert.Equal("early data"u8.ToArray(), await NoiseTestChannels.ReadToEndAsync(responder.Input, cts.Token));
        iSend.Dispose();
        iReceive.Dispose();
    }

    private static async Task<(IDuplexPipe RawPeer, NoiseSecureChannel Responder)> ResponderWithRawPeerAsync(CancellationToken cancellationToken)
    {
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        (CipherState iSend, CipherState iReceive, CipherState rSend, CipherState rReceive) = await NoiseTestChannels.HandshakeAsync(left, right, cancellationToken);
        iSend.Dispose();
        iReceive.Dispose();
        return (left, NoiseTestChannels.Channel(right, rSend, rReceive, false));
    }

    private static byte[] Frame(CipherState cipher, ReadOnlySpan<byte> plaintext)
    {
        var frame = new byte[NoiseTransportCodec.FrameLength(plaintext.Length)];
        NoiseTransportCodec.WriteFrame(cipher, plaintext, frame);
        return frame;
    }
}
