namespace Mesh.Kademlia.Serialization;

/// <summary>
/// Turns the decoded payload of ext 0x50 into a <see cref="DictionaryDhtValue"/>, following
/// <c>DictionaryDHTValue.unpackb</c> (mesh/dht/storage.py): <c>maxsize, latest_expiration_time, items = loads(raw)</c>,
/// then every <c>[subkey, value, expiration_time]</c> is stored into a frozen dictionary (so already-expired subkeys
/// are kept, and a repeated subkey is replaced only by a strictly later expiration, in the first one's position), and
/// <c>latest_expiration_time</c> is taken from the payload, not recomputed.
/// </summary>
/// <remarks>
/// Stricter than Python where Python would accept nonsense or fail later: the payload and each item must be lists
/// (or tuples) of exactly three elements; <c>maxsize</c> must be a number or nil (falsy values become inf, like
/// <c>maxsize or float("inf")</c>); expirations must be numbers; values must be bytes; subkeys must be hashable in
/// Python's sense (no list, dict or dictionary anywhere inside them) because Python would raise TypeError.
/// </remarks>
internal static class DictionaryDhtValueDecoder
{
    public static DictionaryDhtValue Decode(in MsgValue payload)
    {
        ReadOnlySpan<MsgValue> fields = RequireTriple(payload, "DictionaryDHTValue payload");
        MsgValue maxSize = fields[0];
        switch (maxSize.Kind)
        {
            case MsgKind.Nil:
                maxSize = DictionaryDhtValue.UnboundedMaxSize;
                break;
            case MsgKind.Integer or MsgKind.Float:
                if (maxSize.TryGetNumber(out double n) && n == 0)
                {
                    maxSize = DictionaryDhtValue.UnboundedMaxSize;
                }
                break;
            default:
                MsgPackDecoder.ThrowFormat($"DictionaryDHTValue maxsize must be a number, not a {maxSize.Kind}.");
                break;
        }
        double latest = RequireNumber(fields[1], "latest_expiration_time");
        MsgValue itemList = fields[2];
        if (itemList.Kind is not (MsgKind.Array or MsgKind.Tuple))
        {
            MsgPackDecoder.ThrowFormat($"DictionaryDHTValue items must be a list, not a {itemList.Kind}.");
        }

        ReadOnlySpan<MsgValue> rawItems = itemList.ItemsSpan;
        var items = new List<DictionaryDhtItem>(rawItems.Length);
        Dictionary<ReadOnlyMemory<byte>, int>? index = rawItems.Length > 8
            ? new Dictionary<ReadOnlyMemory<byte>, int>(rawItems.Length, ByteMemoryComparer.Instance)
            : null;
        foreach (MsgValue raw in rawItems)
        {
            ReadOnlySpan<MsgValue> triple = RequireTriple(raw, "DictionaryDHTValue item");
            if (!IsHashable(triple[0]))
            {
                MsgPackDecoder.ThrowFormat("A DictionaryDHTValue subkey cannot contain a list, dict or dictionary (unhashable in Python).");
            }
            if (triple[1].Kind != MsgKind.Binary)
            {
                MsgPackDecoder.ThrowFormat($"A DictionaryDHTValue value must be bytes, not a {triple[1].Kind}.");
            }
            double expiration = RequireNumber(triple[2], "expiration_time");
            byte[] packedSubkey = MsgPackSerializer.Serialize(triple[0]);
            var item = new DictionaryDhtItem(packedSubkey, triple[1].AsMemory(), expiration);

            int existing = Find(items, index, packedSubkey);
            if (existing < 0)
            {
                index?.Add(packedSubkey, items.Count);
                items.Add(item);
            }
            else if (items[existing].ExpirationTime < expiration)
            {
                items[existing] = item;
            }
        }
        return new DictionaryDhtValue(maxSize, latest, items.ToArray());
    }

    private static int Find(List<DictionaryDhtItem> items, Dictionary<ReadOnlyMemory<byte>, int>? index, byte[] packedSubkey)
    {
        if (index is not null)
        {
            return index.TryGetValue(packedSubkey, out int i) ? i : -1;
        }
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].PackedSubkey.Span.SequenceEqual(packedSubkey))
            {
                return i;
            }
        }
        return -1;
    }

    private static ReadOnlySpan<MsgValue> RequireTriple(in MsgValue value, string what)
    {
        if (value.Kind is not (MsgKind.Array or MsgKind.Tuple) || value.Count != 3)
        {
            MsgPackDecoder.ThrowFormat($"The {what} must be a list of 3 elements.");
        }
        return value.ItemsSpan;
    }

    private static double RequireNumber(in MsgValue value, string what)
    {
        if (!value.TryGetNumber(out double n))
        {
            MsgPackDecoder.ThrowFormat($"DictionaryDHTValue {what} must be a number, not a {value.Kind}.");
        }
        return n;
    }

    /// <summary>Whether Python could use the value as a dict key: no list, dict or dictionary anywhere inside it.</summary>
    internal static bool IsHashable(in MsgValue subkey)
    {
        switch (subkey.Kind)
        {
            case MsgKind.Array:
            case MsgKind.Map:
            case MsgKind.Dictionary:
                return false;
            case MsgKind.Tuple:
                foreach (MsgValue item in subkey.ItemsSpan)
                {
                    if (!IsHashable(item))
                    {
                        return false;
                    }
                }
                return true;
            default:
                return true;
        }
    }
}
