namespace Mesh.Kademlia.Libp2p.Records;

/// <summary>
/// The validator of one key namespace of the libp2p Kademlia DHT (go-libp2p-record <c>Validator</c>, js
/// <c>validators</c> + <c>selectors</c>): decides whether a value may be stored under a key and which of several valid
/// values is best. Implementations must be thread-safe, must not throw for bad input (bad input is simply invalid), and
/// run on every PUT_VALUE received and on every value a lookup brings back.
/// </summary>
public interface IKadRecordValidator
{
    /// <summary>
    /// Whether <paramref name="value"/> is acceptable under <paramref name="key"/> (the whole key, namespace included);
    /// when not, <paramref name="reason"/> says why, for the log.
    /// </summary>
    bool Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason);

    /// <summary>
    /// The index of the best of <paramref name="values"/>, all already valid for <paramref name="key"/>. Ties go to
    /// the lowest index (go-libp2p-record: "the first of equally good records wins"), which is how a store keeps a
    /// fresh copy of a value it already has.
    /// </summary>
    int Select(ReadOnlySpan<byte> key, IReadOnlyList<ReadOnlyMemory<byte>> values);
}
