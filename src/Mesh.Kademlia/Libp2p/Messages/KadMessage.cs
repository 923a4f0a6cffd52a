namespace Mesh.Kademlia.Libp2p.Messages;

/// <summary>
/// One <c>/ipfs/kad/1.0.0</c> <c>Message</c> (libp2p kad-dht spec, "RPC messages"; libp2p-specs.md §2i), request or
/// response. Immutable; the codec copies every byte it keeps out of the receive buffer.
/// </summary>
/// <remarks>
/// Presence follows go-libp2p-kad-dht's proto3 encoding of the same tags (js-libp2p does the same): a field at its
/// default (type PUT_VALUE, empty key, cluster level 0) is not written and reads back as that default, so "absent"
/// and "empty" are one state.
/// </remarks>
public sealed record KadMessage
{
    public KadMessageType Type { get; init; }

    /// <summary>Field 10, unused by every implementation; echoed in responses as js does.</summary>
    public int ClusterLevelRaw { get; init; }

    /// <summary>FIND_NODE: a binary peer id; GET_VALUE/PUT_VALUE: the record key; *_PROVIDER(S): a multihash.</summary>
    public ReadOnlyMemory<byte> Key { get; init; }

    public KadRecord? Record { get; init; }

    public IReadOnlyList<KadPeer> CloserPeers { get; init; } = [];

    public IReadOnlyList<KadPeer> ProviderPeers { get; init; } = [];

    public override string ToString() =>
        $"{Type}(key {Key.Length} B{(Record is null ? "" : ", " + Record)}, {CloserPeers.Count} closer, {ProviderPeers.Count} providers)";
}
