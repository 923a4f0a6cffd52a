namespace Mesh.Kademlia.Libp2p.Messages;

/// <summary>
/// <c>Record</c> (libp2p kad-dht spec): a value under a key. <see cref="TimeReceived"/> is an RFC 3339 time the
/// receiver stamps when it stores the record; the removed fields 3 (author) and 4 (signature) are skipped on read
/// and never written.
/// </summary>
public sealed record KadRecord(ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value, string? TimeReceived = null)
{
    public override string ToString() => $"Record({Key.Length}-byte key, {Value.Length}-byte value{(TimeReceived is null ? "" : ", received " + TimeReceived)})";
}
