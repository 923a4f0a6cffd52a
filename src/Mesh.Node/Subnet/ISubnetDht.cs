using Mesh.Kademlia.Serialization;
using Mesh.Transport.Identity;

namespace Mesh.Node.Subnet;

/// <summary>One subkey of a dictionary record as a reader gets it: signature stripped, expiration absolute (unix s).</summary>
public readonly record struct DhtSubkeyEntry(MsgValue Subkey, MsgValue Value, double ExpirationTime);

/// <summary>
/// What the subnet node's services (heartbeat, consensus, predicate-checked app records) need from the mesh DHT: store
/// one signed subkey of a dictionary record, and read a dictionary record back. The real implementation is the mesh
/// DHT node (records signed and validated by the node's <c>SignatureValidator</c> and predicate); tests use an
/// in-memory one. Keys are DHT keys as the Python mesh gives them (a string such as <c>"heartbeat"</c>, hashed to
/// its DHTID by the DHT).
/// </summary>
public interface ISubnetDht
{
    /// <summary>This node's peer id.</summary>
    PeerId LocalPeer { get; }

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/>/<paramref name="subkey"/> until
    /// <paramref name="expirationTime"/> (unix seconds), signing it when the subkey names our key as owner. True when
    /// at least one replica (possibly this node) accepted it.
    /// </summary>
    ValueTask<bool> StoreAsync(string key, MsgValue subkey, MsgValue value, double expirationTime, CancellationToken cancellationToken);

    /// <summary>
    /// The subkeys of the dictionary record under <paramref name="key"/> that are not expired (empty when there is
    /// none, or when the value is not a dictionary). <paramref name="latest"/> searches the whole beam for the newest
    /// values (hivemind <c>get(latest=True)</c>) instead of stopping at the first.
    /// </summary>
    ValueTask<IReadOnlyList<DhtSubkeyEntry>> GetDictionaryAsync(string key, bool latest, CancellationToken cancellationToken);
}
