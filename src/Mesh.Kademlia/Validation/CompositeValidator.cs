namespace Mesh.Kademlia.Validation;

/// <summary>
/// mesh <c>CompositeValidator</c> (mesh-reference §2): the DHT's one record validator, made of several. Adding a
/// validator first offers it to each existing one (<see cref="IRecordValidator.MergeWith"/>; a signature validator
/// absorbs another one, schema validators union their schemas) and keeps it separately otherwise; validators are kept
/// in ascending priority (stable). Signing runs in ascending priority; validation runs in descending priority and
/// hands each next validator the value stripped by the previous one; stripping runs in descending priority.
/// </summary>
/// <remarks>Thread-safe: <see cref="Extend"/> publishes a new sorted array; validation reads whichever is current.</remarks>
public sealed class CompositeValidator : RecordValidatorBase
{
    private readonly Lock _extendLock = new();
    private IRecordValidator[] _validators = [];

    public CompositeValidator(IEnumerable<IRecordValidator>? validators = null)
    {
        if (validators is not null)
        {
            Extend(validators);
        }
    }

    /// <summary>The validators in ascending priority.</summary>
    public IReadOnlyList<IRecordValidator> Validators => Volatile.Read(ref _validators);

    /// <summary><c>extend</c> (the DHT's <c>add_validators</c>).</summary>
    public void Extend(IEnumerable<IRecordValidator> validators)
    {
        ArgumentNullException.ThrowIfNull(validators);
        lock (_extendLock)
        {
            var list = new List<IRecordValidator>(_validators);
            foreach (IRecordValidator added in validators)
            {
                ArgumentNullException.ThrowIfNull(added);
                if (!list.Any(existing => existing.MergeWith(added)))
                {
                    list.Add(added);
                }
            }
            Volatile.Write(ref _validators, list.OrderBy(v => v.Priority).ToArray());
        }
    }

    public void Add(IRecordValidator validator) => Extend([validator]);

    public override bool Validate(in DhtRecord record, DhtRecordRequestType type)
    {
        IRecordValidator[] validators = Volatile.Read(ref _validators);
        DhtRecord current = record;
        for (int i = validators.Length - 1; i >= 0; i--)
        {
            if (!validators[i].Validate(current, type))
            {
                return false;
            }
            if (i > 0)
            {
                current = current.WithValue(validators[i].StripValue(current));
            }
        }
        return true;
    }

    public override ReadOnlyMemory<byte> SignValue(in DhtRecord record)
    {
        DhtRecord current = record;
        foreach (IRecordValidator v in Volatile.Read(ref _validators))
        {
            current = current.WithValue(v.SignValue(current));
        }
        return current.Value;
    }

    public override ReadOnlyMemory<byte> StripValue(in DhtRecord record)
    {
        IRecordValidator[] validators = Volatile.Read(ref _validators);
        DhtRecord current = record;
        for (int i = validators.Length - 1; i >= 0; i--)
        {
            current = current.WithValue(validators[i].StripValue(current));
        }
        return current.Value;
    }
}
