using Mesh.Kademlia.Serialization;

namespace Mesh.Kademlia.Storage;

/// <summary>
/// hivemind <c>ValueWithExpiration</c> as a store lookup returns it: either a plain value (the bytes as stored) or a
/// dictionary (a <see cref="DictionaryDhtValue"/> snapshot holding only the subkeys alive at lookup time), with the
/// record's expiration time (for a dictionary, its <c>latest_expiration_time</c>).
/// </summary>
public readonly struct StoredValue
{
    private readonly object? _dictionaryOrRecord;

    internal StoredValue(ReadOnlyMemory<byte> value, double expirationTime)
    {
        Value = value;
        ExpirationTime = expirationTime;
        _dictionaryOrRecord = null;
    }

    internal StoredValue(DictionaryDhtValue dictionary, double expirationTime, DictionaryRecord? source)
    {
        Value = default;
        ExpirationTime = expirationTime;
        _dictionaryOrRecord = source is not null && ReferenceEquals(source.CachedFullView, dictionary) ? source : dictionary;
    }

    public bool IsDictionary => _dictionaryOrRecord is not null;

    /// <summary>The plain value (empty for a dictionary).</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The dictionary snapshot, or null for a plain value.</summary>
    public DictionaryDhtValue? Dictionary => _dictionaryOrRecord switch
    {
        DictionaryRecord r => r.CachedFullView,
        DictionaryDhtValue d => d,
        _ => null,
    };

    public double ExpirationTime { get; }

    /// <summary>
    /// The bytes <c>rpc_find</c> puts in <c>FindResult.value</c>: the plain value, or msgpack of the dictionary
    /// (<c>FOUND_DICTIONARY</c>). For a dictionary with no expired subkeys the encoding is cached by the store, so
    /// repeated finds of a hot dictionary do not re-serialize it.
    /// </summary>
    public ReadOnlyMemory<byte> GetWireValue() => _dictionaryOrRecord switch
    {
        DictionaryRecord r => r.GetPackedFullView(),
        DictionaryDhtValue d => MsgPackSerializer.Serialize(MsgValue.FromDictionary(d)),
        _ => Value,
    };
}
