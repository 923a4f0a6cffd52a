namespace Mesh.Kademlia.Validation;

/// <summary>
/// mesh <c>RecordValidatorBase</c> (mesh-reference §2): checks records on store and on retrieval, may add proof to a
/// value before it is stored (a signature) and remove it before the value is handed to the application.
/// Implementations must be thread-safe: the DHT calls them concurrently from many request handlers.
/// </summary>
public interface IRecordValidator
{
    /// <summary>Whether the record is acceptable. Must not throw for bad input: bad input is simply invalid.</summary>
    bool Validate(in DhtRecord record, DhtRecordRequestType type);

    /// <summary>The value to store for this record (default: unchanged). Called by the publishing node only.</summary>
    ReadOnlyMemory<byte> SignValue(in DhtRecord record);

    /// <summary>The value without what <see cref="SignValue"/> added (default: unchanged).</summary>
    ReadOnlyMemory<byte> StripValue(in DhtRecord record);

    /// <summary>
    /// Order in a <see cref="CompositeValidator"/>: signing runs in ascending priority, validation and stripping in
    /// descending priority (signature checks, priority 10, run first and strip their marker for the rest).
    /// </summary>
    int Priority { get; }

    /// <summary>
    /// <c>merge_with</c>: absorbs <paramref name="other"/> if it is the same kind of validator (so a composite keeps
    /// one instance per kind) and returns true; false leaves both unchanged.
    /// </summary>
    bool MergeWith(IRecordValidator other);
}

/// <summary>Defaults of <c>RecordValidatorBase</c>: identity sign/strip, priority 0, no merging.</summary>
public abstract class RecordValidatorBase : IRecordValidator
{
    public abstract bool Validate(in DhtRecord record, DhtRecordRequestType type);

    public virtual ReadOnlyMemory<byte> SignValue(in DhtRecord record) => record.Value;

    public virtual ReadOnlyMemory<byte> StripValue(in DhtRecord record) => record.Value;

    public virtual int Priority => 0;

    public virtual bool MergeWith(IRecordValidator other) => false;
}
