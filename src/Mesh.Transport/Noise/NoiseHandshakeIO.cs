using System.Buffers;
using System.IO.Pipelines;

namespace Mesh.Transport.Noise;

/// <summary>
/// Moves XX handshake messages over the raw connection in noise-libp2p framing (<c>u16 BE length ‖ message</c>).
/// Reading advances the <see cref="PipeReader"/> exactly past each frame and never further, so whatever the peer sent
/// behind its last handshake message (transport frames coalesced with msg 3) stays in the reader for the channel.
/// </summary>
internal static class NoiseHandshakeIO
{
    /// <summary>Writes our next handshake message carrying <paramref name="payload"/> and flushes it.</summary>
    public static async ValueTask WriteMessageAsync(PipeWriter output, NoiseXXHandshakeState state, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        WriteMessage(output, state, payload.Span);
        FlushResult flush = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flush.IsCanceled)
        {
            throw new OperationCanceledException("The Noise handshake write was canceled.");
        }
        if (flush.IsCompleted)
        {
            NoiseThrow.Handshake(NoiseError.ConnectionClosed, "The connection closed during the Noise handshake (the transport stopped accepting data).");
        }
    }

    /// <summary>
    /// Reads and processes the peer's next handshake message; returns its decrypted payload as a new array (payloads
    /// are small and handled once per connection).
    /// </summary>
    public static async ValueTask<byte[]> ReadMessageAsync(PipeReader input, NoiseXXHandshakeState state, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The Noise handshake read was canceled.");
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            byte[]? payload = null;
            try
            {
                payload = TryReadMessage(ref buffer, state, result.IsCompleted);
            }
            finally
            {
                if (payload is not null)
                {
                    input.AdvanceTo(buffer.Start);
                }
                else
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
            if (payload is not null)
            {
                return payload;
            }
        }
    }

    private static void WriteMessage(PipeWriter output, NoiseXXHandshakeState state, ReadOnlySpan<byte> payload)
    {
        int length = NoiseXXHandshakeState.Overhead(state.Step) + payload.Length;
        Span<byte> frame = output.GetSpan(NoiseConstants.FrameHeaderLength + length);
        int written = state.WriteMessage(payload, frame[NoiseConstants.FrameHeaderLength..]);
        NoiseFrameCodec.WriteHeader(frame, written);
        output.Advance(NoiseConstants.FrameHeaderLength + written);
    }

    /// <summary>Processes one handshake frame if it is all there; null (nothing consumed) otherwise.</summary>
    internal static byte[]? TryReadMessage(ref ReadOnlySequence<byte> buffer, NoiseXXHandshakeState state, bool isFinalBlock)
    {
        int step = state.Step;
        int minimum = NoiseXXHandshakeState.Overhead(step);
        switch (NoiseFrameCodec.TryReadFrame(ref buffer, minimum, out ReadOnlySequence<byte> message, out _))
        {
            case OperationStatus.Done:
                return ProcessMessage(message, state);
            case OperationStatus.InvalidData:
                NoiseThrow.Handshake(NoiseError.MalformedHandshakeMessage, $"Noise handshake message {step + 1} is shorter than the {minimum} bytes XX requires.");
                return null;
            default:
                if (isFinalBlock)
                {
                    NoiseThrow.Handshake(NoiseError.ConnectionClosed, $"The connection closed before Noise handshake message {step + 1} was complete ({buffer.Length} bytes received).");
                }
                return null;
        }
    }

    private static byte[] ProcessMessage(in ReadOnlySequence<byte> message, NoiseXXHandshakeState state)
    {
        int length = (int)message.Length;
        byte[]? rentedMessage = null;
        byte[] rentedPayload = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            ReadOnlySpan<byte> contiguous;
            if (message.IsSingleSegment)
            {
                contiguous = message.FirstSpan;
            }
            else
            {
                rentedMessage = ArrayPool<byte>.Shared.Rent(length);
                message.CopyTo(rentedMessage);
                contiguous = rentedMessage.AsSpan(0, length);
            }
            int payloadLength = state.ReadMessage(contiguous, rentedPayload);
            return rentedPayload.AsSpan(0, payloadLength).ToArray();
        }
        finally
        {
            if (rentedMessage is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedMessage);
            }
            ArrayPool<byte>.Shared.Return(rentedPayload);
        }
    }
}
