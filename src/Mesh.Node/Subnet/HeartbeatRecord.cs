using System.Text;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Validation;
using Mesh.Transport.Identity;

namespace Mesh.Node.Subnet;

/// <summary>A live node as its heartbeat record says: who (from the record's owner key), its state, until when.</summary>
public sealed record NodeHeartbeat(PeerId PeerId, ServerInfo Server, double ExpirationTime);

/// <summary>
/// The heartbeat record of the mesh template (mesh-reference §7.6, <c>declare_node_sig</c>): key <c>"heartbeat"</c>, one
/// subkey per node = the base58 text of its peer id followed by <c>[owner:&lt;OpenSSH public key&gt;]</c> (so the
/// signature validator makes the record writable by that key only), value = <see cref="ServerInfo.ToTuple"/>,
/// expiration = now + max(2 × update period, 3 s) (the DHT time discrepancy bound).
/// </summary>
public static class HeartbeatRecord
{
    public const string Key = "heartbeat";

    /// <summary><c>MAX_DHT_TIME_DISCREPANCY_SECONDS</c>: the shortest expiration a heartbeat gets.</summary>
    public static readonly TimeSpan MinimumExpiration = TimeSpan.FromSeconds(3);

    /// <summary>The record's lifetime for an update period: max(2 · period, 3 s) (the Python server's default).</summary>
    public static TimeSpan ExpirationFor(TimeSpan updatePeriod) =>
        2 * updatePeriod > MinimumExpiration ? 2 * updatePeriod : MinimumExpiration;

    /// <summary>The subkey bytes: <c>peer_id.to_base58().encode() + b"[owner:…]"</c>.</summary>
    public static byte[] Subkey(PeerId peer, PublicKey key) =>
        [.. Encoding.ASCII.GetBytes(peer.ToString()), .. SignatureValidator.FormatOwnerMarker(key)];

    /// <summary>
    /// The node a heartbeat subkey belongs to: the peer id of the key in its <c>[owner:…]</c> marker (Python's
    /// <c>extract_peer_id_from_record_validator</c>), provided the base58 prefix names that same peer (a Python node
    /// always writes it so; a prefix naming another peer is a forgery attempt or garbage and is refused).
    /// </summary>
    public static bool TryGetPeerId(in MsgValue subkey, out PeerId peer)
    {
        peer = default;
        if (subkey.Kind != MsgKind.Binary)
        {
            return false;
        }
        ReadOnlySpan<byte> bytes = subkey.AsSpan();
        if (!TryGetOwnerPeerId(bytes, out PeerId owner))
        {
            return false;
        }
        int marker = bytes.IndexOf(RecordMarkers.OwnerPrefix);
        if (marker <= 0 || !bytes[..marker].SequenceEqual(Encoding.ASCII.GetBytes(owner.ToString())))
        {
            return false;
        }
        peer = owner;
        return true;
    }

    /// <summary>The peer id of the first <c>[owner:…]</c> key in <paramref name="data"/> (RSA or Ed25519 OpenSSH text).</summary>
    public static bool TryGetOwnerPeerId(ReadOnlySpan<byte> data, out PeerId peer)
    {
        peer = default;
        if (!RecordMarkers.TryFind(data, RecordMarkers.OwnerPrefix, 0, out MarkerMatch match))
        {
            return false;
        }
        ReadOnlySpan<byte> text = data[match.Content];
        if (text.Length > OpenSshPublicKey.MaxTextLength || !OpenSshPublicKey.TryParse(text, out PublicKey? key) || !MeshSignatureScheme.IsSupported(key.Type))
        {
            return false;
        }
        peer = key.PeerId;
        return true;
    }

    /// <summary>The valid heartbeats among a dictionary record's entries; malformed ones are skipped (and counted).</summary>
    public static IReadOnlyList<NodeHeartbeat> Parse(IEnumerable<DhtSubkeyEntry> entries, out int malformed)
    {
        var byPeer = new Dictionary<PeerId, NodeHeartbeat>();
        malformed = 0;
        foreach (DhtSubkeyEntry entry in entries)
        {
            if (!TryGetPeerId(entry.Subkey, out PeerId peer) || !ServerInfo.TryFromTuple(entry.Value, out ServerInfo? info, out _))
            {
                malformed++;
                continue;
            }
            // One subkey per peer by construction; keep the longest-lived if a peer somehow has two.
            if (!byPeer.TryGetValue(peer, out NodeHeartbeat? seen) || seen.ExpirationTime < entry.ExpirationTime)
            {
                byPeer[peer] = new NodeHeartbeat(peer, info, entry.ExpirationTime);
            }
        }
        return [.. byPeer.Values.OrderBy(h => h.PeerId.ToString(), StringComparer.Ordinal)];
    }
}
