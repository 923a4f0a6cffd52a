using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Routing;
using Mesh.Kademlia.Serialization;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Protocol;

/// <summary><c>FindResult.type</c>, once validated.</summary>
public enum DhtValueKind
{
    /// <summary>No value, or one that failed validation (mesh treats both as "not found").</summary>
    NotFound,

    /// <summary>A plain value: <see cref="DhtFindResult.Value"/> is its serialized (signed) bytes.</summary>
    Regular,

    /// <summary>A dictionary: <see cref="DhtFindResult.Dictionary"/> holds its subkeys.</summary>
    Dictionary,
}

/// <summary>What one peer answered about one key (mesh <c>call_find</c>'s <c>(value_with_expiration, nearest)</c>).</summary>
public sealed class DhtFindResult
{
    internal DhtFindResult(DhtId key, DhtValueKind kind, ReadOnlyMemory<byte> value, DictionaryDhtValue? dictionary, double expirationTime, RoutingEntry<DhtId, PeerId>[] nearest)
    {
        Key = key;
        Kind = kind;
        Value = value;
        Dictionary = dictionary;
        ExpirationTime = expirationTime;
        Nearest = nearest;
    }

    public DhtId Key { get; }

    public DhtValueKind Kind { get; }

    /// <summary>The plain value's bytes as stored (signatures included); empty otherwise.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The dictionary value (every subkey validated); null otherwise.</summary>
    public DictionaryDhtValue? Dictionary { get; }

    /// <summary>The value's expiration (a dictionary's <c>latest_expiration_time</c>); NaN when not found.</summary>
    public double ExpirationTime { get; }

    /// <summary>The peer's nearest nodes to the key (never the requester), nearest first as sent.</summary>
    public RoutingEntry<DhtId, PeerId>[] Nearest { get; }
}
