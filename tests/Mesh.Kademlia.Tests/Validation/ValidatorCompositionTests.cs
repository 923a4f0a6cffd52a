using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;
using Mesh.Kademlia.Validation;

namespace Mesh.Kademlia.Tests.Validation;

/// <summary>CompositeValidator ordering and stripping, PredicateValidator, merge rules.</summary>
public sealed class ValidatorCompositionTests
{
    private static DhtRecord Record(string value, string subkeyHex = "c0") =>
        new(DhtId.Generate("k").ToBytes(), Convert.FromHexString(subkeyHex), System.Text.Encoding.ASCII.GetBytes(value), 1700000010.25);

    /// <summary>Appends "|tag" when signing, strips a trailing "|tag", requires it when validating; logs every call.</summary>
    private sealed class TagValidator(string tag, int priority, List<string> log) : RecordValidatorBase
    {
        private readonly byte[] _suffix = System.Text.Encoding.ASCII.GetBytes("|" + tag);

        public override int Priority => priority;

        public override bool Validate(in DhtRecord record, DhtRecordRequestType type)
        {
            log.Add($"validate {tag} {System.Text.Encoding.ASCII.GetString(record.Value.Span)}");
            return record.Value.Span.EndsWith(_suffix);
        }

        public override ReadOnlyMemory<byte> SignValue(in DhtRecord record)
        {
            log.Add($"sign {tag}");
            return (byte[])[.. record.Value.Span, .. _suffix];
        }

        public override ReadOnlyMemory<byte> StripValue(in DhtRecord record) =>
            record.Value.Span.EndsWith(_suffix) ? record.Value[..^_suffix.Length] : record.Value;
    }

    [Fact]
    public void Signs_ascending_validates_descending_with_stripping_between_and_strips_descending()
    {
        var log = new List<string>();
        var composite = new CompositeValidator([new TagValidator("b", 5, log), new TagValidator("a", 1, log), new TagValidator("c", 10, log)]);
        Assert.Equal([1, 5, 10], composite.Validators.Select(v => v.Priority));

        DhtRecord record = Record("v");
        ReadOnlyMemory<byte> signed = composite.SignValue(record);
        Assert.Equal("v|a|b|c", System.Text.Encoding.ASCII.GetString(signed.Span));
        Assert.Equal(["sign a", "sign b", "sign c"], log);

        log.Clear();
        Assert.True(composite.Validate(record.WithValue(signed), DhtRecordRequestType.Post));
        Assert.Equal(["validate c v|a|b|c", "validate b v|a|b", "validate a v|a"], log);
        Assert.Equal("v", System.Text.Encoding.ASCII.GetString(composite.StripValue(record.WithValue(signed)).Span));

        log.Clear();
        Assert.False(composite.Validate(record.WithValue("v|a|c"u8.ToArray()), DhtRecordRequestType.Get));
        Assert.Equal(["validate c v|a|c", "validate b v|a"], log);
    }

    [Fact]
    public void Equal_priorities_keep_insertion_order()
    {
        var log = new List<string>();
        var first = new TagValidator("x", 0, log);
        var second = new TagValidator("y", 0, log);
        var composite = new CompositeValidator([first, second]);
        Assert.Same(first, composite.Validators[0]);
        Assert.Same(second, composite.Validators[1]);
    }

    [Fact]
    public void Predicate_validator_has_priority_nine_runs_after_stripping_and_merges_into_one()
    {
        var seen = new List<(string Value, DhtRecordRequestType Type)>();
        var predicate = new PredicateValidator((r, t) =>
        {
            seen.Add((System.Text.Encoding.ASCII.GetString(r.Value.Span), t));
            return t == DhtRecordRequestType.Get || r.Value.Span.StartsWith("ok"u8);
        });
        Assert.Equal(9, predicate.Priority);
        var composite = new CompositeValidator([predicate, new TagValidator("sig", 10, [])]);
        Assert.True(composite.Validate(Record("ok|sig"), DhtRecordRequestType.Post));
        Assert.False(composite.Validate(Record("no|sig"), DhtRecordRequestType.Post));
        Assert.True(composite.Validate(Record("no|sig"), DhtRecordRequestType.Get));
        Assert.Equal([("ok", DhtRecordRequestType.Post), ("no", DhtRecordRequestType.Post), ("no", DhtRecordRequestType.Get)], seen);

        // mesh keeps a single predicate validator: a second one merges away (and is ignored).
        var other = new PredicateValidator((_, _) => false);
        composite.Add(other);
        Assert.Equal(2, composite.Validators.Count);
        Assert.True(composite.Validate(Record("ok|sig"), DhtRecordRequestType.Post));
        Assert.False(predicate.MergeWith(new TagValidator("z", 0, [])));
    }
}
