namespace Mesh.Fuzz;

/// <summary>
/// The explicit registry of fuzz targets (no assembly scanning). Every entry needs a seed corpus in
/// fuzz/corpus/NAME/; tests/Mesh.Fuzz.Tests runs every target over its corpus and fails if one has none.
/// </summary>
public static class FuzzTargets
{
    public static IReadOnlyList<IFuzzTarget> All { get; } =
    [
        // Targets are added here, one line each, grouped by layer.
        new Multistream.UvarintFuzzTarget(),
        new Multistream.MultiaddrBinaryFuzzTarget(),
        new Multistream.MultiaddrTextFuzzTarget(),
        new Multistream.MultibaseFuzzTarget(),
        new Multistream.MultistreamFuzzTarget(),
        new Transport.IdentifyFuzzTarget(),
        new Transport.NoiseFrameFuzzTarget(),
        new Transport.NoisePayloadFuzzTarget(),
        new Transport.NoiseHandshakeFuzzTarget(),
        new Transport.RpcUnaryEnvelopeFuzzTarget(),
        new Transport.RpcStreamFrameFuzzTarget(),
        new Transport.YamuxFrameFuzzTarget(),
        new Transport.KeyProtobufFuzzTarget(),
        new Transport.PeerIdTextFuzzTarget(),
        new Transport.OpenSshKeyFuzzTarget(),
        new Transport.IdentityFileFuzzTarget(),
        new Node.ScaleFuzzTarget(),
        new Node.MetadataFuzzTarget(),
        new Kademlia.MsgPackFuzzTarget(),
        new Kademlia.RecordMarkersFuzzTarget(),
        new Kademlia.KadMessageFuzzTarget(),
        new Kademlia.DhtMessagesFuzzTarget(),
    ];

    public static IFuzzTarget? Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
}
