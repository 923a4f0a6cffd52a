using Mesh.Kademlia.Libp2p.Records;

namespace Mesh.Kademlia.Tests.Libp2p.Records;

public sealed class KadRecordStoreTests
{
    private static (KadRecordStore Store, ManualTimeProvider Clock) Create(KadRecordStoreOptions? options = null)
    {
        var clock = new ManualTimeProvider();
        var validators = new KadValidators(clock).Register("v", new SequenceValidator());
        return (new KadRecordStore(validators, options, clock), clock);
    }

    // Values are "N:text"; a higher N is better; a value without ':' is invalid.
    private sealed class SequenceValidator : IKadRecordValidator
    {
        public bool Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason)
        {
            reason = value.IndexOf((byte)':') > 0 ? null : "no sequence";
            return reason is null;
        }

        public int Select(ReadOnlySpan<byte> key, IReadOnlyList<ReadOnlyMemory<byte>> values)
        {
            int best = 0;
            for (int i = 1; i < values.Count; i++)
            {
                best = Seq(values[i]) > Seq(values[best]) ? i : best;
            }
            return best;
        }

        private static int Seq(ReadOnlyMemory<byte> v) => int.Parse(System.Text.Encoding.UTF8.GetString(v.Span[..v.Span.IndexOf((byte)':')]));
    }

    [Fact]
    public void Stores_validated_values_and_replaces_only_with_values_select_does_not_rank_lower()
    {
        (KadRecordStore store, _) = Create();
        byte[] key = "/v/a"u8.ToArray();
        Assert.Equal(KadPutResult.Stored, store.Put(key, "1:one"u8));
        Assert.Equal(KadPutResult.Stored, store.Put(key, "2:two"u8));
        Assert.Equal(KadPutResult.Older, store.Put(key, "1:again"u8));
        Assert.Equal(KadPutResult.Stored, store.Put(key, "2:two"u8)); // equal value refreshes
        Assert.True(store.TryGet(key, out KadRecordStore.StoredRecord record));
        Assert.Equal("2:two"u8.ToArray(), record.Value.ToArray());
        Assert.Equal(KadPutResult.Invalid, store.Put(key, "bad"u8));
        Assert.Equal(KadPutResult.Invalid, store.Put("/other/a"u8, "1:x"u8));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Records_age_out_after_the_maximum_age_and_sweep_frees_them()
    {
        (KadRecordStore store, ManualTimeProvider clock) = Create();
        Assert.Equal(KadPutResult.Stored, store.Put("/v/a"u8, "1:x"u8));
        clock.Advance(TimeSpan.FromHours(48));
        Assert.True(store.TryGet("/v/a"u8, out _));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(store.TryGet("/v/a"u8, out _));
        // An aged-out value does not block a lower one.
        Assert.Equal(KadPutResult.Stored, store.Put("/v/a"u8, "0:new"u8));
        clock.Advance(TimeSpan.FromHours(49));
        Assert.Equal(1, store.Sweep());
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.TotalBytes);
    }

    [Fact]
    public void Limits_are_checked_before_storing()
    {
        (KadRecordStore store, _) = Create(new KadRecordStoreOptions { MaxRecords = 2, MaxValueBytes = 8, MaxTotalBytes = 20 });
        Assert.Equal(KadPutResult.TooLarge, store.Put("/v/a"u8, "1:123456789"u8));
        Assert.Equal(KadPutResult.Stored, store.Put("/v/a"u8, "1:a"u8));
        Assert.Equal(KadPutResult.Stored, store.Put("/v/b"u8, "1:b"u8));
        Assert.Equal(KadPutResult.Full, store.Put("/v/c"u8, "1:c"u8));
        Assert.Equal(KadPutResult.Stored, store.Put("/v/a"u8, "2:aaaa"u8)); // replacing is not a new record
        Assert.Equal(KadPutResult.Full, store.Put("/v/b"u8, "2:bbbbbb"u8)); // 20-byte bound
        Assert.Equal(2, store.Count);
        Assert.True(store.Remove("/v/a"u8));
        Assert.False(store.Remove("/v/a"u8));
        Assert.Equal(KadPutResult.Stored, store.Put("/v/c"u8, "1:c"u8));
    }

    [Fact]
    public void Caller_buffers_are_not_retained()
    {
        (KadRecordStore store, _) = Create();
        byte[] key = "/v/a"u8.ToArray();
        byte[] value = "1:abc"u8.ToArray();
        store.Put(key, value);
        value[2] = (byte)'X';
        key[3] = (byte)'b';
        Assert.True(store.TryGet("/v/a"u8, out KadRecordStore.StoredRecord record));
        Assert.Equal("1:abc"u8.ToArray(), record.Value.ToArray());
    }

    [Fact]
    public void Concurrent_puts_and_gets_keep_the_best_value()
    {
        (KadRecordStore store, _) = Create();
        Parallel.For(0, 2000, i =>
        {
            store.Put("/v/race"u8, System.Text.Encoding.UTF8.GetBytes($"{i}:v"));
            Assert.True(store.TryGet("/v/race"u8, out _) || i == 0);
        });
        Assert.True(store.TryGet("/v/race"u8, out KadRecordStore.StoredRecord record));
        Assert.Equal("1999:v", System.Text.Encoding.UTF8.GetString(record.Value.Span));
    }
}
