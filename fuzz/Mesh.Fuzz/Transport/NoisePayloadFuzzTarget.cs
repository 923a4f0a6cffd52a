using Mesh.Transport.Noise;

namespace Mesh.Fuzz.Transport;

/// <summary>
/// The NoiseHandshakePayload protobuf decoder (what a peer's msg 2 / msg 3 decrypts to). Differential: every accepted
/// payload re-encodes canonically, and that encoding decodes to the same fields and re-encodes to the same bytes.
/// </summary>
public sealed class NoisePayloadFuzzTarget : IFuzzTarget
{
    public string Name => "noise-payload";

    public void Run(ReadOnlySpan<byte> input)
    {
        bool ok = NoisePayloadCodec.TryDecode(input, out NoiseHandshakePayload? payload, out NoisePayloadError error);
        bool threw = false;
        try
        {
            NoisePayloadCodec.Decode(input);
        }
        catch (NoiseHandshakeException ex) when (ex.Error == NoiseError.InvalidPayload)
        {
            threw = true;
        }
        if (ok == threw || (!ok && error == NoisePayloadError.None))
        {
            throw new InvalidOperationException($"TryDecode and Decode disagree ({ok}, {error}, threw {threw})");
        }
        if (!ok)
        {
            return;
        }
        byte[] encoded = NoisePayloadCodec.Encode(payload!);
        NoiseHandshakePayload again = NoisePayloadCodec.Decode(encoded);
        if (!payload!.IdentityKey.Span.SequenceEqual(again.IdentityKey.Span)
            || !payload.IdentitySignature.Span.SequenceEqual(again.IdentitySignature.Span)
            || (payload.Extensions is null) != (again.Extensions is null)
            || (payload.Extensions is not null
                && (!payload.Extensions.StreamMuxers.SequenceEqual(again.Extensions!.StreamMuxers)
                    || payload.Extensions.WebTransportCertHashes.Count != again.Extensions.WebTransportCertHashes.Count
                    || !payload.Extensions.WebTransportCertHashes.Zip(again.Extensions.WebTransportCertHashes).All(p => p.First.Span.SequenceEqual(p.Second.Span)))))
        {
            throw new InvalidOperationException("re-encoded payload does not decode to the same fields");
        }
        if (!NoisePayloadCodec.Encode(again).AsSpan().SequenceEqual(encoded))
        {
            throw new InvalidOperationException("encoding is not canonical");
        }
    }
}
