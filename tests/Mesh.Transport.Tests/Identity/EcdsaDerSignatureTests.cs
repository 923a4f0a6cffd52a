using CsCheck;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Transport.Tests.Identity;

/// <summary>The strict DER codec for ECDSA signatures (RFC 3279 §2.2.3, BIP 66).</summary>
public sealed class EcdsaDerSignatureTests
{
    [Theory]
    [InlineData("3006020101020101", true)]
    [InlineData("30060201010201ff", false)]            // negative s
    [InlineData("300702020001020101", false)]          // r with a needless leading zero
    [InlineData("3007020200ff020101", true)]           // r = 0xff needs its zero byte
    [InlineData("3006020100020101", false)]            // r = 0
    [InlineData("300602010102010100", false)]          // trailing byte inside the input
    [InlineData("3007020101020101", false)]            // SEQUENCE length one too long
    [InlineData("3005020101020101", false)]            // SEQUENCE length one too short
    [InlineData("308106020101020101", false)]          // long-form length below 128
    [InlineData("3106020101020101", false)]            // SET, not SEQUENCE
    [InlineData("3006030101020101", false)]            // BIT STRING, not INTEGER
    [InlineData("30050201010201", false)]              // s truncated
    [InlineData("3003020101", false)]                  // s missing
    [InlineData("3000", false)]
    [InlineData("30", false)]
    [InlineData("", false)]
    [InlineData("3008020101020301ffff", false)]        // s = 0x01ffff does not fit a 2-byte field
    public void Decodes_only_strict_der(string hex, bool valid)
    {
        Span<byte> rs = stackalloc byte[4];
        Assert.Equal(valid, EcdsaDerSignature.TryDecode(Hex.Decode(hex), 2, rs));
    }

    [Fact]
    public void Round_trips_random_scalars_for_every_field_size()
    {
        foreach (int field in new[] { 32, 48, 66 })
        {
            Gen<(byte[], byte[])> pairs = Gen.Select(Gen.Byte.Array[field], Gen.Byte.Array[field], Gen.Int[0, field], Gen.Int[0, field],
                (r, s, zr, zs) =>
                {
                    r.AsSpan(0, zr).Clear();  // exercise short integers and leading-zero handling
                    s.AsSpan(0, zs).Clear();
                    r[^1] |= 1;
                    s[^1] |= 1;
                    return (r, s);
                });
            Property.ForAll(pairs, pair =>
            {
                (byte[] r, byte[] s) = pair;
                Span<byte> der = stackalloc byte[EcdsaDerSignature.GetMaxLength(field)];
                Assert.True(EcdsaDerSignature.TryEncode(r, s, der, out int written));
                Span<byte> rs = stackalloc byte[2 * field];
                Assert.True(EcdsaDerSignature.TryDecode(der[..written], field, rs));
                Assert.Equal(r, rs[..field].ToArray());
                Assert.Equal(s, rs[field..].ToArray());
                Assert.False(EcdsaDerSignature.TryEncode(r, s, der[..(written - 1)], out _));
                for (int cut = 0; cut < written; cut++)
                {
                    Assert.False(EcdsaDerSignature.TryDecode(der[..cut], field, rs));
                }
            }, iterations: 300);
        }
    }
}
