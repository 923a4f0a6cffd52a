using System.Collections.Immutable;
using System.Text;

namespace Mesh.Kademlia.Libp2p.Records;

/// <summary>
/// go-libp2p-record's <c>NamespacedValidator</c>: one <see cref="IKadRecordValidator"/> per key namespace
/// (<c>/ns/…</c>), with <c>pk</c> and <c>ipns</c> built in (go amino's pair, libp2p-specs.md §2i) and more registered by
/// the application. A key whose namespace has no validator is refused, as go and js refuse it ("No validator
/// available for key type").
/// </summary>
/// <remarks>Thread-safe: registration publishes a new immutable map; validation reads whichever is current.</remarks>
public sealed class KadValidators
{
    private ImmutableDictionary<string, IKadRecordValidator> _byNamespace;

    /// <summary>The <c>pk</c> and <c>ipns</c> validators (IPNS expiry read from <paramref name="timeProvider"/>).</summary>
    public KadValidators(TimeProvider? timeProvider = null)
    {
        _byNamespace = ImmutableDictionary.Create<string, IKadRecordValidator>(StringComparer.Ordinal)
            .Add(PublicKeyRecordValidator.Namespace, PublicKeyRecordValidator.Instance)
            .Add(IpnsRecordValidator.Namespace, new IpnsRecordValidator(timeProvider));
    }

    /// <summary>Namespaces with a validator.</summary>
    public IReadOnlyCollection<string> Namespaces => Volatile.Read(ref _byNamespace).Keys.ToArray();

    /// <summary>Registers (or replaces) the validator of <paramref name="ns"/>.</summary>
    public KadValidators Register(string ns, IKadRecordValidator validator)
    {
        ArgumentException.ThrowIfNullOrEmpty(ns);
        ArgumentNullException.ThrowIfNull(validator);
        if (ns.Contains('/'))
        {
            throw new ArgumentException("A namespace has no slash.", nameof(ns));
        }
        ImmutableInterlocked.Update(ref _byNamespace, static (map, entry) => map.SetItem(entry.ns, entry.validator), (ns, validator));
        return this;
    }

    /// <summary>The validator for <paramref name="key"/>'s namespace, if any.</summary>
    public bool TryGetValidator(ReadOnlySpan<byte> key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IKadRecordValidator? validator)
    {
        validator = null;
        if (!KadRecordKey.TrySplit(key, out ReadOnlySpan<byte> ns, out _))
        {
            return false;
        }
        // Namespaces are short ASCII; decode without allocating for the common ones.
        ImmutableDictionary<string, IKadRecordValidator> map = Volatile.Read(ref _byNamespace);
        if (ns.SequenceEqual("pk"u8))
        {
            return map.TryGetValue(PublicKeyRecordValidator.Namespace, out validator);
        }
        if (ns.SequenceEqual("ipns"u8))
        {
            return map.TryGetValue(IpnsRecordValidator.Namespace, out validator);
        }
        return map.TryGetValue(Encoding.UTF8.GetString(ns), out validator);
    }

    public bool Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason)
    {
        if (!TryGetValidator(key, out IKadRecordValidator? validator))
        {
            reason = KadRecordKey.TrySplit(key, out _, out _)
                ? $"no validator for the namespace of {KadRecordKey.Format(key)}"
                : $"{KadRecordKey.Format(key)} is not a /namespace/key";
            return false;
        }
        return validator.Validate(key, value, out reason);
    }

    /// <summary>The best of <paramref name="values"/> (all valid) for <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">The key has no validator.</exception>
    public int Select(ReadOnlySpan<byte> key, IReadOnlyList<ReadOnlyMemory<byte>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfZero(values.Count, nameof(values));
        if (!TryGetValidator(key, out IKadRecordValidator? validator))
        {
            throw new ArgumentException($"No validator for {KadRecordKey.Format(key)}.", nameof(key));
        }
        int best = validator.Select(key, values);
        return (uint)best < (uint)values.Count ? best : 0;
    }
}

/// <summary>
/// Accepts any value and selects the first: what js-libp2p interop tests register for a test namespace (§5c
/// <c>validators: { v: async () =&gt; {} }</c>, <c>selectors: { v: () =&gt; 0 }</c>). Not for production keys.
/// </summary>
public sealed class AcceptAnyValidator : IKadRecordValidator
{
    public static AcceptAnyValidator Instance { get; } = new();

    public bool Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason)
    {
        reason = null;
        return true;
    }

    public int Select(ReadOnlySpan<byte> key, IReadOnlyList<ReadOnlyMemory<byte>> values) => 0;
}
