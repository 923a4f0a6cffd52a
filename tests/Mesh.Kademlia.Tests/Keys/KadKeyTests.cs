using System.Numerics;
using CsCheck;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Tests.Serialization;

namespace Mesh.Kademlia.Tests.Keys;

/// <summary>Keyspace arithmetic of both key widths checked against BigInteger, plus test_routing.py's id tests.</summary>
public sealed class KadKeyTests
{
    private static BigInteger Big<TKey>(TKey key)
        where TKey : struct, IKadKey<TKey> =>
        new(KadKey.ToBytes(key), isUnsigned: true, isBigEndian: true);

    private static Gen<TKey> Keys<TKey>()
        where TKey : struct, IKadKey<TKey> =>
        // Mix uniform keys with keys sharing long prefixes (the interesting cases for prefix lengths).
        Gen.Select(Gen.Byte.Array[TKey.ByteLength], Gen.Int[0, TKey.BitLength], (bytes, zeros) =>
        {
            TKey k = TKey.ReadBigEndian(bytes);
            return k & ~TKey.PrefixMask(zeros);
        });

    private static void CheckArithmetic<TKey>()
        where TKey : struct, IKadKey<TKey>
    {
        Gen.Select(Keys<TKey>(), Keys<TKey>(), Keys<TKey>()).Sample((a, b, t) =>
        {
            BigInteger A = Big(a), B = Big(b), T = Big(t);
            Assert.Equal(A ^ B, Big(TKey.Xor(a, b)));
            Assert.Equal(A.CompareTo(B), Math.Sign(a.CompareTo(b)));
            Assert.Equal((A ^ T).CompareTo(B ^ T), Math.Sign(TKey.CompareDistance(t, a, b)));
            int lcp = TKey.CommonPrefixLength(a, b);
            Assert.Equal(TKey.BitLength - (int)(A ^ B).GetBitLength(), lcp);
            Assert.Equal(TKey.BitLength - (int)A.GetBitLength(), a.LeadingZeroCount);
            for (int bit = 0; bit < TKey.BitLength; bit += 7)
            {
                Assert.Equal(!(A >> (TKey.BitLength - 1 - bit)).IsEven, a.GetBit(bit));
            }
            Span<byte> bytes = stackalloc byte[TKey.ByteLength];
            a.WriteBigEndian(bytes);
            Assert.Equal(a, TKey.ReadBigEndian(bytes));
        }, seed: MsgPackGenerators.Seed, iter: 2000);
    }

    [Fact]
    public void DhtId_arithmetic_matches_big_integers() => CheckArithmetic<DhtId>();

    [Fact]
    public void KadKey256_arithmetic_matches_big_integers() => CheckArithmetic<KadKey256>();

    private static void CheckMasks<TKey>()
        where TKey : struct, IKadKey<TKey>
    {
        var rng = new Random(7);
        for (int n = 0; n <= TKey.BitLength; n++)
        {
            TKey mask = TKey.PrefixMask(n);
            Assert.Equal(n, (~mask).LeadingZeroCount);
            TKey prefix = TKey.CreateRandom(rng);
            TKey inside = KadKey.RandomInSubtree(prefix, n, rng);
            Assert.True(TKey.CommonPrefixLength(prefix, inside) >= n);
            if (n < TKey.BitLength)
            {
                TKey bit = KadKey.WithBitSet(TKey.Zero, n);
                Assert.Equal(n, bit.LeadingZeroCount);
                Assert.True(bit.GetBit(n));
            }
        }
        Assert.Equal(TKey.Zero, TKey.PrefixMask(0));
        Assert.Equal(TKey.AllOnes, TKey.PrefixMask(TKey.BitLength));
        Assert.Equal(TKey.BitLength, TKey.Zero.LeadingZeroCount);
    }

    [Fact]
    public void Prefix_masks_and_subtree_sampling_DhtId() => CheckMasks<DhtId>();

    [Fact]
    public void Prefix_masks_and_subtree_sampling_KadKey256() => CheckMasks<KadKey256>();

    [Fact]
    public void Kad_key_of_data_is_its_sha256()
    {
        Assert.Equal(
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            KadKey256.Hash([]).ToString());
    }

    /// <summary>test_routing.py test_ids_basic.</summary>
    [Fact]
    public void Ids_basic()
    {
        for (int i = 0; i < 100; i++)
        {
            DhtId id1 = DhtId.CreateRandom(), id2 = DhtId.CreateRandom();
            Assert.True(DhtId.Zero <= id1 && id1 <= DhtId.AllOnes);
            Assert.Equal(DhtId.Zero, DhtId.Xor(id1, id1));
            Assert.True(DhtId.Xor(id1, id2) > DhtId.Zero || id1 == id2);
            Assert.Equal(id1, DhtId.FromBytes(id1.ToBytes()));
            Assert.Equal(id2, DhtId.ReadBigEndian(id2.ToBytes()));
        }
    }

    /// <summary>test_routing.py test_ids_depth: longest_common_prefix_length over up to 256 small ids.</summary>
    [Fact]
    public void Ids_depth()
    {
        var rng = new Random(42);
        for (int i = 0; i < 100; i++)
        {
            int[] ints = Enumerable.Range(0, rng.Next(1, 257)).Select(_ => rng.Next(0, 4097)).ToArray();
            DhtId[] ids = ints.Select(v => DhtId.FromBytes(BitConverter.GetBytes(v).Reverse().ToArray())).ToArray();
            string[] bits = ints.Select(v => Convert.ToString(v, 2).PadLeft(160, '0')).ToArray();
            int reference = 0;
            while (reference < 160 && bits.All(b => b[reference] == bits[0][reference]))
            {
                reference++;
            }
            Assert.Equal(reference, DhtId.CommonPrefixLength(ids));
        }
    }
}
