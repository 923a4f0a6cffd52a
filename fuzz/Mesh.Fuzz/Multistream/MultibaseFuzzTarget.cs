using System.Buffers;
using Mesh.Multistream;

namespace Mesh.Fuzz.Multistream;

/// <summary>
/// Multibase, base58btc, multihash and CID text and bytes. Byte 0 picks UTF-8 or raw UTF-16 text. Decoding is
/// strict, so anything accepted must re-encode to exactly the input text; the span and throwing paths must agree.
/// The raw bytes are also parsed as a multihash and a binary CID, which must round trip.
/// </summary>
public sealed class MultibaseFuzzTarget : IFuzzTarget
{
    public string Name => "multibase";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        string text = FuzzInput.Text(input[1..], input[0]);

        byte[] buffer = new byte[Math.Max(1, Multibase.GetMaxDecodedLength(text))];
        OperationStatus status = Multibase.TryDecode(text, buffer, out int written, out MultibaseEncoding encoding, out MultiformatError error);
        FuzzInput.Check(status != OperationStatus.DestinationTooSmall, "GetMaxDecodedLength too small");
        if (status == OperationStatus.Done)
        {
            FuzzInput.Check(Multibase.Encode(encoding, buffer.AsSpan(0, written)) == text, "multibase decode → encode is not the identity");
            FuzzInput.Check(Multibase.Decode(text).AsSpan().SequenceEqual(buffer.AsSpan(0, written)), "Decode differs from TryDecode");
        }
        else
        {
            Expect<MultiformatException>(() => Multibase.Decode(text), e => e.Error == error);
        }

        if (text.Length <= 512)
        {
            byte[] b58 = new byte[Base58.GetMaxDecodedLength(text.Length)];
            if (Base58.TryDecode(text, b58, out int n) == OperationStatus.Done)
            {
                FuzzInput.Check(Base58.Encode(b58.AsSpan(0, n)) == text, "base58 decode → encode is not the identity");
            }
            else
            {
                Expect<MultiformatException>(() => Base58.Decode(text), e => e.Error == MultiformatError.InvalidCharacter);
            }
        }

        if (Cid.TryParse(text, out Cid cid, out MultiformatError cidError))
        {
            Cid again = Cid.FromBytes(cid.ToBytes());
            FuzzInput.Check(again == cid, "CID bytes do not round trip");
            FuzzInput.Check(Cid.Parse(cid.ToString()) == cid, "CID text does not round trip");
        }
        else
        {
            Expect<MultiformatException>(() => Cid.Parse(text), e => e.Error == cidError);
        }

        ReadOnlySpan<byte> raw = input[1..];
        if (Multihash.TryParse(raw, out ulong code, out ReadOnlySpan<byte> digest, out _))
        {
            FuzzInput.Check(Multihash.Create(code, digest).AsSpan().SequenceEqual(raw), "multihash does not round trip");
        }
        if (Cid.TryParseBytes(raw, out _, out _, out _, out _))
        {
            FuzzInput.Check(Cid.FromBytes(raw).ToBytes().AsSpan().SequenceEqual(raw), "binary CID does not round trip");
        }
    }

    private static void Expect<T>(Action action, Func<T, bool> check)
        where T : Exception
    {
        try
        {
            action();
        }
        catch (T ex)
        {
            FuzzInput.Check(check(ex), "throwing path reports another error: " + ex.Message);
            return;
        }
        FuzzInput.Check(false, "throwing path accepted what the Try path refused");
    }
}
