using Mesh.Kademlia.Serialization;

namespace Mesh.Kademlia.Node;

/// <summary>hivemind <c>ValueWithExpiration</c>: a value and the absolute time (DHT time, unix seconds) it expires at.</summary>
public readonly record struct ValueWithExpiration(MsgValue Value, double ExpirationTime);

/// <summary>
/// What <see cref="DhtNode.GetAsync"/> returns (mesh-reference §1.8): a plain value, or a dictionary of subkeys each
/// with its own expiration; signatures already stripped, values deserialized.
/// </summary>
public sealed class DhtValue
{
    internal DhtValue(MsgValue value, double expirationTime, IReadOnlyDictionary<MsgValue, ValueWithExpiration>? subkeys)
    {
        Value = value;
        ExpirationTime = expirationTime;
        Subkeys = subkeys;
    }

    /// <summary>The plain value (nil for a dictionary).</summary>
    public MsgValue Value { get; }

    /// <summary>When the value expires; for a dictionary, the latest expiration of its subkeys.</summary>
    public double ExpirationTime { get; }

    /// <summary>For a dictionary value: subkey → value and its expiration (live subkeys only); null for a plain value.</summary>
    public IReadOnlyDictionary<MsgValue, ValueWithExpiration>? Subkeys { get; }

    public bool IsDictionary => Subkeys is not null;

    public override string ToString() => IsDictionary
        ? $"{{{string.Join(", ", Subkeys!.Select(p => $"{p.Key}: ({p.Value.Value}, {p.Value.ExpirationTime:R})"))}}} (expires {ExpirationTime:R})"
        : $"{Value} (expires {ExpirationTime:R})";
}

/// <summary>One item of <see cref="DhtNode.StoreManyAsync"/>: a key, a value, its expiration and an optional subkey.</summary>
public readonly record struct DhtStoreItem(MsgValue Key, MsgValue Value, double ExpirationTime, MsgValue? Subkey = null);
