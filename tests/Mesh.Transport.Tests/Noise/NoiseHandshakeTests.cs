using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Mesh.TestKit;
using Mesh.Transport.Identity;
using Mesh.Transport.Noise;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Transport.Tests.Noise;

/// <summary>The noise-libp2p handshake (identity payloads, peer id check, inlined muxer negotiation) between two of ours and against hand-played misbehaving peers.</summary>
public sealed class NoiseHandshakeTests
{
    private const string Yamux = "/yamux/1.0.0";
    private const string Mplex = "/mplex/6.7.0";

    private static readonly Lazy<PrivateKey> s_ed25519A = new(() => PrivateKey.Generate(KeyType.Ed25519));
    private static readonly Lazy<PrivateKey> s_ed25519B = new(() => PrivateKey.Generate(KeyType.Ed25519));
    private static readonly Lazy<PrivateKey> s_rsa = new(() => PrivateKey.Generate(KeyType.Rsa));
    private static readonly Lazy<PrivateKey> s_secp256k1 = new(() => PrivateKey.Generate(KeyType.Secp256k1));
    private static readonly Lazy<PrivateKey> s_ecdsa = new(() => PrivateKey.Generate(KeyType.Ecdsa));

    private static PrivateKey Key(string name) => name switch
    {
        "ed25519" => s_ed25519A.Value,
        "ed25519-b" => s_ed25519B.Value,
        "rsa" => s_rsa.Value,
        "secp256k1" => s_secp256k1.Value,
        "ecdsa" => s_ecdsa.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static async Task<(NoiseSecureChannel Initiator, NoiseSecureChannel Responder)> HandshakeAsync(
        PrivateKey initiatorKey, PrivateKey responderKey, string[] initiatorMuxers, string[] responderMuxers, CancellationToken cancellationToken, PeerId? expected = null)
    {
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> initiator = NoiseHandshake.InitiateAsync(left, initiatorKey, expected ?? responderKey.PeerId, initiatorMuxers, NullLogger.Instance, cancellationToken).AsTask();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, responderKey, responderMuxers, NullLogger.Instance, cancellationToken).AsTask();
        return (await initiator, await responder);
    }

    [Theory]
    [InlineData("ed25519", "ed25519-b")]
    [InlineData("rsa", "ed25519")]
    [InlineData("ed25519", "rsa")]
    [InlineData("secp256k1", "ecdsa")]
    [InlineData("ecdsa", "secp256k1")]
    [InlineData("rsa", "secp256k1")]
    public async Task Authenticates_both_peers_and_carries_data(string initiatorKeyName, string responderKeyName)
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        PrivateKey initiatorKey = Key(initiatorKeyName);
        PrivateKey responderKey = Key(responderKeyName);
        (NoiseSecureChannel initiator, NoiseSecureChannel responder) = await HandshakeAsync(initiatorKey, responderKey, [Yamux], [Yamux], cts.Token);
        await using (initiator)
        await using (responder)
        {
            Assert.Equal(responderKey.PeerId, initiator.RemotePeer);
            Assert.Equal(initiatorKey.PeerId, responder.RemotePeer);
            Assert.Equal(responderKey.PublicKey, initiator.RemotePublicKey);
            Assert.Equal(initiatorKey.PublicKey, responder.RemotePublicKey);
            Assert.True(initiator.IsInitiator);
            Assert.False(responder.IsInitiator);

            await initiator.Output.WriteAsync("ping"u8.ToArray(), cts.Token);
            ReadResult read = await responder.Input.ReadAsync(cts.Token);
            Assert.Equal("ping"u8.ToArray(), read.Buffer.ToArray());
            responder.Input.AdvanceTo(read.Buffer.End);
            await responder.Output.WriteAsync("pong"u8.ToArray(), cts.Token);
            read = await initiator.Input.ReadAsync(cts.Token);
            Assert.Equal("pong"u8.ToArray(), read.Buffer.ToArray());
            initiator.Input.AdvanceTo(read.Buffer.End);
        }
    }

    [Fact]
    public async Task A_static_key_kept_across_handshakes_authenticates_every_session()
    {
        // A host keeps one NoiseStaticKey for its lifetime: sequential and concurrent handshakes on both sides with the
        // same keys each authenticate the right peer and carry their own data.
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        using NoiseStaticKey dialerKey = NoiseStaticKey.Generate(Key("ed25519"));
        using NoiseStaticKey listenerKey = NoiseStaticKey.Generate(Key("rsa"));
        Assert.Equal(32, listenerKey.PublicKey.Length);
        byte[] listenerStatic = listenerKey.PublicKey.ToArray();
        for (int round = 0; round < 2; round++)
        {
            Task[] sessions = [.. Enumerable.Range(0, 4).Select(async i =>
            {
                (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
                Task<NoiseSecureChannel> dialing = NoiseHandshake.InitiateAsync(left, dialerKey, Key("rsa").PeerId, [Yamux], NullLogger.Instance, cts.Token).AsTask();
                Task<NoiseSecureChannel> listening = NoiseHandshake.RespondAsync(right, listenerKey, [Yamux], NullLogger.Instance, cts.Token).AsTask();
                await using NoiseSecureChannel initiator = await dialing;
                await using NoiseSecureChannel responder = await listening;
                Assert.Equal(Key("rsa").PeerId, initiator.RemotePeer);
                Assert.Equal(Key("ed25519").PeerId, responder.RemotePeer);
                Assert.Equal(Yamux, initiator.NegotiatedMuxer);
                byte[] message = Encoding.ASCII.GetBytes($"round {round} session {i}");
                await initiator.Output.WriteAsync(message, cts.Token);
                ReadResult read = await responder.Input.ReadAtLeastAsync(message.Length, cts.Token);
                Assert.Equal(message, read.Buffer.ToArray());
                responder.Input.AdvanceTo(read.Buffer.End);
            })];
            await Task.WhenAll(sessions);
        }
        Assert.Equal(listenerStatic, listenerKey.PublicKey.ToArray());
    }

    [Fact]
    public void A_static_key_is_cleared_on_dispose()
    {
        NoiseStaticKey key = NoiseStaticKey.Generate(Key("ed25519"));
        Assert.Contains(key.PublicKey.ToArray(), b => b != 0);
        key.Dispose();
        Assert.All(key.PublicKey.ToArray(), b => Assert.Equal(0, b));
        Assert.All(key.PrivateKey.ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task Accepts_any_peer_when_no_expected_peer_is_given()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> initiator = NoiseHandshake.InitiateAsync(left, Key("ed25519"), null, [], NullLogger.Instance, cts.Token).AsTask();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [], NullLogger.Instance, cts.Token).AsTask();
        await using NoiseSecureChannel i = await initiator;
        await using NoiseSecureChannel r = await responder;
        Assert.Equal(Key("ed25519-b").PeerId, i.RemotePeer);
    }

    public static TheoryData<string[], string[], string?> MuxerCases() => new()
    {
        // Same single muxer.
        { [Yamux], [Yamux], Yamux },
        // The spec's example: the responder prefers mplex, the initiator yamux; the initiator's preference wins.
        { [Yamux, Mplex], [Mplex, Yamux], Yamux },
        { [Mplex, Yamux], [Yamux, Mplex], Mplex },
        // The first of the initiator's list that the responder also has, not the first of the initiator's list.
        { ["/unknown/1", Mplex, Yamux], [Yamux, Mplex], Mplex },
        // One side sent no list: no inlined negotiation, the host falls back to multistream-select.
        { [], [Yamux], null },
        { [Yamux], [], null },
        { [], [], null },
    };

    [Theory]
    [MemberData(nameof(MuxerCases))]
    public async Task Inlined_muxer_negotiation_picks_the_first_of_the_initiators_list_both_support(string[] initiatorMuxers, string[] responderMuxers, string? expected)
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (NoiseSecureChannel initiator, NoiseSecureChannel responder) = await HandshakeAsync(Key("ed25519"), Key("ed25519-b"), initiatorMuxers, responderMuxers, cts.Token);
        await using (initiator)
        await using (responder)
        {
            Assert.Equal(expected, initiator.NegotiatedMuxer);
            Assert.Equal(expected, responder.NegotiatedMuxer);
        }
    }

    [Fact]
    public async Task No_common_muxer_fails_the_handshake()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> initiator = NoiseHandshake.InitiateAsync(left, Key("ed25519"), null, [Mplex], NullLogger.Instance, cts.Token).AsTask();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [Yamux], NullLogger.Instance, cts.Token).AsTask();

        // The initiator learns it from msg 2 and stops before msg 3; the responder's handshake then fails as well.
        NoiseHandshakeException ex = await Assert.ThrowsAsync<NoiseHandshakeException>(() => initiator);
        Assert.Equal(NoiseError.NoCommonMuxer, ex.Error);
        await Assert.ThrowsAsync<NoiseHandshakeException>(() => responder);
    }

    [Fact]
    public async Task Responder_fails_with_no_common_muxer_when_the_initiator_sends_its_list_anyway()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [Yamux], NullLogger.Instance, cts.Token).AsTask();
        // A peer that ignores the rule and completes the handshake with a disjoint list.
        await HandPlayedInitiator.RunAsync(left, Key("ed25519"), muxers: [Mplex], cts.Token);
        NoiseHandshakeException ex = await Assert.ThrowsAsync<NoiseHandshakeException>(() => responder);
        Assert.Equal(NoiseError.NoCommonMuxer, ex.Error);
    }

    [Fact]
    public async Task Wrong_expected_peer_fails_with_PeerIdMismatchException()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        PeerId expected = Key("rsa").PeerId;
        Task<NoiseSecureChannel> initiator = NoiseHandshake.InitiateAsync(left, Key("ed25519"), expected, [Yamux], NullLogger.Instance, cts.Token).AsTask();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [Yamux], NullLogger.Instance, cts.Token).AsTask();

        PeerIdMismatchException ex = await Assert.ThrowsAsync<PeerIdMismatchException>(() => initiator);
        Assert.Equal(NoiseError.PeerIdMismatch, ex.Error);
        Assert.Equal(expected, ex.Expected);
        Assert.Equal(Key("ed25519-b").PeerId, ex.Actual);
        await Assert.ThrowsAnyAsync<Exception>(() => responder);
        // The dialer completed its raw connection with the error.
        await Assert.ThrowsAsync<PeerIdMismatchException>(async () => await left.Output.FlushAsync(cts.Token));
    }

    [Fact]
    public void An_empty_expected_peer_is_a_usage_error()
    {
        (IDuplexPipe left, _) = DuplexPipePair.Create();
        Assert.Throws<ArgumentException>(() => NoiseHandshake.InitiateAsync(left, Key("ed25519"), default(PeerId), [], NullLogger.Instance, TestContext.Current.CancellationToken));
    }

    public static TheoryData<string, string> BadResponderPayloads() => new()
    {
        { "signature over another static key", nameof(NoiseError.InvalidSignature) },
        { "signature by another identity", nameof(NoiseError.InvalidSignature) },
        { "no signature", nameof(NoiseError.InvalidSignature) },
        { "no identity key", nameof(NoiseError.InvalidIdentityKey) },
        { "garbage identity key", nameof(NoiseError.InvalidIdentityKey) },
        { "not a protobuf", nameof(NoiseError.InvalidPayload) },
        { "oversized identity key", nameof(NoiseError.InvalidPayload) },
    };

    [Theory]
    [MemberData(nameof(BadResponderPayloads))]
    public async Task Initiator_rejects_a_responder_whose_payload_does_not_authenticate_it(string variant, string expectedError)
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> initiator = NoiseHandshake.InitiateAsync(left, Key("ed25519"), null, [Yamux], NullLogger.Instance, cts.Token).AsTask();

        PrivateKey responderKey = Key("ed25519-b");
        Task responder = NoiseHandshake.RunAsync(right, false, staticKey => BadPayload(variant, responderKey, staticKey), (_, _) => 0, cts.Token).AsTask();

        NoiseHandshakeException ex = await Assert.ThrowsAsync<NoiseHandshakeException>(() => initiator);
        Assert.Equal(Enum.Parse<NoiseError>(expectedError), ex.Error);
        await Assert.ThrowsAnyAsync<Exception>(() => responder);
    }

    private static byte[] BadPayload(string variant, PrivateKey identity, byte[] staticKey)
    {
        byte[] Signed(byte[] key) => [.. Encoding.ASCII.GetBytes("noise-libp2p-static-key:"), .. key];
        byte[] identityKey = identity.PublicKey.ToProtobuf();
        byte[] signature = identity.Sign(Signed(staticKey));
        NoiseHandshakePayload payload = variant switch
        {
            "signature over another static key" => new() { IdentityKey = identityKey, IdentitySignature = identity.Sign(Signed(new byte[32])) },
            "signature by another identity" => new() { IdentityKey = identityKey, IdentitySignature = Key("ed25519").Sign(Signed(staticKey)) },
            "no signature" => new() { IdentityKey = identityKey },
            "no identity key" => new() { IdentitySignature = signature },
            "garbage identity key" => new() { IdentityKey = new byte[] { 0x08, 0x01, 0x12, 0x03, 1, 2, 3 }, IdentitySignature = signature },
            "oversized identity key" => new() { IdentityKey = new byte[NoisePayloadCodec.MaxIdentityKeyLength + 1], IdentitySignature = signature },
            "not a protobuf" => null!,
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        return payload is null ? [0xff, 0xff, 0xff] : NoisePayloadCodec.Encode(payload);
    }

    [Fact]
    public async Task Responder_rejects_an_initiator_with_a_bad_signature()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [Yamux], NullLogger.Instance, cts.Token).AsTask();
        PrivateKey initiatorKey = Key("ed25519");
        Task initiator = NoiseHandshake.RunAsync(left, true, staticKey => BadPayload("signature over another static key", initiatorKey, staticKey), (_, _) => 0, cts.Token).AsTask();
        await initiator;
        NoiseHandshakeException ex = await Assert.ThrowsAsync<NoiseHandshakeException>(() => responder);
        Assert.Equal(NoiseError.InvalidSignature, ex.Error);
    }

    [Fact]
    public async Task Tampered_handshake_ciphertext_fails_with_a_typed_error()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [Yamux], NullLogger.Instance, cts.Token).AsTask();
        await HandPlayedInitiator.RunAsync(left, Key("ed25519"), [Yamux], cts.Token, tamperMessage3: true);
        NoiseHandshakeException ex = await Assert.ThrowsAsync<NoiseHandshakeException>(() => responder);
        Assert.Equal(NoiseError.DecryptFailed, ex.Error);
    }

    public static TheoryData<string, byte[], string> MalformedMessage1() => new()
    {
        { "end of stream at once", [], nameof(NoiseError.ConnectionClosed) },
        { "half a header", [0x00], nameof(NoiseError.ConnectionClosed) },
        { "length says 32, 10 bytes follow", [0x00, 0x20, .. new byte[10]], nameof(NoiseError.ConnectionClosed) },
        { "empty message", [0x00, 0x00], nameof(NoiseError.MalformedHandshakeMessage) },
        { "31-byte message (shorter than e)", [0x00, 0x1f, .. new byte[31]], nameof(NoiseError.MalformedHandshakeMessage) },
        { "all-zero ephemeral key (low order)", [0x00, 0x20, .. new byte[32]], nameof(NoiseError.LowOrderPublicKey) },
        // u = 1 also has small order: X25519 maps every scalar to 0.
        { "ephemeral key u=1 (low order)", [0x00, 0x20, 0x01, .. new byte[31]], nameof(NoiseError.LowOrderPublicKey) },
    };

    [Theory]
    [MemberData(nameof(MalformedMessage1))]
    public async Task Responder_rejects_garbage_and_truncated_first_messages(string description, byte[] wire, string expectedError)
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [Yamux], NullLogger.Instance, cts.Token).AsTask();
        await left.Output.WriteAsync(wire, cts.Token);
        await left.Output.CompleteAsync();
        NoiseHandshakeException ex = await Assert.ThrowsAsync<NoiseHandshakeException>(() => responder);
        Assert.True(Enum.Parse<NoiseError>(expectedError) == ex.Error, $"{description}: {ex.Error} {ex.Message}");
    }

    [Fact]
    public async Task Responder_ignores_a_non_empty_first_payload_like_go_libp2p()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [Yamux], NullLogger.Instance, cts.Token).AsTask();
        PeerId remote = await HandPlayedInitiator.RunAsync(left, Key("ed25519"), [Yamux], cts.Token, message1Payload: new byte[60_000]);
        await using NoiseSecureChannel channel = await responder;
        Assert.Equal(Key("ed25519").PeerId, channel.RemotePeer);
        Assert.Equal(Key("ed25519-b").PeerId, remote);
    }

    [Fact]
    public async Task Garbage_or_short_second_message_fails_the_initiator()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        foreach ((byte[] message2, NoiseError expected) in new (byte[], NoiseError)[]
        {
            (new byte[95], NoiseError.MalformedHandshakeMessage),             // below e + enc(s) + tag
            (Enumerable.Repeat((byte)0x5a, 200).ToArray(), NoiseError.DecryptFailed),
        })
        {
            (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
            Task<NoiseSecureChannel> initiator = NoiseHandshake.InitiateAsync(left, Key("ed25519"), null, [Yamux], NullLogger.Instance, cts.Token).AsTask();
            ReadResult message1 = await right.Input.ReadAsync(cts.Token);
            right.Input.AdvanceTo(message1.Buffer.End);
            byte[] frame = new byte[2 + message2.Length];
            BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message2.Length);
            message2.CopyTo(frame, 2);
            await right.Output.WriteAsync(frame, cts.Token);
            NoiseHandshakeException ex = await Assert.ThrowsAsync<NoiseHandshakeException>(() => initiator);
            Assert.Equal(expected, ex.Error);
        }
    }

    [Fact]
    public async Task A_peer_that_stops_mid_handshake_is_ended_by_cancellation()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [Yamux], NullLogger.Instance, handshakeTimeout.Token).AsTask();

        // The peer sends msg 1, reads msg 2, then goes silent.
        using var state = new NoiseXXHandshakeState(true, []);
        await NoiseHandshakeIO.WriteMessageAsync(left.Output, state, ReadOnlyMemory<byte>.Empty, cts.Token);
        await NoiseHandshakeIO.ReadMessageAsync(left.Input, state, cts.Token);
        Assert.False(responder.IsCompleted);

        handshakeTimeout.Cancel(); // the host's handshake timeout
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => responder);
        // The raw connection was completed: the silent peer now sees the end of it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await left.Input.ReadAsync(cts.Token));
    }

    [Fact]
    public async Task Data_sent_right_behind_message_3_reaches_the_responders_channel()
    {
        using CancellationTokenSource cts = NoiseTestChannels.Timeout();
        (IDuplexPipe left, IDuplexPipe right) = DuplexPipePair.Create();
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(right, Key("ed25519-b"), [Yamux], NullLogger.Instance, cts.Token).AsTask();
        await HandPlayedInitiator.RunAsync(left, Key("ed25519"), [Yamux], cts.Token, earlyData: "/multistream/1.0.0\n"u8.ToArray());
        await using NoiseSecureChannel channel = await responder;
        Assert.Equal(Yamux, channel.NegotiatedMuxer);
        Assert.Equal("/multistream/1.0.0\n"u8.ToArray(), await NoiseTestChannels.ReadToEndAsync(channel.Input, cts.Token));
    }

    /// <summary>
    /// An initiator played step by step on the Noise core, to send what a correct <see cref="NoiseHandshake"/> never
    /// would: a payload in msg 1, a tampered msg 3, msg 3 and transport data in a single write.
    /// </summary>
    private static class HandPlayedInitiator
    {
        public static async Task<PeerId> RunAsync(
            IDuplexPipe connection,
            PrivateKey identity,
            string[] muxers,
            CancellationToken cancellationToken,
            byte[]? message1Payload = null,
            bool tamperMessage3 = false,
            byte[]? earlyData = null)
        {
            using var state = new NoiseXXHandshakeState(true, []);
            await NoiseHandshakeIO.WriteMessageAsync(connection.Output, state, message1Payload ?? [], cancellationToken);
            byte[] responderPayload = await NoiseHandshakeIO.ReadMessageAsync(connection.Input, state, cancellationToken);
            PeerId responder = PublicKey.FromProtobuf(NoisePayloadCodec.Decode(responderPayload).IdentityKey.Span).PeerId;

            byte[] signed = [.. Encoding.ASCII.GetBytes("noise-libp2p-static-key:"), .. state.LocalStaticPublicKey];
            byte[] payload = NoisePayloadCodec.Encode(new NoiseHandshakePayload
            {
                IdentityKey = identity.PublicKey.ToProtobuf(),
                IdentitySignature = identity.Sign(signed),
                Extensions = muxers.Length > 0 ? new NoiseExtensions { StreamMuxers = muxers } : null,
            });
            var message3 = new byte[2 + NoiseXXHandshakeState.Overhead(2) + payload.Length];
            int written = state.WriteMessage(payload, message3.AsSpan(2));
            BinaryPrimitives.WriteUInt16BigEndian(message3, (ushort)written);
            if (tamperMessage3)
            {
                message3[^1] ^= 0x80;
            }
            byte[] wire = message3;
            if (earlyData is not null)
            {
                (CipherState send, CipherState receive) = state.Split();
                using (send)
                using (receive)
                {
                    var frame = new byte[NoiseTransportCodec.FrameLength(earlyData.Length)];
                    NoiseTransportCodec.WriteFrame(send, earlyData, frame);
                    wire = [.. message3, .. frame];
                }
            }
            await connection.Output.WriteAsync(wire, cancellationToken);
            await connection.Output.CompleteAsync();
            return responder;
        }
    }
}
