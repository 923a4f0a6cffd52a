using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.TestKit;
using Mesh.Transport.Identity;

namespace Mesh.Kademlia.Tests.Libp2p.Records;

public sealed class KadValidatorsTests
{
    // /pk/ record of a js-libp2p Ed25519 peer (interop/js/peer.mjs `pk-record`): the key holds the identity peer id.
    private const string JsPkKey = "2f706b2f002408011220116e39998f93ad3f7016b3ed6036eefa7c0a1a3ef965147d8f18088829aa0126";
    private const string JsPkValue = "08011220116e39998f93ad3f7016b3ed6036eefa7c0a1a3ef965147d8f18088829aa0126";

    [Fact]
    public void Public_key_records_validate_in_go_and_js_forms()
    {
        Assert.True(PublicKeyRecordValidator.Instance.Validate(Hex.Decode(JsPkKey), Hex.Decode(JsPkValue), out string? reason), reason);
        // js's own validator hashes with sha2-256 whatever the key type: accepted too.
        PublicKey key = PublicKey.FromProtobuf(Hex.Decode(JsPkValue));
        byte[] shaKey = KadRecordKey.Create("pk", Multihash.ComputeSha2_256(Hex.Decode(JsPkValue)));
        Assert.True(PublicKeyRecordValidator.Instance.Validate(shaKey, key.ToProtobuf(), out reason), reason);
        // An RSA key's peer id is its sha2-256 multihash.
        PrivateKey rsa = PrivateKey.Generate(KeyType.Rsa);
        Assert.True(PublicKeyRecordValidator.Instance.Validate(KadRecordKey.Create("pk", rsa.PeerId.Bytes), rsa.PublicKey.ToProtobuf(), out reason), reason);
    }

    [Fact]
    public void Public_key_records_that_do_not_match_are_refused()
    {
        PrivateKey other = PrivateKey.Generate(KeyType.Ed25519);
        Assert.False(PublicKeyRecordValidator.Instance.Validate(Hex.Decode(JsPkKey), other.PublicKey.ToProtobuf(), out string? reason));
        Assert.Contains("does not hash", reason);
        Assert.False(PublicKeyRecordValidator.Instance.Validate("/pk/"u8, Hex.Decode(JsPkValue), out _));
        Assert.False(PublicKeyRecordValidator.Instance.Validate("/pk/xyz"u8, Hex.Decode(JsPkValue), out _));
        Assert.False(PublicKeyRecordValidator.Instance.Validate(Hex.Decode(JsPkKey), [1, 2, 3], out _));
        Assert.False(PublicKeyRecordValidator.Instance.Validate("/ipns/x"u8, Hex.Decode(JsPkValue), out _));
        Assert.Equal(0, PublicKeyRecordValidator.Instance.Select(Hex.Decode(JsPkKey), [Hex.Decode(JsPkValue), Hex.Decode(JsPkValue)]));
    }

    [Theory]
    [InlineData("/v/key", "v", "key")]
    [InlineData("/v/", "v", "")]
    [InlineData("/ipns/a/b", "ipns", "a/b")]
    public void Keys_split_into_namespace_and_rest(string key, string ns, string rest)
    {
        Assert.True(KadRecordKey.TrySplit(System.Text.Encoding.UTF8.GetBytes(key), out ReadOnlySpan<byte> n, out ReadOnlySpan<byte> r));
        Assert.Equal(ns, System.Text.Encoding.UTF8.GetString(n));
        Assert.Equal(rest, System.Text.Encoding.UTF8.GetString(r));
    }

    [Theory]
    [InlineData("")]
    [InlineData("v/key")]
    [InlineData("//key")]
    [InlineData("/v")]
    public void Keys_without_a_namespace_do_not_split(string key) =>
        Assert.False(KadRecordKey.TrySplit(System.Text.Encoding.UTF8.GetBytes(key), out _, out _));

    [Fact]
    public void Unknown_namespaces_are_refused_and_registered_ones_used()
    {
        var validators = new KadValidators();
        Assert.Equal(["ipns", "pk"], validators.Namespaces.Order());
        Assert.False(validators.Validate("/v/x"u8, "1"u8, out string? reason));
        Assert.Contains("no validator", reason);
        Assert.False(validators.Validate("plain"u8, "1"u8, out reason));
        Assert.Contains("not a /namespace/key", reason);
        Assert.Throws<ArgumentException>(() => validators.Select("/v/x"u8, ["1"u8.ToArray()]));
        validators.Register("v", new LongestWins());
        Assert.True(validators.Validate("/v/x"u8, "1"u8, out _));
        Assert.False(validators.Validate("/v/x"u8, ""u8, out _));
        Assert.Equal(1, validators.Select("/v/x"u8, ["1"u8.ToArray(), "333"u8.ToArray(), "22"u8.ToArray()]));
        Assert.Throws<ArgumentException>(() => validators.Register("a/b", AcceptAnyValidator.Instance));
    }

    private sealed class LongestWins : IKadRecordValidator
    {
        public bool Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string? reason)
        {
            reason = value.IsEmpty ? "empty" : null;
            return !value.IsEmpty;
        }

        public int Select(ReadOnlySpan<byte> key, IReadOnlyList<ReadOnlyMemory<byte>> values)
        {
            int best = 0;
            for (int i = 1; i < values.Count; i++)
            {
                best = values[i].Length > values[best].Length ? i : best;
            }
            return best;
        }
    }
}
