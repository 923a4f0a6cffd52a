namespace Mesh.Kademlia.Validation;

/// <summary>An application rule over records, for <see cref="PredicateValidator"/> (mesh's predicate classes).</summary>
public interface IRecordPredicate
{
    bool IsValid(in DhtRecord record, DhtRecordRequestType type);
}

/// <summary>
/// mesh <c>HypertensorPredicateValidator</c>: validation by an application predicate (e.g. the commit-reveal rules:
/// key whitelist per epoch, per-peer store limits, expiration caps). Priority 9, so when validating it runs after the
/// signature validator (10) has verified and stripped the signature. Like mesh, a composite keeps one: merging another
/// predicate validator succeeds and ignores it.
/// </summary>
public sealed class PredicateValidator : RecordValidatorBase
{
    private readonly IRecordPredicate _predicate;

    public PredicateValidator(IRecordPredicate predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        _predicate = predicate;
    }

    public PredicateValidator(Func<DhtRecord, DhtRecordRequestType, bool> predicate)
        : this(new DelegatePredicate(predicate ?? throw new ArgumentNullException(nameof(predicate))))
    {
    }

    public override int Priority => 9;

    public override bool Validate(in DhtRecord record, DhtRecordRequestType type) => _predicate.IsValid(record, type);

    public override bool MergeWith(IRecordValidator other) => other is PredicateValidator;

    private sealed class DelegatePredicate(Func<DhtRecord, DhtRecordRequestType, bool> predicate) : IRecordPredicate
    {
        public bool IsValid(in DhtRecord record, DhtRecordRequestType type) => predicate(record, type);
    }
}
