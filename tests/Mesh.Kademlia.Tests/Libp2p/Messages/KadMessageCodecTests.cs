using System.Buffers;
using CsCheck;
using Google.Protobuf;
using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Multistream;
using Mesh.TestKit;
using Mesh.Transport.Identity;
using Ref = Mesh.Kademlia.Libp2p.Protos;

namespace Mesh.Kademlia.Tests.Libp2p.Messages;

public sealed class KadMessageCodecTests
{
    private const string Seed = "0000000000042";

    private static byte[] Frame(string bodyHex)
    {
        byte[] body = Hex.Decode(bodyHex);
        var w = new ArrayBufferWriter<byte>();
        Uvarint.Write(w, (ulong)body.Length);
        w.Write(body);
        return w.WrittenSpan.ToArray();
    }

    private static KadMessage Decode(byte[] frame)
    {
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.Equal(OperationStatus.Done, KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? m, out KadMessageError e));
        Assert.Equal(KadMessageError.None, e);
        Assert.True(buffer.IsEmpty);
        return m!;
    }

    private static KadMessage FindNodeSample() => new()
    {
        Type = KadMessageType.FindNode,
        Key = Hex.Decode(KadMessageVectors.Ed25519PeerId),
        CloserPeers =
        [
            new KadPeer(PeerId.FromBytes(Hex.Decode(KadMessageVectors.Ed25519PeerId)), [Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001"), Multiaddr.Parse("/ip6/::1/tcp/4002")]),
            new KadPeer(PeerId.FromBytes(Hex.Decode(KadMessageVectors.Sha256PeerId)), [Multiaddr.Parse("/ip4/10.0.0.1/tcp/1234")], KadConnectionType.Connected),
        ],
    };

    private static void AssertSame(KadMessage expected, KadMessage actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.ClusterLevelRaw, actual.ClusterLevelRaw);
        Assert.Equal(expected.Key.ToArray(), actual.Key.ToArray());
        Assert.Equal(expected.Record is null, actual.Record is null);
        if (expected.Record is { } r)
        {
            Assert.Equal(r.Key.ToArray(), actual.Record!.Key.ToArray());
            Assert.Equal(r.Value.ToArray(), actual.Record.Value.ToArray());
            Assert.Equal(string.IsNullOrEmpty(r.TimeReceived) ? null : r.TimeReceived, string.IsNullOrEmpty(actual.Record.TimeReceived) ? null : actual.Record.TimeReceived);
        }
        AssertPeers(expected.CloserPeers, actual.CloserPeers);
        AssertPeers(expected.ProviderPeers, actual.ProviderPeers);
    }

    private static void AssertPeers(IReadOnlyList<KadPeer> expected, IReadOnlyList<KadPeer> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Id, actual[i].Id);
            Assert.Equal(expected[i].Addresses, actual[i].Addresses);
            Assert.Equal(expected[i].Connection, actual[i].Connection);
        }
    }

    // ---- vectors from js-libp2p ---------------------------------------------------------------------------------

    [Fact]
    public void Decodes_js_find_node_response_in_every_segmentation_leaving_trailing_bytes()
    {
        byte[] frame = [.. Frame(KadMessageVectors.FindNodeResponse), 0xEE, 0xFF];
        foreach ((string shape, ReadOnlySequence<byte> seq) in Segments.Variants(frame))
        {
            ReadOnlySequence<byte> buffer = seq;
            Assert.True(OperationStatus.Done == KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? m, out _), shape);
            AssertSame(FindNodeSample(), m!);
            Assert.Equal(new byte[] { 0xEE, 0xFF }, buffer.ToArray());
        }
    }

    [Fact]
    public void Encodes_byte_for_byte_as_js_when_field_orders_agree()
    {
        Assert.Equal(KadMessageVectors.FindNodeResponse, Hex.Encode(KadMessageCodec.ToFrame(FindNodeSample()).AsSpan(2)));
        var put = new KadMessage
        {
            Type = KadMessageType.PutValue,
            Key = "/v/hello"u8.ToArray(),
            Record = new KadRecord("/v/hello"u8.ToArray(), "world"u8.ToArray(), "2025-01-02T03:04:05.678000000Z"),
        };
        Assert.Equal(KadMessageVectors.PutValue, Hex.Encode(KadMessageCodec.ToFrame(put).AsSpan(1)));
        AssertSame(put, Decode(Frame(KadMessageVectors.PutValue)));
        Assert.Equal(KadMessageVectors.Ping, Hex.Encode(KadMessageCodec.ToFrame(new KadMessage { Type = KadMessageType.Ping }).AsSpan(1)));
    }

    [Fact]
    public void Decodes_js_cluster_level_out_of_field_order_and_writes_it_last()
    {
        KadMessage m = Decode(Frame(KadMessageVectors.GetProvidersWithClusterLevel));
        Assert.Equal(KadMessageType.GetProviders, m.Type);
        Assert.Equal(3, m.ClusterLevelRaw);
        KadPeer provider = Assert.Single(m.ProviderPeers);
        Assert.Equal(Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001"), Assert.Single(provider.Addresses));
        // Field-number order (go's proto3 encoder): type, key, providers, then clusterLevelRaw.
        byte[] ours = KadMessageCodec.ToFrame(m);
        Assert.Equal("0803", Hex.Encode(ours.AsSpan(1, 2)));
        Assert.Equal("5003", Hex.Encode(ours.AsSpan(ours.Length - 2)));
        AssertSame(m, Decode(ours));
    }

    // ---- round trips against the generated reference codec -------------------------------------------------------

    private static readonly Gen<PeerId> GenPeerId = Gen.Byte.Array[32].Select(b => PeerId.FromBytes(Multihash.Create(Multihash.Sha2_256Code, b)));

    private static readonly Gen<Multiaddr> GenAddress = Gen.Select(Gen.Byte.Array[4], Gen.UShort, Gen.Bool,
        (ip, port, v6) => v6
            ? Multiaddr.FromIPEndPoint(new System.Net.IPEndPoint(new System.Net.IPAddress([.. ip, .. ip, .. ip, .. ip]), port))
            : Multiaddr.FromIPEndPoint(new System.Net.IPEndPoint(new System.Net.IPAddress(ip), port)));

    private static readonly Gen<KadPeer> GenPeer = Gen.Select(GenPeerId, GenAddress.List[0, 4], Gen.Int[0, 3],
        (id, addrs, c) => new KadPeer(id, addrs.ToArray(), (KadConnectionType)c));

    private static readonly Gen<KadRecord?> GenRecord = Gen.Frequency(
        (1, Gen.Const((KadRecord?)null)),
        (2, Gen.Select(Gen.Byte.Array[0, 40], Gen.Byte.Array[0, 300], Gen.String[Gen.Char.AlphaNumeric, 0, 32],
            (k, v, t) => (KadRecord?)new KadRecord(k, v, t.Length == 0 ? null : t))));

    internal static readonly Gen<KadMessage> GenMessage = Gen.Select(
        Gen.Int[0, 5], Gen.Int, Gen.Byte.Array[0, 64], GenRecord, GenPeer.List[0, 5], GenPeer.List[0, 3],
        (type, level, key, record, closer, providers) => new KadMessage
        {
            Type = (KadMessageType)type,
            ClusterLevelRaw = level,
            Key = key,
            Record = record,
            CloserPeers = closer.ToArray(),
            ProviderPeers = providers.ToArray(),
        });

    [Fact]
    public void Round_trips_and_agrees_with_the_generated_protobuf_codec()
    {
        GenMessage.Sample(m =>
        {
            byte[] frame = KadMessageCodec.ToFrame(m);
            Assert.Equal(KadMessageCodec.GetFrameLength(m), frame.Length);
            AssertSame(m, Decode(frame));
            // The generated (Google.Protobuf) codec reads our bytes as the same message and writes the same bytes.
            int prefix = Uvarint.GetByteCount((ulong)KadMessageCodec.GetBodyLength(m));
            Ref.Message reference = Ref.Message.Parser.ParseFrom(frame.AsSpan(prefix));
            Assert.Equal((int)m.Type, (int)reference.Type);
            Assert.Equal(m.ClusterLevelRaw, reference.ClusterLevelRaw);
            Assert.Equal(m.Key.ToArray(), reference.Key.ToByteArray());
            Assert.Equal(m.CloserPeers.Count, reference.CloserPeers.Count);
            Assert.Equal(m.CloserPeers.Select(p => p.Id.ToByteArray()), reference.CloserPeers.Select(p => p.Id.ToByteArray()));
            Assert.Equal(m.ProviderPeers.Select(p => p.Addresses.Count), reference.ProviderPeers.Select(p => p.Addrs.Count));
            Assert.Equal(frame.AsSpan(prefix).ToArray(), reference.ToByteArray());
        }, seed: Seed, iter: 5_000);
    }

    [Fact]
    public void Reads_what_the_generated_codec_writes_including_removed_record_fields()
    {
        var reference = new Ref.Message
        {
            Type = Ref.Message.Types.MessageType.GetValue,
            Key = ByteString.CopyFromUtf8("/v/k"),
            Record = new Ref.Record { Key = ByteString.CopyFromUtf8("/v/k"), Value = ByteString.CopyFromUtf8("v"), TimeReceived = "t" },
        };
        KadMessage m = Decode(Frame(Hex.Encode(reference.ToByteArray())));
        Assert.Equal("v", System.Text.Encoding.UTF8.GetString(m.Record!.Value.Span));
        // The removed Record.author (3) and signature (4) inside the record, and an unknown varint field 99 outside.
        byte[] legacyRecord = [0x0a, 0x01, (byte)'k', 0x1a, 0x02, 0xAA, 0xBB, 0x22, 0x01, 0xCC, 0x12, 0x01, (byte)'v'];
        byte[] legacy = [0x08, 0x01, 0x1a, (byte)legacyRecord.Length, .. legacyRecord, 0x98, 0x06, 0x07];
        KadMessage old = Decode(Frame(Hex.Encode(legacy)));
        Assert.Equal("k"u8.ToArray(), old.Record!.Key.ToArray());
        Assert.Equal("v"u8.ToArray(), old.Record.Value.ToArray());
    }

    [Fact]
    public void Repeated_record_fields_merge_as_protobuf_defines()
    {
        byte[] first = [0x0a, 0x01, (byte)'a', 0x12, 0x01, (byte)'1'];
        byte[] second = [0x12, 0x01, (byte)'2'];
        byte[] body = [0x08, 0x00, 0x1a, (byte)first.Length, .. first, 0x1a, (byte)second.Length, .. second];
        KadMessage m = Decode(Frame(Hex.Encode(body)));
        Assert.Equal("a"u8.ToArray(), m.Record!.Key.ToArray());
        Assert.Equal("2"u8.ToArray(), m.Record.Value.ToArray());
        Ref.Message reference = Ref.Message.Parser.ParseFrom(body);
        Assert.Equal("a", reference.Record.Key.ToStringUtf8());
        Assert.Equal("2", reference.Record.Value.ToStringUtf8());
    }

    // ---- partial input ---------------------------------------------------------------------------------------------

    [Fact]
    public void Every_proper_prefix_needs_more_data_and_consumes_nothing()
    {
        byte[] frame = Frame(KadMessageVectors.FindNodeResponse);
        foreach (ReadOnlySequence<byte> prefix in Segments.ProperPrefixes(frame))
        {
            ReadOnlySequence<byte> buffer = prefix;
            Assert.Equal(OperationStatus.NeedMoreData, KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? m, out KadMessageError e));
            Assert.Null(m);
            Assert.Equal(KadMessageError.None, e);
            Assert.Equal(prefix.Length, buffer.Length);
        }
    }

    [Fact]
    public void Two_messages_in_one_buffer_are_read_one_at_a_time()
    {
        byte[] both = [.. Frame(KadMessageVectors.Ping), .. Frame(KadMessageVectors.PutValue)];
        foreach ((string shape, ReadOnlySequence<byte> seq) in Segments.Variants(both))
        {
            ReadOnlySequence<byte> buffer = seq;
            Assert.True(OperationStatus.Done == KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? a, out _), shape);
            Assert.Equal(KadMessageType.Ping, a!.Type);
            Assert.Equal(OperationStatus.Done, KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? b, out _));
            Assert.Equal(KadMessageType.PutValue, b!.Type);
            Assert.True(buffer.IsEmpty);
        }
    }

    // ---- bad input ------------------------------------------------------------------------------------------------

    [Fact]
    public void Oversized_length_is_refused_from_the_prefix_alone()
    {
        // 4 MiB + 1 announced, nothing of the body present: refused now, not after buffering 4 MiB.
        var w = new ArrayBufferWriter<byte>();
        Uvarint.Write(w, KadMessageCodec.DefaultMaxMessageSize + 1UL);
        var buffer = new ReadOnlySequence<byte>(w.WrittenMemory);
        Assert.Equal(OperationStatus.InvalidData, KadMessageCodec.TryReadFrame(ref buffer, out _, out KadMessageError e));
        Assert.Equal(KadMessageError.MessageTooLarge, e);
        // A custom limit applies the same way.
        var small = new ReadOnlySequence<byte>(Frame(KadMessageVectors.FindNodeResponse));
        Assert.Equal(OperationStatus.InvalidData, KadMessageCodec.TryReadFrame(ref small, out _, out e, maxMessageSize: 16));
        Assert.Equal(KadMessageError.MessageTooLarge, e);
        // Writing an oversized message is refused too.
        var huge = new KadMessage { Type = KadMessageType.PutValue, Key = new byte[20], Record = new KadRecord(new byte[20], new byte[1000]) };
        Assert.Throws<ArgumentException>(() => KadMessageCodec.WriteFrame(new ArrayBufferWriter<byte>(), huge, maxMessageSize: 512));
    }

    [Theory]
    [InlineData("0a00", KadMessageError.WrongWireType)]                    // type as LEN
    [InlineData("0806", KadMessageError.UnknownMessageType)]               // type 6
    [InlineData("08ffffffffffffffffff7f", KadMessageError.MalformedProtobuf)] // varint over 10 bytes
    [InlineData("1205ab", KadMessageError.MalformedProtobuf)]              // key longer than the body
    [InlineData("1001", KadMessageError.WrongWireType)]                    // key as varint
    [InlineData("4200", KadMessageError.InvalidPeerId)]                    // closer peer without id
    [InlineData("42030a01ff", KadMessageError.InvalidPeerId)]              // closer peer with a non-multihash id
    [InlineData("4a021801", KadMessageError.InvalidPeerId)]                // provider: connection only
    [InlineData("1a021202", KadMessageError.MalformedProtobuf)]            // record value truncated
    [InlineData("1a022a01", KadMessageError.MalformedProtobuf)]            // record time truncated
    [InlineData("1a032a01ff", KadMessageError.InvalidUtf8)]                // timeReceived not UTF-8
    [InlineData("7b", KadMessageError.MalformedProtobuf)]                  // unknown field 15: start group without end
    [InlineData("00", KadMessageError.MalformedProtobuf)]                  // field number 0
    [InlineData("7f", KadMessageError.MalformedProtobuf)]                  // unknown field 15 with wire type 7
    public void Malformed_bodies_are_invalid_data_with_a_reason(string bodyHex, KadMessageError expected)
    {
        var buffer = new ReadOnlySequence<byte>(Frame(bodyHex));
        long before = buffer.Length;
        Assert.Equal(OperationStatus.InvalidData, KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? m, out KadMessageError e));
        Assert.Equal(expected, e);
        Assert.Null(m);
        Assert.Equal(before, buffer.Length);
    }

    [Fact]
    public void Invalid_multiaddrs_are_dropped_but_the_peer_is_kept()
    {
        byte[] id = Hex.Decode(KadMessageVectors.Sha256PeerId);
        byte[] good = Multiaddr.Parse("/ip4/1.2.3.4/tcp/5").ToArray();
        byte[] bad = [0x04, 0x01]; // ip4 cut short
        byte[] peer = [0x0a, (byte)id.Length, .. id, 0x12, (byte)bad.Length, .. bad, 0x12, (byte)good.Length, .. good];
        KadMessage m = Decode(Frame(Hex.Encode([0x42, (byte)peer.Length, .. peer])));
        Assert.Equal(Multiaddr.Parse("/ip4/1.2.3.4/tcp/5"), Assert.Single(Assert.Single(m.CloserPeers).Addresses));
    }

    [Fact]
    public void Too_many_peers_or_addresses_are_refused_while_decoding()
    {
        byte[] id = Hex.Decode(KadMessageVectors.Sha256PeerId);
        byte[] peer = [0x0a, (byte)id.Length, .. id];
        var w = new ArrayBufferWriter<byte>();
        for (int i = 0; i <= KadMessageCodec.MaxPeersPerList; i++)
        {
            w.Write<byte>([0x42, (byte)peer.Length]);
            w.Write(peer);
        }
        var buffer = new ReadOnlySequence<byte>(Frame(Hex.Encode(w.WrittenSpan)));
        Assert.Equal(OperationStatus.InvalidData, KadMessageCodec.TryReadFrame(ref buffer, out _, out KadMessageError e));
        Assert.Equal(KadMessageError.TooManyEntries, e);

        byte[] addr = Multiaddr.Parse("/ip4/1.2.3.4/tcp/5").ToArray();
        var p = new ArrayBufferWriter<byte>();
        p.Write(peer);
        for (int i = 0; i <= KadMessageCodec.MaxAddressesPerPeer; i++)
        {
            p.Write<byte>([0x12, (byte)addr.Length]);
            p.Write(addr);
        }
        byte[] bigPeer = p.WrittenSpan.ToArray();
        var body = new ArrayBufferWriter<byte>();
        body.Write<byte>([0x42]);
        Uvarint.Write(body, (ulong)bigPeer.Length);
        body.Write(bigPeer);
        buffer = new ReadOnlySequence<byte>(Frame(Hex.Encode(body.WrittenSpan)));
        Assert.Equal(OperationStatus.InvalidData, KadMessageCodec.TryReadFrame(ref buffer, out _, out e));
        Assert.Equal(KadMessageError.TooManyEntries, e);
    }

    [Fact]
    public void Negative_cluster_level_uses_ten_byte_varint_like_protobuf_int32()
    {
        var m = new KadMessage { Type = KadMessageType.FindNode, ClusterLevelRaw = -1 };
        byte[] frame = KadMessageCodec.ToFrame(m);
        Assert.Equal(1 + 2 + 11, frame.Length);
        Assert.Equal(-1, Decode(frame).ClusterLevelRaw);
        Assert.Equal(-1, Ref.Message.Parser.ParseFrom(frame.AsSpan(1)).ClusterLevelRaw);
    }
}
