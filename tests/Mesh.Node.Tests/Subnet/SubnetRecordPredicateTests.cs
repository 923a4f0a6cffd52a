using System.Text;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Validation;
using Mesh.Node.Chain.Hypertensor;
using Mesh.Node.Subnet;
using Mesh.Transport.Identity;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Node.Tests.Subnet;

/// <summary>
/// The template's record predicate behind the signature validator, through the real record path (sign, validate as
/// POST on store, as GET on read): the key whitelist per epoch, per-owner limits, expiration caps, commit and reveal
/// windows, and what happens to unsigned or forged records.
/// </summary>
public sealed class SubnetRecordPredicateTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SubnetEpochClock _clock = new();
    private readonly SubnetRecordPredicate _predicate;
    private readonly InMemorySubnetDht _dht;
    private readonly PrivateKey _me = PrivateKey.Generate(KeyType.Ed25519);

    public SubnetRecordPredicateTests()
    {
        _predicate = new SubnetRecordPredicate(_clock, time: _time);
        _dht = new InMemorySubnetDht(new CompositeValidator([new SignatureValidator(PrivateKey.Generate(KeyType.Ed25519)), new PredicateValidator(_predicate)]), _time);
        SetEpoch(epoch: 4, block: 0);
    }

    private double Now => _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>Block <paramref name="block"/> (0–19) of subnet epoch <paramref name="epoch"/> (slot 3, 20-block epochs).</summary>
    private void SetEpoch(uint epoch, uint block) => _clock.Update(ChainClock.At(3 + epoch * 20ul + block, 20, 3));

    private MsgValue OwnedSubkey(PrivateKey key) => MsgValue.FromBytes(HeartbeatRecord.Subkey(key.PeerId, key.PublicKey));

    private ValueTask<bool> Store(string key, double lifetime, PrivateKey? owner = null) =>
        _dht.For(owner ?? _me).StoreAsync(key, OwnedSubkey(owner ?? _me), MsgValue.FromString("v"), Now + lifetime, CancellationToken.None);

    [Fact]
    public async Task Heartbeats_are_accepted_up_to_the_cap_and_the_per_epoch_limit()
    {
        Assert.False(await Store(HeartbeatRecord.Key, 1981)); // past MAX_HEART_BEAT_TIME (not counted)
        for (int i = 0; i < 100; i++)
        {
            Assert.True(await Store(HeartbeatRecord.Key, 10 + i)); // newer each time, so the DHT keeps each
        }
        Assert.False(await Store(HeartbeatRecord.Key, 500)); // the 101st of this epoch
        Assert.True(await Store(HeartbeatRecord.Key, 1980, PrivateKey.Generate(KeyType.Ed25519))); // another owner, exactly at the cap
        SetEpoch(5, 0);
        Assert.True(await Store(HeartbeatRecord.Key, 600)); // a new epoch, a new budget
    }

    [Fact]
    public async Task Commits_until_half_the_epoch_reveals_until_sixty_percent_once_each_and_only_for_the_current_epoch()
    {
        SetEpoch(4, 10); // 50 %: still the commit window
        Assert.True(await Store(SubnetRecordPredicate.CommitKey(4), 100));
        Assert.False(await Store(SubnetRecordPredicate.CommitKey(4), 101)); // once per epoch
        Assert.False(await Store(SubnetRecordPredicate.CommitKey(5), 100, PrivateKey.Generate(KeyType.Ed25519))); // not this epoch's key
        Assert.False(await Store(SubnetRecordPredicate.RevealKey(4), 100)); // reveals open after 50 %
        SetEpoch(4, 11);
        Assert.False(await Store(SubnetRecordPredicate.CommitKey(4), 100, PrivateKey.Generate(KeyType.Ed25519))); // commit window closed
        Assert.True(await Store(SubnetRecordPredicate.RevealKey(4), 3600));
        Assert.False(await Store(SubnetRecordPredicate.RevealKey(4), 3601, PrivateKey.Generate(KeyType.Ed25519))); // past the cap
        SetEpoch(4, 13); // 65 %
        Assert.False(await Store(SubnetRecordPredicate.RevealKey(4), 100, PrivateKey.Generate(KeyType.Ed25519)));
    }

    [Fact]
    public async Task Other_keys_unowned_records_and_forged_signatures_are_refused()
    {
        Assert.False(await Store("node", 100)); // the CR key, not whitelisted in MT
        Assert.False(await _dht.For(_me).StoreAsync(HeartbeatRecord.Key, MsgValue.FromBytes(Encoding.ASCII.GetBytes(_me.PeerId.ToString())),
            MsgValue.FromString("v"), Now + 100, CancellationToken.None)); // no owner marker
        // A record claiming our key as owner, signed by someone else.
        PrivateKey forger = PrivateKey.Generate(KeyType.Ed25519);
        byte[] subkey = MsgPackSerializer.Serialize(OwnedSubkey(_me));
        byte[] value = MsgPackSerializer.Serialize(MsgValue.FromString("v"));
        var record = new DhtRecord(DhtId.Generate(HeartbeatRecord.Key).ToBytes(), subkey, value, Now + 100);
        byte[] forgedSubkey = MsgPackSerializer.Serialize(OwnedSubkey(forger));
        byte[] signedByForger = new SignatureValidator(forger).SignValue(new DhtRecord(record.Key, forgedSubkey, value, record.ExpirationTime)).ToArray();
        Assert.False(_dht.StoreRaw(HeartbeatRecord.Key, subkey, signedByForger, record.ExpirationTime));
        Assert.True(_predicate.Refused >= 2);
    }

    [Fact]
    public void Get_passes_records_with_an_owner_and_refuses_unowned_ones()
    {
        byte[] key = DhtId.Generate(HeartbeatRecord.Key).ToBytes();
        byte[] owned = MsgPackSerializer.Serialize(OwnedSubkey(_me));
        Assert.True(_predicate.IsValid(new DhtRecord(key, owned, new byte[] { 0xc0 }, Now + 1e9), DhtRecordRequestType.Get));
        Assert.False(_predicate.IsValid(new DhtRecord(key, new byte[] { 0xc0 }, new byte[] { 0xc0 }, Now + 10), DhtRecordRequestType.Get));
    }

    [Fact]
    public async Task Owners_tracked_per_epoch_are_bounded()
    {
        var tight = new SubnetRecordPredicate(_clock, new SubnetRecordLimits { MaxTrackedOwnersPerEpoch = 3 }, _time);
        var dht = new InMemorySubnetDht(new CompositeValidator([new SignatureValidator(PrivateKey.Generate(KeyType.Ed25519)), new PredicateValidator(tight)]), _time);
        PrivateKey[] owners = [.. Enumerable.Range(0, 4).Select(_ => PrivateKey.Generate(KeyType.Ed25519))];
        bool[] stored = new bool[4];
        for (int i = 0; i < 4; i++)
        {
            stored[i] = await dht.For(owners[i]).StoreAsync(HeartbeatRecord.Key, OwnedSubkey(owners[i]), MsgValue.FromString("v"), Now + 10, CancellationToken.None);
        }
        Assert.Equal([true, true, true, false], stored);
        Assert.True(await dht.For(owners[0]).StoreAsync(HeartbeatRecord.Key, OwnedSubkey(owners[0]), MsgValue.FromString("v"), Now + 20, CancellationToken.None));
    }
}
