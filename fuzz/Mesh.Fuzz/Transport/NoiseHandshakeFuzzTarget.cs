using System.IO.Pipelines;
using System.Text;
using Mesh.Multistream;
using Mesh.Transport.Identity;
using Mesh.Transport.Noise;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// The noise-libp2p responder (<see cref="NoiseHandshake.RespondAsync"/>) fed fuzzer bytes by the initiator. The first
/// byte picks how deep the bytes reach:
/// <list type="bullet">
/// <item>0: the bytes are the raw stream (msg 1 frame, msg 3 frame, anything after): framing, message lengths,
/// low-order keys, decryption.</item>
/// <item>1: a correct initiator sends msg 1 and encrypts the bytes as the msg 3 payload: payload decoding and the
/// identity checks behind a valid Noise layer.</item>
/// <item>2: a correct initiator with a valid identity and signature sends the bytes as the body of its
/// NoiseExtensions: extension decoding and inlined muxer negotiation.</item>
/// </list>
/// Outcomes: a channel (closed at once) or a <see cref="MeshProtocolException"/>; anything else, or a hang, is a finding.
/// </summary>
public sealed class NoiseHandshakeFuzzTarget : IFuzzTarget
{
    private static readonly PrivateKey s_responderKey = PrivateKey.FromData(KeyType.Ed25519, Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly PrivateKey s_initiatorKey = PrivateKey.FromData(KeyType.Ed25519, Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());
    private static readonly string[] s_muxers = ["/yamux/1.0.0", "/mplex/6.7.0"];

    private static readonly PipeOptions s_inline = new(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, pauseWriterThreshold: 0, useSynchronizationContext: false);

    public string Name => "noise-handshake";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int mode = input[0] % 3;
        byte[] data = input[1..].ToArray();
        Task run = Task.Run(() => RunAsync(mode, data));
        if (!run.Wait(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("the responder hung");
        }
        run.GetAwaiter().GetResult();
    }

    private static async Task RunAsync(int mode, byte[] data)
    {
        var toResponder = new Pipe(s_inline);
        var toInitiator = new Pipe(s_inline);
        var responderSide = new Duplex(toResponder.Reader, toInitiator.Writer);
        var initiatorSide = new Duplex(toInitiator.Reader, toResponder.Writer);
        Task<NoiseSecureChannel> responder = NoiseHandshake.RespondAsync(responderSide, s_responderKey, s_muxers, NullLogger.Instance).AsTask();
        try
        {
            if (mode == 0)
            {
                await initiatorSide.Output.WriteAsync(data);
            }
            else
            {
                await PlayInitiatorAsync(initiatorSide, mode, data);
            }
        }
        catch (MeshProtocolException)
        {
            // The responder failed first and completed the connection with its error, which the in-memory pipe hands
            // to the initiator side.
        }
        await initiatorSide.Output.CompleteAsync();
        try
        {
            NoiseSecureChannel channel = await responder;
            await channel.DisposeAsync();
        }
        catch (MeshProtocolException)
        {
        }
    }

    private static async Task PlayInitiatorAsync(IDuplexPipe connection, int mode, byte[] data)
    {
        using var state = new NoiseXXHandshakeState(true, []);
        await NoiseHandshakeIO.WriteMessageAsync(connection.Output, state, ReadOnlyMemory<byte>.Empty, default);
        await NoiseHandshakeIO.ReadMessageAsync(connection.Input, state, default);
        byte[] payload = data;
        if (mode == 2)
        {
            byte[] signed = [.. Encoding.ASCII.GetBytes(NoiseConstants.StaticKeySignaturePrefix), .. state.LocalStaticPublicKey];
            byte[] identity = NoisePayloadCodec.Encode(new NoiseHandshakePayload
            {
                IdentityKey = s_initiatorKey.PublicKey.ToProtobuf(),
                IdentitySignature = s_initiatorKey.Sign(signed),
            });
            // Field 4 (extensions), length-delimited, carrying the fuzzer's bytes as the NoiseExtensions body.
            payload = [.. identity, 0x22, .. Varint(data.Length), .. data];
        }
        if (NoiseXXHandshakeState.Overhead(2) + payload.Length > NoiseConstants.MaxMessageLength)
        {
            return;
        }
        await NoiseHandshakeIO.WriteMessageAsync(connection.Output, state, payload, default);
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        uint v = (uint)value;
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }
        bytes.Add((byte)v);
        return [.. bytes];
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
