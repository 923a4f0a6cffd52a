using Mesh.Node.Chain;
using Mesh.Node.Chain.Scale;
using Mesh.TestKit;

namespace Mesh.Node.Tests.Chain.Metadata;

public sealed class ChainEventsTests
{
    [Fact]
    public void Decodes_the_failed_extrinsic_record_and_names_the_pallet_error()
    {
        // RUNTIME.md §7: the raw EventRecord of an InvalidPeerId failure, in a one-element Vec.
        IReadOnlyList<ChainEvent> events = ChainEvents.Decode(ChainTestData.Metadata, Hex.Decode("04000100000000010317210000002261c91900000000"));
        ChainEvent e = Assert.Single(events);
        Assert.Equal(EventPhase.ApplyExtrinsic, e.Phase);
        Assert.Equal(1u, e.ExtrinsicIndex);
        Assert.True(e.Is("System", "ExtrinsicFailed"));
        DispatchErrorInfo info = ChainEvents.ResolveDispatchError(ChainTestData.Metadata, e["dispatch_error"]);
        Assert.Equal(new DispatchErrorInfo("Network", "InvalidPeerId", "PeerId format invalid"), info);
        Assert.Contains("System.ExtrinsicFailed", e.ToString());
    }

    [Fact]
    public void Non_module_dispatch_errors_get_their_variant_names()
    {
        var m = ChainTestData.Metadata;
        int type = m.Types.Types.First(t => t.Path.Length > 0 && t.Path[^1] == "DispatchError").Id;
        Assert.Equal("BadOrigin", ChainEvents.ResolveDispatchError(m, ScaleCodec.Decode(m.Types, type, Hex.Decode("02"))).Error);
        DispatchErrorInfo token = ChainEvents.ResolveDispatchError(m, ScaleCodec.Decode(m.Types, type, Hex.Decode("0700")));
        Assert.Equal("Token.FundsUnavailable", token.Error);
        DispatchErrorInfo unknown = ChainEvents.ResolveDispatchError(m, ScaleCodec.Decode(m.Types, type, Hex.Decode("03" + "17" + "fa000000")));
        Assert.Equal("Network", unknown.Pallet);
        Assert.Equal("error#250", unknown.Error);
    }

    [Fact]
    public void Truncated_event_lists_are_decode_errors()
    {
        byte[] raw = Hex.Decode("04000100000000010317210000002261c91900000000");
        for (int len = 0; len < raw.Length; len++)
        {
            Assert.Throws<ChainDecodeException>(() => ChainEvents.Decode(ChainTestData.Metadata, raw.AsSpan(0, len)));
        }
    }
}
