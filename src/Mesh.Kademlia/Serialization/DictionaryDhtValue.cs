using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Mesh.Kademlia.Serialization;

/// <summary>
/// One subkey of a <see cref="DictionaryDhtValue"/>: the subkey as its canonical msgpack encoding (this is what
/// <c>DHTRecord.subkey</c> holds and what identifies the subkey), the value bytes, and the subkey's own absolute
/// expiration time (unix seconds).
/// </summary>
public readonly struct DictionaryDhtItem : IEquatable<DictionaryDhtItem>
{
    public DictionaryDhtItem(ReadOnlyMemory<byte> packedSubkey, ReadOnlyMemory<byte> value, double expirationTime)
    {
        PackedSubkey = packedSubkey;
        Value = value;
        ExpirationTime = expirationTime;
    }

    /// <summary>msgpack(subkey), canonical (as <c>MSGPackSerializer.dumps</c> writes it).</summary>
    public ReadOnlyMemory<byte> PackedSubkey { get; }

    public ReadOnlyMemory<byte> Value { get; }

    public double ExpirationTime { get; }

    /// <summary>An item from a logical subkey (serialized here) and value bytes.</summary>
    public static DictionaryDhtItem Create(in MsgValue subkey, ReadOnlyMemory<byte> value, double expirationTime) =>
        new(MsgPackSerializer.Serialize(subkey), value, expirationTime);

    /// <summary>The subkey as a value (decodes <see cref="PackedSubkey"/>).</summary>
    public MsgValue DecodeSubkey() => MsgPackSerializer.Deserialize(PackedSubkey);

    public bool Equals(DictionaryDhtItem other) =>
        PackedSubkey.Span.SequenceEqual(other.PackedSubkey.Span)
        && Value.Span.SequenceEqual(other.Value.Span)
        && BitConverter.DoubleToInt64Bits(ExpirationTime) == BitConverter.DoubleToInt64Bits(other.ExpirationTime);

    public override bool Equals(object? obj) => obj is DictionaryDhtItem other && Equals(other);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(PackedSubkey.Span);
        h.AddBytes(Value.Span);
        h.Add(ExpirationTime);
        return h.ToHashCode();
    }

    public static bool operator ==(DictionaryDhtItem left, DictionaryDhtItem right) => left.Equals(right);

    public static bool operator !=(DictionaryDhtItem left, DictionaryDhtItem right) => !left.Equals(right);
}

/// <summary>
/// hivemind/mesh <c>DictionaryDHTValue</c> as a value: msgpack ext 0x50 whose payload is
/// <c>msgpack([maxsize, latest_expiration_time, [[subkey, value, expiration_time], ...]])</c> (mesh-reference §3,
/// <c>mesh/dht/storage.py</c>). It is immutable; the live, mutable dictionary lives in the record store
/// (<c>Mesh.Kademlia.Storage</c>), which hands out instances of this type as snapshots.
/// </summary>
/// <remarks>
/// Python's <c>packb</c> calls <c>items()</c>, which first drops subkeys that have expired and, when <c>maxsize</c> is
/// finite, the earliest-expiring ones beyond it, so Python's <c>dumps</c> depends on the clock. The serializer here is
/// pure and writes <see cref="Items"/> as given; <see cref="Prune"/> applies Python's rule for a given time, and the
/// record store's snapshots are already pruned.
/// </remarks>
public sealed class DictionaryDhtValue : IEquatable<DictionaryDhtValue>
{
    private readonly DictionaryDhtItem[] _items;

    /// <summary>A dictionary with the given items in order (not de-duplicated: callers give unique subkeys).</summary>
    public DictionaryDhtValue(MsgValue maxSize, double latestExpirationTime, ReadOnlySpan<DictionaryDhtItem> items)
        : this(maxSize, latestExpirationTime, items.ToArray())
    {
    }

    /// <summary>An unbounded dictionary (<c>maxsize</c> = float inf), the only kind the DHT itself creates.</summary>
    public DictionaryDhtValue(double latestExpirationTime, ReadOnlySpan<DictionaryDhtItem> items)
        : this(UnboundedMaxSize, latestExpirationTime, items.ToArray())
    {
    }

    internal DictionaryDhtValue(MsgValue maxSize, double latestExpirationTime, DictionaryDhtItem[] items)
    {
        if (maxSize.Kind is not (MsgKind.Integer or MsgKind.Float))
        {
            throw new ArgumentException("maxsize must be an int or a float.", nameof(maxSize));
        }
        MaxSize = maxSize;
        LatestExpirationTime = latestExpirationTime;
        _items = items;
    }

    /// <summary><c>float('inf')</c>: what <c>DictionaryDHTValue()</c> uses when no maxsize is given.</summary>
    public static MsgValue UnboundedMaxSize { get; } = MsgValue.FromDouble(double.PositiveInfinity);

    /// <summary>The <c>maxsize</c> field as written: float64 inf when unbounded, or an int.</summary>
    public MsgValue MaxSize { get; }

    /// <summary><c>latest_expiration_time</c>: the largest expiration ever stored into the dictionary (-inf if none).</summary>
    public double LatestExpirationTime { get; }

    public ImmutableArray<DictionaryDhtItem> Items => ImmutableCollectionsMarshal.AsImmutableArray(_items);

    internal ReadOnlySpan<DictionaryDhtItem> ItemsSpan => _items;

    public int Count => _items.Length;

    /// <summary>The maximum item count <see cref="MaxSize"/> allows (<see cref="double.PositiveInfinity"/> when unbounded).</summary>
    public double MaxSizeAsNumber
    {
        get
        {
            MaxSize.TryGetNumber(out double n);
            return n;
        }
    }

    /// <summary>Finds an item by its packed subkey.</summary>
    public bool TryGetItem(ReadOnlySpan<byte> packedSubkey, out DictionaryDhtItem item)
    {
        foreach (DictionaryDhtItem candidate in _items)
        {
            if (candidate.PackedSubkey.Span.SequenceEqual(packedSubkey))
            {
                item = candidate;
                return true;
            }
        }
        item = default;
        return false;
    }

    /// <summary>
    /// What Python's <c>packb</c> would write at time <paramref name="now"/>: subkeys with
    /// <c>expiration_time &lt; now</c> dropped, then, while more than <see cref="MaxSize"/> remain, the
    /// earliest-expiring ones (ties: the earlier inserted one first; Python compares the subkeys themselves and
    /// raises for mixed types). Returns this instance when nothing changes.
    /// </summary>
    public DictionaryDhtValue Prune(double now)
    {
        double max = MaxSizeAsNumber;
        int live = 0;
        foreach (DictionaryDhtItem item in _items)
        {
            if (!(item.ExpirationTime < now))
            {
                live++;
            }
        }
        if (live == _items.Length && _items.Length <= max)
        {
            return this;
        }
        var kept = new List<(DictionaryDhtItem Item, int Index)>(live);
        for (int i = 0; i < _items.Length; i++)
        {
            if (!(_items[i].ExpirationTime < now))
            {
                kept.Add((_items[i], i));
            }
        }
        if (kept.Count > max)
        {
            int excess = kept.Count - (max <= 0 ? 0 : (int)Math.Min(max, int.MaxValue));
            var byExpiry = kept.OrderBy(k => k.Item.ExpirationTime).ThenBy(k => k.Index).Take(excess).Select(k => k.Index).ToHashSet();
            kept.RemoveAll(k => byExpiry.Contains(k.Index));
        }
        return new DictionaryDhtValue(MaxSize, LatestExpirationTime, kept.Select(k => k.Item).ToArray());
    }

    public bool Equals(DictionaryDhtValue? other) =>
        other is not null
        && MaxSize.Equals(other.MaxSize)
        && BitConverter.DoubleToInt64Bits(LatestExpirationTime) == BitConverter.DoubleToInt64Bits(other.LatestExpirationTime)
        && _items.AsSpan().SequenceEqual(other._items);

    public override bool Equals(object? obj) => Equals(obj as DictionaryDhtValue);

    public override int GetHashCode() => HashCode.Combine(MaxSize, LatestExpirationTime, _items.Length);

    public override string ToString()
    {
        var sb = new StringBuilder("DictionaryDHTValue(maxsize=");
        MaxSize.Append(sb, 1);
        sb.Append(", latest_expiration_time=").Append(LatestExpirationTime.ToString("R", CultureInfo.InvariantCulture)).Append(", {");
        for (int i = 0; i < _items.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }
            sb.Append(MsgValue.FormatBytes(_items[i].PackedSubkey.Span)).Append(": (")
                .Append(MsgValue.FormatBytes(_items[i].Value.Span)).Append(", ")
                .Append(_items[i].ExpirationTime.ToString("R", CultureInfo.InvariantCulture)).Append(')');
        }
        sb.Append("})");
        return sb.ToString();
    }
}
