using System.Buffers;
using Mesh.Multistream;
using Mesh.Node.Chain.Metadata;
using Mesh.Node.Chain.Scale;

namespace Mesh.Fuzz.Node;

/// <summary>
/// The metadata-driven SCALE decoder over a registry that has every type shape (primitives of every width, compact,
/// vectors, byte arrays, options, results, tuples, structs, enums, BTreeMap/BTreeSet, bit sequences, a recursive enum).
/// Byte 0 picks the type; the rest is decoded. Differential: a decoded value re-encodes, and that encoding decodes and
/// re-encodes to itself (canonical fixed point); compact integers decode the same from a span and from a segmented
/// sequence. Only <see cref="MeshProtocolException"/> (ChainDecodeException) is an acceptable failure.
/// </summary>
public sealed class ScaleFuzzTarget : IFuzzTarget
{
    private static readonly PortableRegistry s_types = FuzzRegistry.Build();
    private static readonly int[] s_roots = [3, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21, 23, 25, 27, 28, 30];

    public string Name => "scale";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        int type = s_roots[input[0] % s_roots.Length];
        ReadOnlySpan<byte> data = input[1..];
        CompactDifferential(data);
        ScaleValue value;
        try
        {
            var reader = new ScaleReader(data);
            value = ScaleCodec.Decode(s_types, type, ref reader);
        }
        catch (MeshProtocolException)
        {
            return;
        }
        byte[] once = ScaleCodec.Encode(s_types, type, value);
        byte[] twice = ScaleCodec.Encode(s_types, type, ScaleCodec.Decode(s_types, type, once));
        if (!once.AsSpan().SequenceEqual(twice))
        {
            throw new InvalidOperationException($"SCALE re-encoding of type #{type} is not a fixed point");
        }
    }

    private static void CompactDifferential(ReadOnlySpan<byte> data)
    {
        OperationStatus a = ScaleCompact.TryRead(data, out UInt128 va, out int consumed);
        byte[] copy = data.ToArray();
        int split = copy.Length == 0 ? 0 : copy[0] % (copy.Length + 1);
        var seq = new ReadOnlySequence<byte>(copy);
        if (split > 0 && split < copy.Length)
        {
            seq = Split(copy, split);
        }
        long before = seq.Length;
        OperationStatus b = ScaleCompact.TryRead(ref seq, out UInt128 vb);
        if (a != b || (a == OperationStatus.Done && (va != vb || before - seq.Length != consumed)) || (a != OperationStatus.Done && seq.Length != before))
        {
            throw new InvalidOperationException("compact integer: span and sequence paths disagree");
        }
        if (a == OperationStatus.Done)
        {
            Span<byte> re = stackalloc byte[ScaleCompact.MaxEncodedLength];
            ScaleCompact.TryWrite(re, va, out int written);
            if (!re[..written].SequenceEqual(data[..consumed]))
            {
                throw new InvalidOperationException("compact integer: accepted a non-canonical encoding");
            }
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] data, int at)
    {
        var first = new Segment(data.AsMemory(0, at), 0);
        Segment last = first.Append(data.AsMemory(at));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>A hand-built registry with every shape the codec handles (ids are the array positions).</summary>
internal static class FuzzRegistry
{
    public static PortableRegistry Build()
    {
        var t = new List<PortableType>();
        PortableType P(PrimitiveKind k) => new() { Id = t.Count, Path = [], Parameters = [], Kind = TypeDefKind.Primitive, Primitive = k, Docs = [] };
        PortableType Seq(int e, params string[] path) => new() { Id = t.Count, Path = path, Parameters = [], Kind = TypeDefKind.Sequence, ElementTypeId = e, Docs = [] };
        PortableType Comp(string[] path, params TypeField[] f) => new() { Id = t.Count, Path = path, Parameters = [], Kind = TypeDefKind.Composite, Fields = f, Docs = [] };
        PortableType Var(string[] path, params TypeVariant[] v) => new() { Id = t.Count, Path = path, Parameters = [], Kind = TypeDefKind.Variant, Variants = v, Docs = [] };
        PortableType Tup(params int[] ids) => new() { Id = t.Count, Path = [], Parameters = [], Kind = TypeDefKind.Tuple, TupleTypeIds = ids, Docs = [] };
        TypeField F(string? name, int id) => new(name, id, null, []);
        TypeVariant V(string name, byte index, params TypeField[] f) => new(name, f, index, []);

        t.Add(P(PrimitiveKind.U8));                                    // 0
        t.Add(P(PrimitiveKind.Bool));                                  // 1
        t.Add(P(PrimitiveKind.U16));                                   // 2
        t.Add(P(PrimitiveKind.U32));                                   // 3
        t.Add(P(PrimitiveKind.U64));                                   // 4
        t.Add(P(PrimitiveKind.U128));                                  // 5
        t.Add(P(PrimitiveKind.I32));                                   // 6
        t.Add(P(PrimitiveKind.Str));                                   // 7
        t.Add(P(PrimitiveKind.Char));                                  // 8
        t.Add(P(PrimitiveKind.U256));                                  // 9
        t.Add(P(PrimitiveKind.I128));                                  // 10
        t.Add(Seq(0));                                                 // 11 Vec<u8>
        t.Add(Seq(3));                                                 // 12 Vec<u32>
        t.Add(new PortableType { Id = 13, Path = [], Parameters = [], Kind = TypeDefKind.Array, ArrayLength = 20, ElementTypeId = 0, Docs = [] }); // 13 [u8; 20]
        t.Add(new PortableType { Id = 14, Path = [], Parameters = [], Kind = TypeDefKind.Compact, ElementTypeId = 3, Docs = [] }); // 14 Compact<u32>
        t.Add(new PortableType { Id = 15, Path = [], Parameters = [], Kind = TypeDefKind.Compact, ElementTypeId = 5, Docs = [] }); // 15 Compact<u128>
        t.Add(Var(["Option"], V("None", 0), V("Some", 1, F(null, 3))));  // 16 Option<u32>
        t.Add(Tup(3, 5));                                              // 17 (u32, u128)
        t.Add(Comp(["BTreeMap"], F(null, 20)));                        // 18 BTreeMap<[u8;20], u32>
        t.Add(Tup(13, 3));                                             // 19 ([u8;20], u32)
        t.Add(Seq(19));                                                // 20 Vec<19>
        t.Add(Comp(["BTreeSet"], F(null, 22)));                        // 21 BTreeSet<Vec<u8>>
        t.Add(Seq(11));                                                // 22 Vec<Vec<u8>>
        t.Add(Comp(["Node"], F("id", 3), F("hotkey", 13), F("peer", 11), F("class", 24), F("opt", 16), F("set", 21),
            F("map", 18), F("score", 15), F("flag", 1), F("wide", 4), F("small", 2), F("signed", 6)));   // 23 struct
        t.Add(Var(["Class"], V("Registered", 0), V("Idle", 1), V("Included", 2), V("Validator", 3))); // 24 enum
        t.Add(new PortableType { Id = 25, Path = [], Parameters = [], Kind = TypeDefKind.BitSequence, BitStoreTypeId = 0, BitOrderTypeId = 26, Docs = [] }); // 25 BitVec<u8, Lsb0>
        t.Add(Comp(["bitvec", "order", "Lsb0"]));                      // 26 Lsb0
        t.Add(Var(["Result"], V("Ok", 0, F(null, 3)), V("Err", 1, F(null, 24))));  // 27 Result<u32, Class>
        t.Add(Var(["Tree"], V("Leaf", 0, F(null, 3)), V("Node", 1, F(null, 29)))); // 28 recursive
        t.Add(Seq(28));                                                // 29 Vec<Tree>
        t.Add(Seq(23));                                                // 30 Vec<Node>
        return new PortableRegistry([.. t]);
    }
}
