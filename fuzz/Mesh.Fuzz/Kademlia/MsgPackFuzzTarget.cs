using System.Buffers;
using Mesh.Fuzz.Transport;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Serialization;

namespace Mesh.Fuzz.Kademlia;

/// <summary>
/// The hivemind-compatible msgpack decoder (ext 0x40 tuples, ext 0x50 DictionaryDHTValue, strict map keys, depth and
/// length limits). The first input byte picks the segmentation and the depth limit; a single-segment read and a
/// chunked read must agree on status, value and bytes consumed. Every accepted value is differential-checked:
/// encode → decode gives the same value, and encoding is a fixpoint (canonical bytes re-encode to themselves).
/// </summary>
public sealed class MsgPackFuzzTarget : IFuzzTarget
{
    public string Name => "msgpack";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int chunk = input[0] & 0x0f;
        var options = new MsgPackReadOptions { MaxDepth = (input[0] & 0x10) != 0 ? 8 : 64, MaxLength = 1 << 20 };
        byte[] data = input[1..].ToArray();

        (OperationStatus statusA, MsgValue a, long consumedA) = Read(new ReadOnlySequence<byte>(data), options);
        (OperationStatus statusB, MsgValue b, long consumedB) = Read(FuzzSegments.Chunked(data, chunk), options);
        if (statusA != statusB || consumedA != consumedB || !a.Equals(b))
        {
            throw new InvalidOperationException($"segmentation changed the result: {statusA}/{consumedA} vs {statusB}/{consumedB}");
        }

        // Whole-buffer API: accepts exactly when one value spans the input.
        bool whole;
        try
        {
            MsgValue c = MsgPackSerializer.Deserialize(data.AsMemory(), options);
            whole = true;
            if (!c.Equals(a))
            {
                throw new InvalidOperationException("Deserialize and TryRead disagree");
            }
        }
        catch (MsgPackFormatException)
        {
            whole = false;
        }
        if (whole != (statusA == OperationStatus.Done && consumedA == data.Length))
        {
            throw new InvalidOperationException("Deserialize acceptance differs from a complete TryRead");
        }
        if (statusA != OperationStatus.Done)
        {
            return;
        }

        byte[] encoded = MsgPackSerializer.Serialize(a);
        if (encoded.Length != MsgPackSerializer.GetEncodedLength(a))
        {
            throw new InvalidOperationException("measured length differs from the encoding");
        }
        MsgValue again = MsgPackSerializer.Deserialize(encoded.AsMemory(), options with { MaxDepth = 64 });
        if (!again.Equals(a))
        {
            throw new InvalidOperationException("decode(encode(v)) != v");
        }
        if (!MsgPackSerializer.Serialize(again).AsSpan().SequenceEqual(encoded))
        {
            throw new InvalidOperationException("encoding is not canonical (not a fixpoint)");
        }
        _ = DhtId.Generate(a);
        if (a.Kind == MsgKind.Dictionary)
        {
            _ = a.AsDictionary().Prune(1_700_000_000);
        }
    }

    private static (OperationStatus, MsgValue, long) Read(ReadOnlySequence<byte> sequence, in MsgPackReadOptions options)
    {
        long before = sequence.Length;
        OperationStatus status = MsgPackSerializer.TryRead(ref sequence, options, out MsgValue value, out _);
        return (status, value, before - sequence.Length);
    }
}
