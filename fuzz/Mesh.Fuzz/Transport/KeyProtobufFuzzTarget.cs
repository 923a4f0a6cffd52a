using Mesh.Transport.Identity;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// libp2p key protobufs and signatures, everything a peer controls in a Noise handshake or an identify message.
/// The first byte picks the mode: 0 decodes a <c>PublicKey</c>, 1 a <c>PrivateKey</c> (identity files, keygen),
/// 2 verifies the rest as a libp2p signature and 3 as a mesh signature under each of four fixed keys (the peer-ids
/// spec keys). Accepted keys must re-encode and decode to an equal key; the throwing and the Try decoders must agree.
/// </summary>
public sealed class KeyProtobufFuzzTarget : IFuzzTarget
{
    private static readonly Lazy<PublicKey[]> s_verifiers = new(() =>
    [
        PublicKey.FromProtobuf(Convert.FromHexString("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e")),
        PublicKey.FromProtobuf(Convert.FromHexString("08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99")),
        PublicKey.FromProtobuf(Convert.FromHexString(
            "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62")),
        PrivateKey.Generate(KeyType.Rsa).PublicKey,
    ]);

    public string Name => "key-protobuf";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        ReadOnlySpan<byte> body = input[1..];
        switch (input[0] & 3)
        {
            case 0:
                DecodePublic(body);
                break;
            case 1:
                DecodePrivate(body);
                break;
            default:
                foreach (PublicKey key in s_verifiers.Value)
                {
                    // Never throws, whatever the bytes; a forged signature over fixed data must not verify.
                    bool valid = (input[0] & 3) == 2 ? key.Verify("fuzz"u8, body) : MeshSignatureScheme.Verify(key, "fuzz"u8, body);
                    if (valid)
                    {
                        throw new InvalidOperationException($"random bytes verified as a {key.Type} signature");
                    }
                }
                break;
        }
    }

    private static void DecodePublic(ReadOnlySpan<byte> body)
    {
        PublicKey? key = null;
        KeyFormatError thrown = KeyFormatError.None;
        try
        {
            key = PublicKey.FromProtobuf(body);
        }
        catch (KeyFormatException ex)
        {
            thrown = ex.Error;
        }
        bool ok = PublicKey.TryFromProtobuf(body, out PublicKey? viaTry, out KeyFormatError error);
        if (ok != key is not null || error != thrown || (ok && !viaTry!.Equals(key)))
        {
            throw new InvalidOperationException($"FromProtobuf ({thrown}) and TryFromProtobuf ({error}) disagree");
        }
        if (key is null)
        {
            return;
        }
        byte[] encoded = key.ToProtobuf();
        // Strict decoding means the input was canonical, except secp256k1 points given uncompressed.
        bool canonicalised = key.Type == KeyType.Secp256k1 && body.Length != encoded.Length;
        if (!canonicalised && !body.SequenceEqual(encoded))
        {
            throw new InvalidOperationException("accepted a key protobuf that does not re-encode to itself");
        }
        PublicKey again = PublicKey.FromProtobuf(encoded);
        if (!again.Equals(key) || again.GetHashCode() != key.GetHashCode() || again.PeerId != key.PeerId || !key.PeerId.Matches(again))
        {
            throw new InvalidOperationException("re-encoded key decodes to a different key");
        }
    }

    private static void DecodePrivate(ReadOnlySpan<byte> body)
    {
        PrivateKey key;
        try
        {
            key = PrivateKey.FromProtobuf(body);
        }
        catch (KeyFormatException)
        {
            if (PrivateKey.TryFromProtobuf(body, out _, out _))
            {
                throw new InvalidOperationException("TryFromProtobuf accepted what FromProtobuf rejected");
            }
            return;
        }
        PrivateKey again = PrivateKey.FromProtobuf(key.ToProtobuf());
        if (!again.Equals(key) || !again.PublicKey.Equals(key.PublicKey))
        {
            throw new InvalidOperationException("re-encoded private key decodes to a different key");
        }
        if (!PublicKey.FromProtobuf(key.PublicKey.ToProtobuf()).Equals(key.PublicKey))
        {
            throw new InvalidOperationException("the public half does not round-trip");
        }
    }
}
