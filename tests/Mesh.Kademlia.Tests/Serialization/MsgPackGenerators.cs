using CsCheck;
using Mesh.Kademlia.Serialization;

namespace Mesh.Kademlia.Tests.Serialization;

/// <summary>CsCheck generators for msgpack values that survive loads(dumps(x)) unchanged (unique str/bytes map keys).</summary>
internal static class MsgPackGenerators
{
    /// <summary>The replay seed every property test in this project uses, so failures reproduce.</summary>
    public const string Seed = "0000000000042";

    private static readonly Gen<string> s_text =
        Gen.Int[0, 0x10FFFF].Where(cp => cp is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32).Array[0, 40]
            .Select(parts => string.Concat(parts));

    private static readonly Gen<byte[]> s_bytes = Gen.Frequency(
        (8, (IGen<byte[]>)Gen.Byte.Array[0, 40]),
        (1, Gen.Byte.Array[250, 300]));

    public static readonly Gen<MsgValue> Scalar = Gen.Frequency(
        (1, (IGen<MsgValue>)Gen.Const(MsgValue.Nil)),
        (1, Gen.Bool.Select(MsgValue.FromBoolean)),
        (3, Gen.Long.Select(MsgValue.FromInt64)),
        (1, Gen.ULong.Select(MsgValue.FromUInt64)),
        (2, Gen.Int[-200, 70000].Select(i => MsgValue.FromInt64(i))),
        (2, Gen.Double.Select(MsgValue.FromDouble)),
        (3, s_text.Select(MsgValue.FromString)),
        (3, s_bytes.Select(MsgValue.FromBytes)));

    private static readonly Gen<MsgValue> s_subkey = Gen.Frequency(
        (3, (IGen<MsgValue>)s_text.Select(MsgValue.FromString)),
        (2, s_bytes.Select(MsgValue.FromBytes)),
        (2, Gen.Long.Select(MsgValue.FromInt64)),
        (1, Gen.Select(s_text, Gen.Int, (s, i) => MsgValue.Tuple(s, i))));

    public static readonly Gen<DictionaryDhtValue> Dictionary =
        Gen.Select(s_subkey.Array[0, 6], s_bytes.Array[6], Gen.Double[1.6e9, 1.8e9].Array[6], Gen.Double[1.6e9, 1.8e9],
            (subkeys, values, expirations, latest) =>
            {
                var items = new List<DictionaryDhtItem>();
                var seen = new HashSet<MsgValue>();
                for (int i = 0; i < subkeys.Length; i++)
                {
                    if (seen.Add(subkeys[i]))
                    {
                        items.Add(DictionaryDhtItem.Create(subkeys[i], values[i], expirations[i]));
                    }
                }
                return new DictionaryDhtValue(latest, items.ToArray());
            });

    public static readonly Gen<MsgValue> Value = Gen.Recursive<MsgValue>((depth, inner) =>
        depth >= 4
            ? Scalar
            : Gen.Frequency(
                (6, (IGen<MsgValue>)Scalar),
                (1, inner.Array[0, 6].Select(items => MsgValue.Array(items))),
                (1, inner.Array[0, 6].Select(items => MsgValue.Tuple(items))),
                (1, Gen.Select(inner.Array[0, 5], Gen.Bool, (values, binKeys) => MsgValue.Map(values
                    .Select((v, i) => new MsgMapEntry(binKeys ? MsgValue.FromBytes([(byte)i]) : MsgValue.FromString("k" + i), v))
                    .ToArray()))),
                (1, Dictionary.Select(MsgValue.FromDictionary)),
                (1, Gen.Select(Gen.SByte[0x52, 0x7f], s_bytes, (code, data) => MsgValue.Extension(code, data)))));
}
