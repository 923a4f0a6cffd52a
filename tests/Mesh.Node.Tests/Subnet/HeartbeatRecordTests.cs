using System.Text;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Validation;
using Mesh.Node.Subnet;
using Mesh.Transport.Identity;

namespace Mesh.Node.Tests.Subnet;

/// <summary>Heartbeat record key/subkey layout and the peer recovered from it.</summary>
public sealed class HeartbeatRecordTests
{
    [Theory]
    [InlineData(KeyType.Ed25519)]
    [InlineData(KeyType.Rsa)]
    public void Subkey_is_base58_peer_id_then_owner_marker_and_reads_back_as_that_peer(KeyType type)
    {
        PrivateKey key = PrivateKey.Generate(type);
        byte[] subkey = HeartbeatRecord.Subkey(key.PeerId, key.PublicKey);
        string text = Encoding.ASCII.GetString(subkey);
        Assert.StartsWith(key.PeerId + "[owner:ssh-", text);
        Assert.EndsWith("]", text);
        Assert.Equal(Encoding.ASCII.GetBytes(key.PeerId.ToString()).Concat(SignatureValidator.FormatOwnerMarker(key.PublicKey)), subkey);
        Assert.True(HeartbeatRecord.TryGetPeerId(MsgValue.FromBytes(subkey), out PeerId peer));
        Assert.Equal(key.PeerId, peer);
    }

    [Fact]
    public void A_prefix_naming_another_peer_or_a_subkey_without_owner_is_not_a_heartbeat()
    {
        PrivateKey a = PrivateKey.Generate(KeyType.Ed25519), b = PrivateKey.Generate(KeyType.Ed25519);
        byte[] forged = [.. Encoding.ASCII.GetBytes(b.PeerId.ToString()), .. SignatureValidator.FormatOwnerMarker(a.PublicKey)];
        Assert.False(HeartbeatRecord.TryGetPeerId(MsgValue.FromBytes(forged), out _));
        Assert.False(HeartbeatRecord.TryGetPeerId(MsgValue.FromBytes(Encoding.ASCII.GetBytes(a.PeerId.ToString())), out _));
        Assert.False(HeartbeatRecord.TryGetPeerId(MsgValue.FromString(a.PeerId.ToString()), out _));
        Assert.False(HeartbeatRecord.TryGetPeerId(MsgValue.FromBytes("[owner:ssh-ed25519 garbage]"u8.ToArray()), out _));
    }

    [Fact]
    public void Expiration_is_twice_the_period_but_at_least_three_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(240), HeartbeatRecord.ExpirationFor(TimeSpan.FromSeconds(120)));
        Assert.Equal(TimeSpan.FromSeconds(3), HeartbeatRecord.ExpirationFor(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Parse_keeps_valid_entries_sorted_and_counts_malformed_ones()
    {
        PrivateKey a = PrivateKey.Generate(KeyType.Ed25519), b = PrivateKey.Generate(KeyType.Rsa);
        MsgValue good = new ServerInfo(ServerState.Online, "validator", 1.0).ToTuple();
        DhtSubkeyEntry[] entries =
        [
            new(MsgValue.FromBytes(HeartbeatRecord.Subkey(a.PeerId, a.PublicKey)), good, 100),
            new(MsgValue.FromBytes(HeartbeatRecord.Subkey(b.PeerId, b.PublicKey)), good, 200),
            new(MsgValue.FromBytes(HeartbeatRecord.Subkey(b.PeerId, b.PublicKey)), good, 300), // the longer-lived copy wins
            new(MsgValue.FromBytes(HeartbeatRecord.Subkey(a.PeerId, a.PublicKey)), MsgValue.Tuple(9, "x", 1.0), 100),
            new(MsgValue.FromString("garbage"), good, 100),
        ];
        IReadOnlyList<NodeHeartbeat> parsed = HeartbeatRecord.Parse(entries, out int malformed);
        Assert.Equal(2, malformed);
        Assert.Equal(new[] { a.PeerId, b.PeerId }.OrderBy(p => p.ToString(), StringComparer.Ordinal), parsed.Select(h => h.PeerId));
        Assert.Equal(300, parsed.Single(h => h.PeerId == b.PeerId).ExpirationTime);
    }
}
