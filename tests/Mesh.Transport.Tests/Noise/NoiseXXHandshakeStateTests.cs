using Mesh.TestKit;
using Mesh.Transport.Noise;

namespace Mesh.Transport.Tests.Noise;

/// <summary>
/// The Noise core (CipherState, SymmetricState, HKDF, X25519, pattern XX) against published test vectors for
/// Noise_XX_25519_ChaChaPoly_SHA256, in the Noise wiki's test-vector format: handshake messages, handshake hash, then
/// transport messages alternating initiator → responder → initiator ... after Split().
/// </summary>
public sealed class NoiseXXHandshakeStateTests
{
    public sealed record Vector(
        string Source,
        string Prologue,
        string InitiatorStatic,
        string InitiatorEphemeral,
        string ResponderStatic,
        string ResponderEphemeral,
        string HandshakeHash,
        (string Payload, string Ciphertext)[] Messages);

    // Transport messages 4-6 are the same in both files: the transport keys come from ck alone, which the prologue
    // does not touch (it only enters h, hence the different tags of messages 2-3 and the different hashes).
    private static readonly (string, string)[] s_transportMessages =
    [
        ("4361726c204d656e676572", "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"),
        ("4a65616e2d426170746973746520536179", "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"),
        ("457567656e2042f6686d20766f6e2042617765726b", "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"),
    ];

    /// <summary>
    /// Source: haskell-cryptography/cacophony, vectors/cacophony.txt (commit 8ee9d41), entry
    /// "Noise_XX_25519_ChaChaPoly_SHA256"; and rweather/noise-c, tests/vector/noise-c-basic.txt (commit cfe2541),
    /// same protocol name (different prologue, same keys).
    /// </summary>
    public static TheoryData<Vector> Vectors() =>
    [
        new Vector(
            "cacophony",
            Prologue: "4a6f686e2047616c74",
            InitiatorStatic: "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
            InitiatorEphemeral: "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
            ResponderStatic: "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
            ResponderEphemeral: "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
            HandshakeHash: "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e",
            [
                ("4c756477696720766f6e204d69736573", "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573"),
                ("4d757272617920526f746862617264", "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad"),
                ("462e20412e20486179656b", "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"),
                .. s_transportMessages,
            ]),
        new Vector(
            "noise-c",
            Prologue: "50726f6c6f677565313233",
            InitiatorStatic: "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
            InitiatorEphemeral: "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
            ResponderStatic: "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
            ResponderEphemeral: "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
            HandshakeHash: "852a28d2146785c54bd8334f4e460c80d7fe4fd0cc5bc0abef2a24a3c4d44d5f",
            [
                ("4c756477696720766f6e204d69736573", "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573"),
                ("4d757272617920526f746862617264", "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b94a6d8798832d5372f220f161d9c2df035528f8982ffe09be9b5c412f8a0db5d21351f20af1370d0bf8ef1a8c59a30e"),
                ("462e20412e20486179656b", "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a8589981dfbd651e6ff4724a781cc2aa6158c9fea0d4ec82a286427484c5b8c8123a7a6002b1de9f9775fc97"),
                .. s_transportMessages,
            ]),
    ];

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Handshake_and_transport_messages_match_the_vector(Vector v)
    {
        using var initiator = new NoiseXXHandshakeState(true, Hex.Decode(v.Prologue), Hex.Decode(v.InitiatorStatic), Hex.Decode(v.InitiatorEphemeral));
        using var responder = new NoiseXXHandshakeState(false, Hex.Decode(v.Prologue), Hex.Decode(v.ResponderStatic), Hex.Decode(v.ResponderEphemeral));

        var message = new byte[NoiseConstants.MaxMessageLength];
        var payload = new byte[NoiseConstants.MaxMessageLength];
        for (int i = 0; i < 3; i++)
        {
            (NoiseXXHandshakeState writer, NoiseXXHandshakeState reader) = i % 2 == 0 ? (initiator, responder) : (responder, initiator);
            int written = writer.WriteMessage(Hex.Decode(v.Messages[i].Payload), message);
            Assert.Equal(v.Messages[i].Ciphertext, Hex.Encode(message.AsSpan(0, written)));
            int read = reader.ReadMessage(message.AsSpan(0, written), payload);
            Assert.Equal(v.Messages[i].Payload, Hex.Encode(payload.AsSpan(0, read)));
        }

        Assert.True(initiator.IsComplete);
        Assert.True(responder.IsComplete);
        Assert.Equal(v.HandshakeHash, Hex.Encode(initiator.HandshakeHash));
        Assert.Equal(v.HandshakeHash, Hex.Encode(responder.HandshakeHash));
        Assert.Equal(Hex.Encode(initiator.LocalStaticPublicKey), Hex.Encode(responder.RemoteStaticPublicKey));
        Assert.Equal(Hex.Encode(responder.LocalStaticPublicKey), Hex.Encode(initiator.RemoteStaticPublicKey));

        (CipherState iSend, CipherState iReceive) = initiator.Split();
        (CipherState rSend, CipherState rReceive) = responder.Split();
        using (iSend)
        using (iReceive)
        using (rSend)
        using (rReceive)
        {
            // Transport messages keep alternating where the handshake left off: message 4 is the responder's.
            for (int i = 3; i < v.Messages.Length; i++)
            {
                bool fromInitiator = i % 2 == 0;
                CipherState send = fromInitiator ? iSend : rSend;
                CipherState receive = fromInitiator ? rReceive : iReceive;
                byte[] plaintext = Hex.Decode(v.Messages[i].Payload);
                int written = send.EncryptWithAd([], plaintext, message);
                Assert.Equal(v.Messages[i].Ciphertext, Hex.Encode(message.AsSpan(0, written)));
                int read = receive.DecryptWithAd([], message.AsSpan(0, written), payload);
                Assert.Equal(v.Messages[i].Payload, Hex.Encode(payload.AsSpan(0, read)));
            }
        }
    }
}
