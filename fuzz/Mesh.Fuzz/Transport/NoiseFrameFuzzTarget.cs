using System.Buffers;
using Mesh.Multistream;
using Mesh.Transport.Noise;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// noise-libp2p transport frames (u16 BE length ‖ ciphertext ‖ tag), read as a stream the way the secure channel's
/// read loop does, and decrypted with a fixed key (the seeds are frames encrypted under it, nonces 0, 1, 2 …). The
/// first input byte picks the segmentation; the frames decoded, the plaintexts and the final status must not depend
/// on it.
/// </summary>
public sealed class NoiseFrameFuzzTarget : IFuzzTarget
{
    /// <summary>The key the seed frames are encrypted with: 32 bytes of 0x42.</summary>
    public static readonly byte[] Key = Enumerable.Repeat((byte)0x42, 32).ToArray();

    public string Name => "noise-frame";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int chunk = input[0] % 17;
        byte[] data = input[1..].ToArray();
        (List<byte[]> a, string endA) = DecodeAll(new ReadOnlySequence<byte>(data));
        (List<byte[]> b, string endB) = DecodeAll(FuzzSegments.Chunked(data, chunk));
        if (endA != endB || a.Count != b.Count || !a.Zip(b).All(p => p.First.AsSpan().SequenceEqual(p.Second)))
        {
            throw new InvalidOperationException($"segmentation changed the result: {a.Count} frames/{endA} vs {b.Count} frames/{endB}");
        }
    }

    private static (List<byte[]> Plaintexts, string End) DecodeAll(ReadOnlySequence<byte> buffer)
    {
        var plaintexts = new List<byte[]>();
        using var cipher = new CipherState();
        cipher.InitializeKey(Key);
        while (true)
        {
            OperationStatus status = NoiseFrameCodec.TryReadFrame(ref buffer, NoiseConstants.TagLength, out ReadOnlySequence<byte> message, out NoiseError error);
            if (status == OperationStatus.NeedMoreData)
            {
                return (plaintexts, $"need more ({buffer.Length} left)");
            }
            if (status == OperationStatus.InvalidData)
            {
                if (error != NoiseError.FrameTooShort)
                {
                    throw new InvalidOperationException($"unexpected frame error {error}");
                }
                return (plaintexts, "invalid");
            }
            if (message.Length < NoiseConstants.TagLength || message.Length > NoiseConstants.MaxMessageLength)
            {
                throw new InvalidOperationException($"decoder accepted a {message.Length}-byte message");
            }
            var plaintext = new byte[message.Length - NoiseConstants.TagLength];
            try
            {
                int length = NoiseTransportCodec.ReadMessage(cipher, message, plaintext);
                if (length != plaintext.Length)
                {
                    throw new InvalidOperationException("plaintext length mismatch");
                }
            }
            catch (MeshProtocolException ex)
            {
                return (plaintexts, ex.GetType().Name);
            }
            plaintexts.Add(plaintext);
        }
    }
}
