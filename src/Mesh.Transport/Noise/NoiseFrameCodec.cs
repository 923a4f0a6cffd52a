using System.Buffers;
using System.Buffers.Binary;

namespace Mesh.Transport.Noise;

/// <summary>
/// noise-libp2p framing (libp2p/specs noise/README.md, "Wire Format"): every Noise message, handshake or transport,
/// travels as
/// <code>
///   +--------------------------+-------------------------------+
///   | noise_message_len        | noise_message                 |
///   | u16 big-endian (2 bytes) | noise_message_len bytes       |
///   +--------------------------+-------------------------------+
/// </code>
/// so a message is at most 65535 bytes, and a transport message (ciphertext ‖ 16-byte tag) carries at most 65519
/// plaintext bytes.
/// </summary>
internal static class NoiseFrameCodec
{
    /// <summary>
    /// Reads one frame. On <see cref="OperationStatus.Done"/>, <paramref name="message"/> is the frame body (a slice
    /// of the input, valid until the reader advances) and <paramref name="buffer"/> is sliced past the frame. On
    /// <see cref="OperationStatus.NeedMoreData"/> nothing is consumed. A length below
    /// <paramref name="minimumLength"/> (16 for a transport message: it must at least hold the tag) is rejected from
    /// the header alone, before waiting for the body: <see cref="OperationStatus.InvalidData"/> with
    /// <see cref="NoiseError.FrameTooShort"/>.
    /// </summary>
    public static OperationStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, int minimumLength, out ReadOnlySequence<byte> message, out NoiseError error)
    {
        message = default;
        error = NoiseError.None;
        if (buffer.Length < NoiseConstants.FrameHeaderLength)
        {
            return OperationStatus.NeedMoreData;
        }
        int length = ReadHeader(buffer);
        if (length < minimumLength)
        {
            error = NoiseError.FrameTooShort;
            return OperationStatus.InvalidData;
        }
        if (buffer.Length - NoiseConstants.FrameHeaderLength < length)
        {
            return OperationStatus.NeedMoreData;
        }
        message = buffer.Slice(NoiseConstants.FrameHeaderLength, length);
        buffer = buffer.Slice(message.End);
        return OperationStatus.Done;
    }

    /// <summary>Writes the 2-byte big-endian length header of a message of <paramref name="messageLength"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int messageLength)
    {
        if ((uint)messageLength > NoiseConstants.MaxMessageLength)
        {
            throw new ArgumentOutOfRangeException(nameof(messageLength), messageLength, "Noise messages are at most 65535 bytes.");
        }
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)messageLength);
    }

    private static int ReadHeader(in ReadOnlySequence<byte> buffer)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= NoiseConstants.FrameHeaderLength)
        {
            return BinaryPrimitives.ReadUInt16BigEndian(first);
        }
        Span<byte> header = stackalloc byte[NoiseConstants.FrameHeaderLength];
        buffer.Slice(0, NoiseConstants.FrameHeaderLength).CopyTo(header);
        return BinaryPrimitives.ReadUInt16BigEndian(header);
    }
}
