using System.Buffers;
using CsCheck;
using Mesh.Kademlia.Serialization;
using Mesh.TestKit;

namespace Mesh.Kademlia.Tests.Serialization;

public sealed class MsgPackRoundTripTests
{
    [Fact]
    public void Loads_of_dumps_is_identity_and_dumps_is_canonical()
    {
        MsgPackGenerators.Value.Sample(v =>
        {
            byte[] bytes = MsgPackSerializer.Serialize(v);
            Assert.Equal(bytes.Length, MsgPackSerializer.GetEncodedLength(v));
            MsgValue back = MsgPackSerializer.Deserialize(bytes);
            Assert.Equal(v, back);
            Assert.Equal(bytes, MsgPackSerializer.Serialize(back));
        }, seed: MsgPackGenerators.Seed, iter: 10_000);
    }

    [Fact]
    public void Streaming_decode_is_identical_on_one_byte_segments_with_guard_bytes()
    {
        MsgPackGenerators.Value.Sample(v =>
        {
            byte[] bytes = MsgPackSerializer.Serialize(v);
            byte[] guarded = [.. bytes, 0xc0, 0xc3];
            ReadOnlySequence<byte> seq = Segments.OneBytePerSegment(guarded);
            Assert.Equal(OperationStatus.Done, MsgPackSerializer.TryRead(ref seq, out MsgValue back, out _));
            Assert.Equal(v, back);
            Assert.Equal(2, seq.Length);
        }, seed: MsgPackGenerators.Seed, iter: 500);
    }

    [Fact]
    public void Typed_string_fast_path_matches_the_value_encoder()
    {
        foreach (int n in new[] { 0, 1, 31, 32, 255, 256, 65535, 65536 })
        {
            string s = new('x', n);
            byte[] expected = MsgPackSerializer.Serialize(MsgValue.FromString(s));
            Assert.Equal(expected, MsgPackSerializer.SerializeString(s));
            Assert.Equal(expected.Length, MsgPackSerializer.GetStringEncodedLength(s));
            var dest = new byte[expected.Length];
            Assert.True(MsgPackSerializer.TryWriteString(dest, s, out int written));
            Assert.Equal(expected.Length, written);
            Assert.Equal(expected, dest);
            Assert.False(MsgPackSerializer.TryWriteString(new byte[expected.Length - 1], s, out _));
        }
        Assert.Equal(MsgPackSerializer.Serialize("ключ-κλειδί-鍵"), MsgPackSerializer.SerializeString("ключ-κλειδί-鍵"));
    }

    [Fact]
    public void Typed_bytes_and_number_fast_paths_match_the_value_encoder()
    {
        foreach (int n in new[] { 0, 1, 255, 256, 65535, 65536 })
        {
            byte[] b = new byte[n];
            Assert.Equal(MsgPackSerializer.Serialize(MsgValue.FromBytes(b)), MsgPackSerializer.SerializeBytes(b));
        }
        foreach (long v in new[] { 0L, 127, 128, -32, -33, 65536, long.MinValue, long.MaxValue })
        {
            Assert.Equal(MsgPackSerializer.Serialize(v), MsgPackSerializer.SerializeInt64(v));
        }
        Assert.Equal("cb41d954fc40200000", Hex.Encode(MsgPackSerializer.SerializeDouble(1700000000.5)));
    }

    [Fact]
    public void Record_tuple_fast_path_matches_a_tuple_value_at_every_size_class()
    {
        foreach (int valueLength in new[] { 0, 1, 2, 200, 255, 256, 70000 })
        {
            foreach (int subkeyLength in new[] { 1, 20, 300 })
            {
                byte[] key = new byte[20];
                byte[] subkey = new byte[subkeyLength];
                byte[] value = new byte[valueLength];
                Random.Shared.NextBytes(value);
                byte[] expected = MsgPackSerializer.Serialize(MsgValue.Tuple(key, subkey, value, 1700000000.5));
                Assert.Equal(expected.Length, RecordTuple.GetEncodedLength(20, subkeyLength, valueLength));
                Assert.Equal(expected, RecordTuple.Serialize(key, subkey, value, 1700000000.5));
                Assert.False(RecordTuple.TryWrite(new byte[expected.Length - 1], key, subkey, value, 1.0, out _));
            }
        }
    }

    [Fact]
    public void Tuple_payload_sizes_pick_the_fixext_and_ext_forms_msgpack_python_picks()
    {
        // Payload = the array: header + n one-byte ints. Sizes 1/2/4/8/16 use fixext d4..d8, others ext8/ext16/ext32.
        (int Items, string Prefix)[] cases =
        [
            (0, "d440"), (1, "d540"), (2, "c70340"), (3, "d640"), (7, "d740"), (14, "c70f40"), (15, "d840"),
            (16, "c71340"), (252, "c7ff40"), (253, "c8010040"), (70000, "c90001117540"),
        ];
        foreach ((int items, string prefix) in cases)
        {
            MsgValue tuple = MsgValue.Tuple(Enumerable.Repeat(MsgValue.FromInt64(1), items).ToArray());
            string hex = Hex.Encode(MsgPackSerializer.Serialize(tuple));
            Assert.StartsWith(prefix, hex, StringComparison.Ordinal);
            Assert.Equal(tuple, MsgPackSerializer.Deserialize(Hex.Decode(hex)));
        }
    }
}
