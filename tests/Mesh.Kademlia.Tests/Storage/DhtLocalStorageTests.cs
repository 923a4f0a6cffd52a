using System.Buffers.Binary;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Validation;

namespace Mesh.Kademlia.Tests.Storage;

/// <summary>hivemind tests/test_dht_storage.py ported (clock driven by hand instead of sleeping), plus limits and concurrency.</summary>
public sealed class DhtLocalStorageTests
{
    private const double T0 = 1700000000.25;

    private static (DhtLocalStorage Storage, ManualDhtClock Clock) Create(int? maxsize = null, Func<RecordStoreOptions, RecordStoreOptions>? configure = null)
    {
        var clock = new ManualDhtClock(T0);
        var options = new RecordStoreOptions { Clock = clock, MaxRecords = maxsize, CapacityPolicy = CapacityPolicy.EvictEarliestExpiring };
        return (new DhtLocalStorage(configure is null ? options : configure(options)), clock);
    }

    private static DhtId K(string key) => DhtId.Generate(key);

    private static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    private static string Value(DhtLocalStorage d, string key) =>
        d.TryGet(K(key), out StoredValue v) ? System.Text.Encoding.UTF8.GetString(v.Value.Span) : "<none>";

    [Fact]
    public void Store()
    {
        (DhtLocalStorage d, _) = Create();
        d.StoreValue(K("key"), B("val"), T0 + 0.5);
        Assert.Equal("val", Value(d, "key"));
    }

    [Fact]
    public void Get_expired()
    {
        (DhtLocalStorage d, ManualDhtClock clock) = Create();
        d.StoreValue(K("key"), B("val"), T0 + 0.1);
        clock.Advance(0.5);
        Assert.False(d.TryGet(K("key"), out _), "Expired value must be deleted");
        Assert.Equal(1, d.Sweep());
        Assert.Equal(0, d.Count);
    }

    [Fact]
    public void Get_empty()
    {
        (DhtLocalStorage d, _) = Create();
        Assert.Null(d.Get(K("key")));
    }

    [Fact]
    public void Change_expiration_time()
    {
        (DhtLocalStorage d, ManualDhtClock clock) = Create();
        d.StoreValue(K("key"), B("val1"), T0 + 1);
        Assert.Equal("val1", Value(d, "key"));
        d.StoreValue(K("key"), B("val2"), T0 + 200);
        clock.Advance(1);
        Assert.Equal("val2", Value(d, "key"));
    }

    [Fact]
    public void Maxsize_cache()
    {
        (DhtLocalStorage d, _) = Create(maxsize: 2);
        d.StoreValue(K("key1a"), B("val1a"), T0 + 1);
        d.StoreValue(K("key1b"), B("val1b"), T0 + 1);
        d.StoreValue(K("key1a"), B("val1a2"), T0 + 2);
        d.StoreValue(K("key2"), B("val2"), T0 + 200);
        Assert.Equal("val2", Value(d, "key2"));
        Assert.Equal("val1a2", Value(d, "key1a"));
        Assert.Equal("<none>", Value(d, "key1b"));
    }

    [Fact]
    public void Localstorage_top()
    {
        (DhtLocalStorage d, _) = Create(maxsize: 3);
        d.StoreValue(K("key1"), B("val1"), T0 + 1);
        d.StoreValue(K("key2"), B("val2"), T0 + 2);
        d.StoreValue(K("key3"), B("val3"), T0 + 4);
        AssertTop(d, "key1", "val1");

        d.StoreValue(K("key1"), B("val1_new"), T0 + 3);
        AssertTop(d, "key2", "val2");

        Assert.True(d.Remove(K("key2")));
        AssertTop(d, "key1", "val1_new");
        d.StoreValue(K("key2"), B("val2_new"), T0 + 5);
        d.StoreValue(K("key4"), B("val4"), T0 + 6); // key4 pushes key1 out (maxsize)
        AssertTop(d, "key3", "val3");
    }

    private static void AssertTop(DhtLocalStorage d, string key, string value)
    {
        Assert.True(d.TryGetTop(out DhtId topKey, out StoredValue top));
        Assert.Equal(K(key), topKey);
        Assert.Equal(value, System.Text.Encoding.UTF8.GetString(top.Value.Span));
    }

    [Fact]
    public void Localstorage_nested()
    {
        (DhtLocalStorage d1, _) = Create();
        var d2 = new DictionaryDhtValue(T0 + 3, [
            DictionaryDhtItem.Create("subkey1", B("value1"), T0 + 2),
            DictionaryDhtItem.Create("subkey2", B("value2"), T0 + 3),
            DictionaryDhtItem.Create("subkey3", B("value3"), T0 + 1),
        ]);
        foreach (DictionaryDhtItem item in d2.Items)
        {
            Assert.True(d1.StoreSubkey(K("foo"), item.PackedSubkey, item.Value, item.ExpirationTime).IsStored());
        }
        Assert.True(d1.StoreValue(K("bar"), B("456"), T0 + 2).IsStored());
        StoredValue foo = d1.Get(K("foo"))!.Value;
        Assert.Equal(d2, foo.Dictionary);
        Assert.Equal(d2.LatestExpirationTime, foo.ExpirationTime);
        Assert.True(foo.Dictionary!.TryGetItem(MsgPackSerializer.SerializeString("subkey1"), out DictionaryDhtItem s1));
        Assert.Equal(B("value1"), s1.Value.ToArray());
        Assert.Equal(T0 + 2, s1.ExpirationTime);
        Assert.Equal(3, foo.Dictionary.Count);
        Assert.True(d1.StoreSubkey(K("foo"), "subkey4", B("value4"), T0 + 4).IsStored());
        Assert.Equal(4, d1.Get(K("foo"))!.Value.Dictionary!.Count);

        Assert.Equal(PutStatus.Older, d1.StoreSubkey(K("bar"), "subkeyA", B("valueA"), T0 + 1)); // prev has better expiration
        Assert.True(d1.StoreSubkey(K("bar"), "subkeyA", B("valueA"), T0 + 3).IsStored());
        Assert.True(d1.StoreSubkey(K("bar"), "subkeyB", B("valueB"), T0 + 4).IsStored());
        Assert.True(d1.StoreSubkey(K("bar"), "subkeyA", B("valueA+"), T0 + 5).IsStored());
        StoredValue bar = d1.Get(K("bar"))!.Value;
        Assert.Equal(["subkeyA", "subkeyB"], bar.Dictionary!.Items.Select(i => i.DecodeSubkey().AsString()));
        Assert.Equal(T0 + 5, bar.ExpirationTime);

        Assert.Equal(PutStatus.Older, d1.StoreValue(K("foo"), B("nothing"), T0 + 3.5));
        Assert.True(d1.Get(K("foo"))!.Value.Dictionary!.TryGetItem(MsgPackSerializer.SerializeString("subkey2"), out DictionaryDhtItem s2));
        Assert.Equal(T0 + 3, s2.ExpirationTime);
        Assert.Equal(PutStatus.Stored, d1.StoreValue(K("foo"), B("nothing"), T0 + 5));
        StoredValue replaced = d1.Get(K("foo"))!.Value;
        Assert.False(replaced.IsDictionary);
        Assert.Equal(B("nothing"), replaced.Value.ToArray());
        Assert.Equal(T0 + 5, replaced.ExpirationTime);
    }

    [Fact]
    public void Localstorage_freeze()
    {
        (DhtLocalStorage d, ManualDhtClock clock) = Create(maxsize: 2);
        using (d.Freeze())
        {
            d.StoreValue(K("key1"), B("val1"), T0 + 0.01);
            Assert.True(d.Contains(K("key1")));
            clock.Advance(0.03);
            Assert.True(d.Contains(K("key1")));
        }
        Assert.False(d.Contains(K("key1")));

        using (d.Freeze())
        {
            d.StoreValue(K("key1"), B("val1"), clock.Value + 1);
            d.StoreValue(K("key2"), B("val2"), clock.Value + 2);
            d.StoreValue(K("key3"), B("val3"), clock.Value + 3); // key3 pushes key1 out once unfrozen
            Assert.True(d.Contains(K("key1")));
        }
        Assert.False(d.Contains(K("key1")));
        Assert.Equal(2, d.Count);
    }

    [Fact]
    public void Localstorage_serialize()
    {
        var d1 = new DictionaryDhtValue(T0 + 1, [DictionaryDhtItem.Create("key1", B("ololo"), T0 + 1)]);
        var d2 = new DictionaryDhtValue(T0 + 2, [
            DictionaryDhtItem.Create("key2", B("pysh"), T0 + 1),
            DictionaryDhtItem.Create("key3", B("pyshpysh"), T0 + 2),
        ]);
        byte[] data = MsgPackSerializer.Serialize(MsgValue.Array(MsgValue.FromDictionary(d1), MsgValue.FromDictionary(d2), 123321));
        var items = MsgPackSerializer.Deserialize(data).AsItems();
        DictionaryDhtValue newD1 = items[0].AsDictionary(), newD2 = items[1].AsDictionary();
        Assert.Equal(123321, items[2].AsInt64());
        Assert.True(newD1.TryGetItem(MsgPackSerializer.SerializeString("key1"), out _) && newD1.Count == 1);
        Assert.False(newD2.TryGetItem(MsgPackSerializer.SerializeString("key1"), out _));
        Assert.Equal(2, newD2.Count);
        Assert.True(newD2.TryGetItem(MsgPackSerializer.SerializeString("key3"), out DictionaryDhtItem key3));
        Assert.Equal(B("pyshpysh"), key3.Value.ToArray());
        Assert.Equal(T0 + 2, key3.ExpirationTime);
    }

    // ---- beyond hivemind's tests ---------------------------------------------------------------------------------

    [Fact]
    public void Rejected_older_store_does_not_shorten_the_kept_value()
    {
        (DhtLocalStorage d, ManualDhtClock clock) = Create();
        Assert.Equal(PutStatus.Stored, d.StoreValue(K("A"), B("long"), T0 + 100));
        Assert.Equal(PutStatus.Older, d.StoreValue(K("A"), B("short"), T0 + 5));
        clock.Advance(5.5);
        Assert.Equal(0, d.Sweep());
        Assert.Equal("long", Value(d, "A"));
        clock.Advance(95);
        Assert.Equal(1, d.Sweep());
        Assert.Equal("<none>", Value(d, "A"));
    }

    [Fact]
    public void Store_dispatches_on_the_subkey_tag_and_canonicalises_subkeys()
    {
        (DhtLocalStorage d, _) = Create();
        byte[] key = K("k").ToBytes();
        Assert.Equal(PutStatus.Stored, d.Store(new DhtRecord(key, new byte[] { 0xc0 }, B("plain"), T0 + 10)));
        Assert.Equal("plain", Value(d, "k"));

        // A subkey "node" sent as a non-minimal str8 is the same subkey as the canonical fixstr.
        Assert.Equal(PutStatus.Stored, d.Store(new DhtRecord(key, Mesh.TestKit.Hex.Decode("d9046e6f6465"), B("a"), T0 + 20)));
        Assert.Equal(PutStatus.Older, d.Store(new DhtRecord(key, Mesh.TestKit.Hex.Decode("a46e6f6465"), B("b"), T0 + 20)));
        StoredValue v = d.Get(K("k"))!.Value;
        Assert.Equal(1, v.Dictionary!.Count);
        Assert.Equal("a46e6f6465", Convert.ToHexStringLower(v.Dictionary.Items[0].PackedSubkey.Span));

        Assert.Equal(PutStatus.Malformed, d.Store(new DhtRecord(key, new byte[] { 0xc1 }, B("x"), T0 + 30)));
        Assert.Equal(PutStatus.Malformed, d.Store(new DhtRecord(key, new byte[] { 0x91, 0x01 }, B("x"), T0 + 30))); // a list
        Assert.Equal(PutStatus.Malformed, d.Store(new DhtRecord(key, ReadOnlyMemory<byte>.Empty, B("not a dictionary"), T0 + 30)));
        Assert.Equal(PutStatus.Malformed, d.Store(new DhtRecord(new byte[21] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, new byte[] { 0xc0 }, B("x"), T0 + 30)));
        Assert.Equal(PutStatus.Malformed, d.Store(new DhtRecord(key, new byte[] { 0xc0 }, B("x"), double.NaN)));
    }

    [Fact]
    public void Caller_buffers_are_copied_not_aliased()
    {
        (DhtLocalStorage d, _) = Create();
        byte[] value = B("abc");
        byte[] subkey = MsgPackSerializer.SerializeString("s");
        d.StoreValue(K("v"), value, T0 + 10);
        d.StoreSubkey(K("d"), subkey, value, T0 + 10);
        value[0] = (byte)'X';
        subkey[1] = (byte)'t';
        Assert.Equal("abc", Value(d, "v"));
        DictionaryDhtItem item = d.Get(K("d"))!.Value.Dictionary!.Items[0];
        Assert.Equal("s", item.DecodeSubkey().AsString());
        Assert.Equal(B("abc"), item.Value.ToArray());
    }

    [Fact]
    public void Validator_runs_as_a_post_on_every_path_and_sees_the_subkey_as_sent()
    {
        var seen = new List<(string Subkey, DhtRecordRequestType Type)>();
        var validator = new RecordingValidator(seen, reject: B("bad"));
        (DhtLocalStorage d, _) = Create(configure: o => o with { Validator = validator });
        byte[] key = K("k").ToBytes();

        Assert.Equal(PutStatus.Stored, d.StoreValue(K("k"), B("good"), T0 + 10));
        Assert.Equal(PutStatus.Invalid, d.StoreValue(K("k"), B("bad"), T0 + 20));
        Assert.Equal(PutStatus.Invalid, d.Store(new DhtRecord(key, Mesh.TestKit.Hex.Decode("d90173"), B("bad"), T0 + 30)));
        var dict = new DictionaryDhtValue(T0 + 40, [DictionaryDhtItem.Create("x", B("good"), T0 + 40), DictionaryDhtItem.Create("y", B("bad"), T0 + 40)]);
        Assert.Equal(PutStatus.Invalid, d.StoreDictionary(K("k"), dict));
        Assert.Equal("good", Value(d, "k")); // nothing of the refused dictionary was stored

        Assert.Equal(["c0", "c0", "d90173", "a178", "a179"], seen.Select(s => s.Subkey));
        Assert.All(seen, s => Assert.Equal(DhtRecordRequestType.Post, s.Type));
    }

    private sealed class RecordingValidator(List<(string, DhtRecordRequestType)> seen, byte[] reject) : RecordValidatorBase
    {
        public override bool Validate(in DhtRecord record, DhtRecordRequestType type)
        {
            lock (seen)
            {
                seen.Add((Convert.ToHexStringLower(record.Subkey.Span), type));
            }
            return !record.Value.Span.SequenceEqual(reject);
        }
    }

    [Fact]
    public void Value_size_total_bytes_records_and_subkey_limits_refuse_before_storing()
    {
        (DhtLocalStorage d, _) = Create(configure: o => o with
        {
            CapacityPolicy = CapacityPolicy.Reject,
            MaxRecords = 2,
            MaxValueBytes = 100,
            MaxTotalBytes = 2 * (StoredRecord.EntryOverhead + 100) + 10,
            MaxSubkeysPerDictionary = 2,
        });
        Assert.Equal(PutStatus.TooLarge, d.StoreValue(K("a"), new byte[101], T0 + 10));
        Assert.Equal(PutStatus.Stored, d.StoreValue(K("a"), new byte[100], T0 + 10));
        Assert.Equal(PutStatus.Stored, d.StoreValue(K("b"), new byte[10], T0 + 10));
        Assert.Equal(PutStatus.Full, d.StoreValue(K("c"), new byte[1], T0 + 10)); // third key
        Assert.Equal(PutStatus.Stored, d.StoreValue(K("b"), new byte[100], T0 + 11)); // replacing fits
        Assert.True(d.TotalBytes <= 2 * (StoredRecord.EntryOverhead + 100) + 10);
        Assert.Equal(PutStatus.Full, d.StoreSubkey(K("a"), "s", new byte[80], T0 + 20)); // bytes: a grows past the bound

        (DhtLocalStorage e, _) = Create(configure: o => o with { MaxSubkeysPerDictionary = 2 });
        Assert.Equal(PutStatus.Stored, e.StoreSubkey(K("d"), "1", B("x"), T0 + 10));
        Assert.Equal(PutStatus.Stored, e.StoreSubkey(K("d"), "2", B("x"), T0 + 10));
        Assert.Equal(PutStatus.Full, e.StoreSubkey(K("d"), "3", B("x"), T0 + 10));
        Assert.Equal(PutStatus.Stored, e.StoreSubkey(K("d"), "2", B("y"), T0 + 11)); // updating an existing one is fine
    }

    [Fact]
    public void Expired_subkeys_make_room_and_leave_the_packed_value()
    {
        (DhtLocalStorage d, ManualDhtClock clock) = Create(configure: o => o with { MaxSubkeysPerDictionary = 2 });
        d.StoreSubkey(K("d"), "old", B("x"), T0 + 1);
        d.StoreSubkey(K("d"), "keep", B("x"), T0 + 50);
        clock.Advance(2);
        StoredValue view = d.Get(K("d"))!.Value;
        Assert.Equal(["keep"], view.Dictionary!.Items.Select(i => i.DecodeSubkey().AsString()));
        Assert.Equal(PutStatus.Stored, d.StoreSubkey(K("d"), "new", B("x"), T0 + 40));
        Assert.Equal(["keep", "new"], d.Get(K("d"))!.Value.Dictionary!.Items.Select(i => i.DecodeSubkey().AsString()));
    }

    [Fact]
    public void Publisher_quota_counts_values_and_subkeys_and_follows_replacement_and_expiry()
    {
        byte[] alice = B("alice"), bob = B("bob");
        (DhtLocalStorage d, ManualDhtClock clock) = Create(configure: o => o with { PublisherQuota = new FixedPublisherQuota(2) });
        Assert.Equal(PutStatus.Stored, d.StoreValue(K("a"), B("1"), T0 + 10, alice));
        Assert.Equal(PutStatus.Stored, d.StoreSubkey(K("d"), "s1", B("1"), T0 + 20, alice));
        Assert.Equal(PutStatus.QuotaExceeded, d.StoreSubkey(K("d"), "s2", B("1"), T0 + 20, alice));
        // Replacing one's own record costs nothing.
        Assert.Equal(PutStatus.Stored, d.StoreValue(K("a"), B("2"), T0 + 11, alice));
        Assert.Equal(PutStatus.Stored, d.StoreSubkey(K("d"), "s1", B("2"), T0 + 21, alice));
        Assert.Equal(2, d.GetPublisherRecordCount(alice));
        // Bob overwrites alice's value: the record moves to bob's account.
        Assert.Equal(PutStatus.Stored, d.StoreValue(K("a"), B("3"), T0 + 12, bob));
        Assert.Equal(1, d.GetPublisherRecordCount(alice));
        Assert.Equal(1, d.GetPublisherRecordCount(bob));
        Assert.Equal(PutStatus.Stored, d.StoreSubkey(K("d"), "s2", B("1"), T0 + 22, alice));
        // Local stores are not charged.
        Assert.Equal(PutStatus.Stored, d.StoreValue(K("local"), B("1"), T0 + 10));
        // Expiry releases the charge.
        clock.Advance(30);
        d.Sweep();
        Assert.Equal(0, d.GetPublisherRecordCount(alice));
        Assert.Equal(0, d.GetPublisherRecordCount(bob));
        Assert.Equal(0, d.TotalBytes);
    }

    [Fact]
    public void Wire_value_of_a_hot_dictionary_is_serialized_once_per_version()
    {
        (DhtLocalStorage d, _) = Create();
        d.StoreSubkey(K("hb"), "peer-a", B("x"), T0 + 10);
        ReadOnlyMemory<byte> first = d.Get(K("hb"))!.Value.GetWireValue();
        ReadOnlyMemory<byte> second = d.Get(K("hb"))!.Value.GetWireValue();
        Assert.True(first.Span == second.Span);
        d.StoreSubkey(K("hb"), "peer-b", B("y"), T0 + 10);
        ReadOnlyMemory<byte> third = d.Get(K("hb"))!.Value.GetWireValue();
        Assert.False(first.Span == third.Span);
        Assert.Equal(2, MsgPackSerializer.Deserialize(third).AsDictionary().Count);
    }

    [Fact]
    public void Enumerate_live_skips_expired_entries()
    {
        (DhtLocalStorage d, ManualDhtClock clock) = Create();
        d.StoreValue(K("a"), B("1"), T0 + 1);
        d.StoreValue(K("b"), B("2"), T0 + 10);
        clock.Advance(5);
        Assert.Equal([K("b")], d.EnumerateLive().Select(e => e.Key));
    }

    [Fact]
    public void Readers_never_block_or_see_torn_records_while_writers_store()
    {
        (DhtLocalStorage d, ManualDhtClock _) = Create(configure: o => o with { Clock = DhtClock.FromFunction(() => T0) });
        DhtId[] keys = Enumerable.Range(0, 256).Select(i => K("key" + i)).ToArray();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int failures = 0;
        long reads = 0;
        var stop = new ManualResetEventSlim();
        Thread[] readers = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var rng = new Random(t);
            while (!stop.IsSet && !cts.IsCancellationRequested)
            {
                DhtId key = keys[rng.Next(keys.Length)];
                if (d.TryGet(key, out StoredValue v))
                {
                    // Every value encodes the expiration it was stored with: a torn read would not match.
                    double encoded = v.IsDictionary
                        ? BinaryPrimitives.ReadDoubleBigEndian(v.Dictionary!.Items[^1].Value.Span)
                        : BinaryPrimitives.ReadDoubleBigEndian(v.Value.Span);
                    if (encoded != (v.IsDictionary ? v.Dictionary!.Items[^1].ExpirationTime : v.ExpirationTime))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                Interlocked.Increment(ref reads);
            }
        })).ToArray();
        foreach (Thread r in readers)
        {
            r.Start();
        }
        Parallel.For(0, 2, w =>
        {
            var rng = new Random(100 + w);
            for (int i = 0; i < 20_000; i++)
            {
                DhtId key = keys[rng.Next(keys.Length)];
                double exp = T0 + 1 + i + rng.NextDouble();
                byte[] value = new byte[8];
                BinaryPrimitives.WriteDoubleBigEndian(value, exp);
                if (rng.Next(4) == 0)
                {
                    d.StoreSubkey(key, MsgValue.FromInt64(rng.Next(8)), value, exp);
                }
                else
                {
                    d.StoreValue(key, value, exp);
                }
            }
        });
        stop.Set();
        foreach (Thread r in readers)
        {
            r.Join();
        }
        Assert.Equal(0, failures);
        Assert.True(Interlocked.Read(ref reads) > 0);
        Assert.True(d.Count <= keys.Length);
    }
}

public sealed class DhtRecordStoresTests
{
    [Fact]
    public void Find_prefers_the_cache_only_when_it_expires_later()
    {
        var clock = new ManualDhtClock(1700000000.25);
        DhtRecordStores stores = DhtRecordStores.Create(cacheSize: 2, clock: clock);
        DhtId key = DhtId.Generate("k");
        Assert.False(stores.TryFind(key, out _));
        stores.Select(inCache: true).StoreValue(key, "cached"u8.ToArray(), clock.Value + 10);
        Assert.True(stores.TryFind(key, out StoredValue v) && v.Value.Span.SequenceEqual("cached"u8));
        stores.Select(inCache: false).StoreValue(key, "stored"u8.ToArray(), clock.Value + 20);
        Assert.True(stores.TryFind(key, out v) && v.Value.Span.SequenceEqual("stored"u8));
        stores.Cache.StoreValue(key, "newer"u8.ToArray(), clock.Value + 30);
        Assert.True(stores.TryFind(key, out v) && v.Value.Span.SequenceEqual("newer"u8));

        // The cache is bounded and evicts; the storage refuses nothing at this size.
        stores.Cache.StoreValue(DhtId.Generate("a"), "1"u8.ToArray(), clock.Value + 40);
        stores.Cache.StoreValue(DhtId.Generate("b"), "2"u8.ToArray(), clock.Value + 50);
        Assert.Equal(2, stores.Cache.Count);
        Assert.True(stores.TryFind(key, out v) && v.Value.Span.SequenceEqual("stored"u8));
    }
}
