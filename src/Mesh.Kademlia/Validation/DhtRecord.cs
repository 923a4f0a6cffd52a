namespace Mesh.Kademlia.Validation;

/// <summary>
/// mesh <c>DHTRecord(key, subkey, value, expiration_time)</c> (mesh-reference §2): what validators see. On a real DHT
/// <see cref="Key"/> is the 20-byte DHTID (the raw key is hashed away, so owner markers only matter in subkeys);
/// <see cref="Subkey"/> is msgpack(subkey), or <c>0xc0</c> (msgpack None, <c>IS_REGULAR_VALUE</c>) for a plain value;
/// <see cref="Value"/> is the msgpack-serialized value, possibly with a signature appended. Immutable: validators
/// return new values rather than changing a record.
/// </summary>
public readonly struct DhtRecord
{
    public DhtRecord(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> subkey, ReadOnlyMemory<byte> value, double expirationTime)
    {
        Key = key;
        Subkey = subkey;
        Value = value;
        ExpirationTime = expirationTime;
    }

    public ReadOnlyMemory<byte> Key { get; }

    public ReadOnlyMemory<byte> Subkey { get; }

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>Absolute expiration, unix seconds (always a float64 on the wire).</summary>
    public double ExpirationTime { get; }

    /// <summary>The same record with another value (<c>dataclasses.replace(record, value=...)</c>).</summary>
    public DhtRecord WithValue(ReadOnlyMemory<byte> value) => new(Key, Subkey, value, ExpirationTime);

    public override string ToString() =>
        $"DHTRecord(key={Convert.ToHexStringLower(Key.Span)}, subkey={Convert.ToHexStringLower(Subkey.Span)}, value={Value.Length} bytes, expiration_time={ExpirationTime:R})";
}
