using System.Buffers;
using CsCheck;
using Mesh.TestKit;
using Mesh.Transport.Noise;

namespace Mesh.Transport.Tests.Noise;

public sealed class NoiseTransportCodecTests
{
    private static (CipherState Send, CipherState Receive) CipherPair(byte keyByte = 7)
    {
        var key = new byte[32];
        key.AsSpan().Fill(keyByte);
        var send = new CipherState();
        var receive = new CipherState();
        send.InitializeKey(key);
        receive.InitializeKey(key);
        return (send, receive);
    }

    private static byte[] EncryptFrame(CipherState cipher, byte[] plaintext)
    {
        var frame = new byte[NoiseTransportCodec.FrameLength(plaintext.Length)];
        Assert.Equal(frame.Length, NoiseTransportCodec.WriteFrame(cipher, plaintext, frame));
        return frame;
    }

    [Fact]
    public void Round_trips_random_plaintexts_across_segmentations()
    {
        (CipherState send, CipherState receive) = CipherPair();
        using (send)
        using (receive)
        {
            SeededProperty.Check(Gen.Select(Gen.Byte.Array[0, 2000], Gen.Int[0, 2000]), input =>
            {
                (byte[] plaintext, int split) = input;
                // Sender side: plaintext possibly in two segments.
                int at = Math.Min(split, plaintext.Length);
                var frame = new byte[NoiseTransportCodec.FrameLength(plaintext.Length)];
                NoiseTransportCodec.WriteFrame(send, Segments.SplitAt(plaintext, at), frame);

                // Receiver side: the frame body possibly in two segments.
                ReadOnlySequence<byte> buffer = Segments.SplitAt(frame, Math.Min(split, frame.Length));
                Assert.Equal(OperationStatus.Done, NoiseFrameCodec.TryReadFrame(ref buffer, NoiseConstants.TagLength, out ReadOnlySequence<byte> message, out _));
                var decrypted = new byte[plaintext.Length];
                Assert.Equal(plaintext.Length, NoiseTransportCodec.ReadMessage(receive, message, decrypted));
                Assert.Equal(plaintext, decrypted);
            }, iterations: 2_000);
        }
    }

    [Fact]
    public void Decrypts_a_frame_split_at_every_point_and_one_byte_per_segment()
    {
        byte[] plaintext = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        (CipherState send, CipherState receive) = CipherPair();
        using (send)
        using (receive)
        {
            // Each variant needs its own nonce: encrypt once per variant, in order.
            byte[] reference = EncryptFrame(send, plaintext);
            foreach ((string shape, ReadOnlySequence<byte> sequence) in Segments.Variants(reference))
            {
                ReadOnlySequence<byte> buffer = sequence;
                Assert.Equal(OperationStatus.Done, NoiseFrameCodec.TryReadFrame(ref buffer, NoiseConstants.TagLength, out ReadOnlySequence<byte> message, out _));
                var decrypted = new byte[plaintext.Length];
                NoiseTransportCodec.ReadMessage(receive, message, decrypted);
                Assert.True(plaintext.AsSpan().SequenceEqual(decrypted), shape);
                receive.SetNonce(receive.Nonce - 1); // the same frame again
            }
        }
    }

    [Fact]
    public void Every_flipped_bit_fails_authentication_with_a_typed_error()
    {
        byte[] plaintext = "hello noise"u8.ToArray();
        (CipherState send, CipherState receive) = CipherPair();
        using (send)
        using (receive)
        {
            byte[] frame = EncryptFrame(send, plaintext);
            for (int i = 2; i < frame.Length; i++)
            {
                for (int bit = 0; bit < 8; bit++)
                {
                    byte[] tampered = (byte[])frame.Clone();
                    tampered[i] ^= (byte)(1 << bit);
                    var message = new ReadOnlySequence<byte>(tampered, 2, tampered.Length - 2);
                    var destination = new byte[plaintext.Length];
                    NoiseDecryptException ex = Assert.Throws<NoiseDecryptException>(() => NoiseTransportCodec.ReadMessage(receive, message, destination));
                    Assert.Equal(NoiseError.DecryptFailed, ex.Error);
                    Assert.Equal(0UL, receive.Nonce); // a failed decryption does not use up the nonce
                }
            }
            var ok = new byte[plaintext.Length];
            NoiseTransportCodec.ReadMessage(receive, new ReadOnlySequence<byte>(frame, 2, frame.Length - 2), ok);
            Assert.Equal(plaintext, ok);
        }
    }

    [Fact]
    public void A_replayed_or_reordered_frame_fails()
    {
        (CipherState send, CipherState receive) = CipherPair();
        using (send)
        using (receive)
        {
            byte[] first = EncryptFrame(send, [1, 2, 3]);
            byte[] second = EncryptFrame(send, [4, 5, 6]);
            var destination = new byte[3];
            Assert.Throws<NoiseDecryptException>(() => NoiseTransportCodec.ReadMessage(receive, new ReadOnlySequence<byte>(second, 2, second.Length - 2), destination));
            NoiseTransportCodec.ReadMessage(receive, new ReadOnlySequence<byte>(first, 2, first.Length - 2), destination);
            Assert.Throws<NoiseDecryptException>(() => NoiseTransportCodec.ReadMessage(receive, new ReadOnlySequence<byte>(first, 2, first.Length - 2), destination));
        }
    }

    [Fact]
    public void Empty_plaintext_is_a_16_byte_message_and_round_trips()
    {
        (CipherState send, CipherState receive) = CipherPair();
        using (send)
        using (receive)
        {
            byte[] frame = EncryptFrame(send, []);
            Assert.Equal(18, frame.Length);
            Assert.Equal(0, NoiseTransportCodec.ReadMessage(receive, new ReadOnlySequence<byte>(frame, 2, 16), []));
        }
    }

    [Fact]
    public void Refuses_plaintexts_over_65519_bytes_and_carries_exactly_65519()
    {
        (CipherState send, CipherState receive) = CipherPair();
        using (send)
        using (receive)
        {
            var max = new byte[NoiseConstants.MaxPlaintextLength];
            byte[] frame = EncryptFrame(send, max);
            Assert.Equal(0xFF, frame[0]);
            Assert.Equal(0xFF, frame[1]);
            var big = new byte[NoiseConstants.MaxPlaintextLength + 1];
            Assert.Throws<ArgumentOutOfRangeException>(() => NoiseTransportCodec.WriteFrame(send, big, new byte[big.Length + 18]));
        }
    }

    [Fact]
    public void Cipher_refuses_the_reserved_nonce()
    {
        (CipherState send, CipherState receive) = CipherPair();
        using (send)
        using (receive)
        {
            send.SetNonce(ulong.MaxValue - 1);
            receive.SetNonce(ulong.MaxValue - 1);
            byte[] frame = EncryptFrame(send, [9]);
            var one = new byte[1];
            NoiseTransportCodec.ReadMessage(receive, new ReadOnlySequence<byte>(frame, 2, frame.Length - 2), one);
            NoiseException ex = Assert.Throws<NoiseException>(() => EncryptFrame(send, [9]));
            Assert.Equal(NoiseError.NonceExhausted, ex.Error);
            Assert.Throws<NoiseException>(() => NoiseTransportCodec.ReadMessage(receive, new ReadOnlySequence<byte>(frame, 2, frame.Length - 2), one));
        }
    }
}
