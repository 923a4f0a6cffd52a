using System.Buffers;
using Mesh.Fuzz.Transport;
using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;

namespace Mesh.Fuzz.Kademlia;

/// <summary>
/// <c>/ipfs/kad/1.0.0</c> messages as an inbound stream carries them (up to 16 length-prefixed frames). The first input
/// byte picks the segmentation and the size limit; a single-segment read and a chunked read must agree on every
/// status, error and message. Every accepted message is checked three ways: it re-encodes and decodes to the same
/// fields; the generated Google.Protobuf codec (the reference) parses the same body to the same type, key, record and
/// peer ids; and a record it carries runs through the pk, ipns and namespace validators (which must never throw).
/// </summary>
public sealed class KadMessageFuzzTarget : IFuzzTarget
{
    private static readonly KadValidators s_validators = new KadValidators().Register("v", AcceptAnyValidator.Instance);

    public string Name => "kad-message";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int chunk = input[0] & 0x1f;
        int limit = (input[0] & 0x20) != 0 ? 256 : KadMessageCodec.DefaultMaxMessageSize;
        byte[] data = input[1..].ToArray();
        List<(OperationStatus, KadMessageError, KadMessage?)> a = ReadAll(new ReadOnlySequence<byte>(data), limit);
        List<(OperationStatus, KadMessageError, KadMessage?)> b = ReadAll(FuzzSegments.Chunked(data, chunk), limit);
        if (a.Count != b.Count)
        {
            throw new InvalidOperationException("segmentation changed the number of frames");
        }
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Item1 != b[i].Item1 || a[i].Item2 != b[i].Item2 || (a[i].Item3 is { } x && !Same(x, b[i].Item3!)))
            {
                throw new InvalidOperationException($"segmentation changed frame {i}: {a[i].Item1}/{a[i].Item2} vs {b[i].Item1}/{b[i].Item2}");
            }
            if (a[i].Item3 is { } message)
            {
                Check(message);
            }
        }
    }

    private static List<(OperationStatus, KadMessageError, KadMessage?)> ReadAll(ReadOnlySequence<byte> buffer, int limit)
    {
        var results = new List<(OperationStatus, KadMessageError, KadMessage?)>();
        for (int i = 0; i < 16; i++)
        {
            long before = buffer.Length;
            OperationStatus status = KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? message, out KadMessageError error, limit);
            results.Add((status, error, message));
            if (status != OperationStatus.Done)
            {
                if (buffer.Length != before)
                {
                    throw new InvalidOperationException($"{status} consumed input");
                }
                break;
            }
        }
        return results;
    }

    private static void Check(KadMessage message)
    {
        byte[] frame = KadMessageCodec.ToFrame(message);
        var again = new ReadOnlySequence<byte>(frame);
        if (KadMessageCodec.TryReadFrame(ref again, out KadMessage? back, out _, int.MaxValue) != OperationStatus.Done || !Same(message, back!))
        {
            throw new InvalidOperationException("re-encoded message does not decode to the same fields");
        }
        int prefix = Uvarint.GetByteCount((ulong)KadMessageCodec.GetBodyLength(message));
        Mesh.Kademlia.Libp2p.Protos.Message reference = Mesh.Kademlia.Libp2p.Protos.Message.Parser.ParseFrom(frame.AsSpan(prefix));
        if ((int)reference.Type != (int)message.Type || !reference.Key.Span.SequenceEqual(message.Key.Span)
            || reference.CloserPeers.Count != message.CloserPeers.Count || reference.ProviderPeers.Count != message.ProviderPeers.Count
            || (message.Record is { } r && (!reference.Record.Key.Span.SequenceEqual(r.Key.Span) || !reference.Record.Value.Span.SequenceEqual(r.Value.Span)))
            || !reference.CloserPeers.Select(p => p.Id.ToByteArray()).SequenceEqual(message.CloserPeers.Select(p => p.Id.ToByteArray()), ByteArrayEquality.Instance))
        {
            throw new InvalidOperationException("the reference protobuf codec reads our encoding differently");
        }
        if (message.Record is { } record)
        {
            s_validators.Validate(record.Key.Span, record.Value.Span, out _);
            if (KadRecordKey.TrySplit(record.Key.Span, out _, out _) && s_validators.TryGetValidator(record.Key.Span, out IKadRecordValidator? v))
            {
                v.Select(record.Key.Span, [record.Value, record.Value]);
            }
            // The value as an IPNS record under any key shape, and as a public key.
            new IpnsRecordValidator().Validate("/ipns/"u8.ToArray().Concat(message.Key.ToArray()).ToArray(), record.Value.Span, out _);
            PublicKeyRecordValidator.Instance.Validate(message.Key.Span, record.Value.Span, out _);
        }
    }

    private static bool Same(KadMessage x, KadMessage y) =>
        x.Type == y.Type && x.ClusterLevelRaw == y.ClusterLevelRaw && x.Key.Span.SequenceEqual(y.Key.Span)
        && (x.Record is null ? y.Record is null : y.Record is not null && x.Record.Key.Span.SequenceEqual(y.Record.Key.Span)
            && x.Record.Value.Span.SequenceEqual(y.Record.Value.Span) && (x.Record.TimeReceived ?? "") == (y.Record.TimeReceived ?? ""))
        && SamePeers(x.CloserPeers, y.CloserPeers) && SamePeers(x.ProviderPeers, y.ProviderPeers);

    private static bool SamePeers(IReadOnlyList<KadPeer> x, IReadOnlyList<KadPeer> y) =>
        x.Count == y.Count && x.Zip(y).All(p => p.First.Id == p.Second.Id && p.First.Connection == p.Second.Connection && p.First.Addresses.SequenceEqual(p.Second.Addresses));

    private sealed class ByteArrayEquality : IEqualityComparer<byte[]>
    {
        public static ByteArrayEquality Instance { get; } = new();

        public bool Equals(byte[]? a, byte[]? b) => a.AsSpan().SequenceEqual(b);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
