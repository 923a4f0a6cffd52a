using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Validation;
using Mesh.Node.Subnet;
using Mesh.Transport.Identity;

namespace Mesh.Node.Tests.Subnet;

/// <summary>
/// One shared record store standing in for the mesh DHT in unit tests, with the real record path: each node's
/// <see cref="ISubnetDht"/> view signs with its own <see cref="SignatureValidator"/> (through its
/// <see cref="CompositeValidator"/>) and every store is validated as POST by the store's validator (signature, then the
/// subnet predicate); reads are validated as GET and stripped. Newer expirations win per subkey, as the DHT's.
/// </summary>
internal sealed class InMemorySubnetDht
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, (byte[] Subkey, byte[] Value, double Expiration)>> _records = [];

    public InMemorySubnetDht(CompositeValidator storeValidator, TimeProvider time)
    {
        StoreValidator = storeValidator;
        Time = time;
    }

    /// <summary>The validator of the node that holds the records (what rpc_store runs).</summary>
    public CompositeValidator StoreValidator { get; }

    public TimeProvider Time { get; }

    /// <summary>When set, every operation throws this (a DHT that cannot be reached).</summary>
    public Exception? Failure { get; set; }

    public ISubnetDht For(PrivateKey identity, CompositeValidator? ownValidator = null) =>
        new View(this, identity, ownValidator ?? new CompositeValidator([new SignatureValidator(identity)]));

    private double Now => Time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>Stores raw bytes as rpc_store would receive them (for tests of forged records).</summary>
    public bool StoreRaw(string key, byte[] packedSubkey, byte[] value, double expiration)
    {
        if (Failure is not null)
        {
            throw Failure;
        }
        byte[] id = DhtId.Generate(key).ToBytes();
        if (expiration <= Now || !StoreValidator.Validate(new DhtRecord(id, packedSubkey, value, expiration), DhtRecordRequestType.Post))
        {
            return false;
        }
        lock (_gate)
        {
            if (!_records.TryGetValue(key, out var subkeys))
            {
                _records[key] = subkeys = [];
            }
            string index = Convert.ToHexString(packedSubkey);
            if (subkeys.TryGetValue(index, out var old) && old.Expiration >= expiration)
            {
                return false;
            }
            subkeys[index] = (packedSubkey, value, expiration);
            return true;
        }
    }

    public IReadOnlyList<DhtSubkeyEntry> Read(string key)
    {
        if (Failure is not null)
        {
            throw Failure;
        }
        byte[] id = DhtId.Generate(key).ToBytes();
        (byte[] Subkey, byte[] Value, double Expiration)[] items;
        lock (_gate)
        {
            items = _records.TryGetValue(key, out var subkeys) ? [.. subkeys.Values] : [];
        }
        var result = new List<DhtSubkeyEntry>();
        foreach ((byte[] subkey, byte[] value, double expiration) in items)
        {
            var record = new DhtRecord(id, subkey, value, expiration);
            if (expiration > Now && StoreValidator.Validate(record, DhtRecordRequestType.Get))
            {
                result.Add(new DhtSubkeyEntry(MsgPackSerializer.Deserialize(subkey), MsgPackSerializer.Deserialize(StoreValidator.StripValue(record)), expiration));
            }
        }
        return result;
    }

    private sealed class View(InMemorySubnetDht dht, PrivateKey identity, CompositeValidator validator) : ISubnetDht
    {
        public PeerId LocalPeer => identity.PeerId;

        public ValueTask<bool> StoreAsync(string key, MsgValue subkey, MsgValue value, double expirationTime, CancellationToken cancellationToken)
        {
            byte[] packedSubkey = MsgPackSerializer.Serialize(subkey);
            byte[] packedValue = MsgPackSerializer.Serialize(value);
            byte[] signed = validator.SignValue(new DhtRecord(DhtId.Generate(key).ToBytes(), packedSubkey, packedValue, expirationTime)).ToArray();
            return ValueTask.FromResult(dht.StoreRaw(key, packedSubkey, signed, expirationTime));
        }

        public ValueTask<IReadOnlyList<DhtSubkeyEntry>> GetDictionaryAsync(string key, bool latest, CancellationToken cancellationToken) =>
            ValueTask.FromResult(dht.Read(key));
    }
}
