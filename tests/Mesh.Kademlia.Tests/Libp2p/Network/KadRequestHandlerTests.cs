using System.Buffers;
using System.IO.Pipelines;
using Mesh.Kademlia.Libp2p;
using Mesh.Kademlia.Libp2p.Messages;
using Mesh.Kademlia.Libp2p.Records;
using Mesh.Multistream;
using Mesh.Transport.Host;
using Mesh.Transport.Identity;
using Mesh.Transport;
using Mesh.Transport.Muxing;

namespace Mesh.Kademlia.Tests.Libp2p.Network;

/// <summary>
/// The server side of /ipfs/kad/1.0.0 driven with raw bytes over a real stream: several requests per stream, and bad
/// input (oversized, malformed, forbidden requests) that resets only the offending stream while the node keeps serving.
/// </summary>
public sealed class KadRequestHandlerTests
{
    private static CancellationToken Timeout(int seconds = 60)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts.Token;
    }

    private static async Task<(MeshHost Server, KadDht Dht, MeshHost Client)> StartAsync()
    {
        (MeshHost server, KadDht dht) = await KadSwarm.StartNodeAsync();
        var client = new MeshHost();
        await client.ConnectAsync(server.GetFullListenAddresses()[0]);
        return (server, dht, client);
    }

    private static async Task<MeshStream> OpenAsync(MeshHost client, MeshHost server, CancellationToken ct) =>
        await client.OpenStreamAsync(server.PeerId, [KadDhtOptions.DefaultProtocolId], ct);

    private static async Task<KadMessage?> RoundTripAsync(MeshStream stream, KadMessage request, CancellationToken ct)
    {
        KadMessageCodec.WriteFrame(stream.Output, request);
        await stream.Output.FlushAsync(ct);
        return await ReadAsync(stream.Input, ct);
    }

    private static async Task<KadMessage?> ReadAsync(PipeReader input, CancellationToken ct)
    {
        while (true)
        {
            ReadResult r = await input.ReadAsync(ct);
            ReadOnlySequence<byte> buffer = r.Buffer;
            if (KadMessageCodec.TryReadFrame(ref buffer, out KadMessage? m, out _) == OperationStatus.Done)
            {
                input.AdvanceTo(buffer.Start);
                return m;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (r.IsCompleted)
            {
                return null;
            }
        }
    }

    // The stream was reset by the server: reading fails or ends without an answer.
    private static async Task AssertResetAsync(MeshStream stream, CancellationToken ct)
    {
        try
        {
            Assert.Null(await ReadAsync(stream.Input, ct));
        }
        catch (Exception ex) when (ex is StreamResetException or IOException or ConnectionResetException)
        {
        }
    }

    private static async Task AssertStillServesAsync(MeshHost client, MeshHost server, CancellationToken ct)
    {
        await using MeshStream fresh = await OpenAsync(client, server, ct);
        KadMessage? pong = await RoundTripAsync(fresh, new KadMessage { Type = KadMessageType.FindNode, Key = client.PeerId.ToByteArray() }, ct);
        Assert.Equal(KadMessageType.FindNode, pong!.Type);
    }

    [Fact]
    public async Task Several_requests_on_one_stream_are_answered_in_order()
    {
        CancellationToken ct = Timeout();
        (MeshHost server, KadDht dht, MeshHost client) = await StartAsync();
        await using (dht)
        await using (server)
        await using (client)
        {
            await using MeshStream stream = await OpenAsync(client, server, ct);
            KadMessage? find = await RoundTripAsync(stream, new KadMessage { Type = KadMessageType.FindNode, Key = server.PeerId.ToByteArray() }, ct);
            // Asked for itself, the server lists itself with its listen addresses.
            KadPeer self = Assert.Single(find!.CloserPeers);
            Assert.Equal(server.PeerId, self.Id);
            Assert.Contains(server.ListenAddresses[0], self.Addresses);
            KadMessage put = new() { Type = KadMessageType.PutValue, Key = "/v/k"u8.ToArray(), Record = new KadRecord("/v/k"u8.ToArray(), "v1"u8.ToArray()) };
            KadMessage? echo = await RoundTripAsync(stream, put, ct);
            Assert.Equal("v1"u8.ToArray(), echo!.Record!.Value.ToArray());
            KadMessage? get = await RoundTripAsync(stream, new KadMessage { Type = KadMessageType.GetValue, Key = "/v/k"u8.ToArray(), ClusterLevelRaw = 7 }, ct);
            Assert.Equal("v1"u8.ToArray(), get!.Record!.Value.ToArray());
            Assert.NotNull(get.Record.TimeReceived);
            Assert.True(Rfc3339.TryParse(get.Record.TimeReceived, out _));
            Assert.Equal(7, get.ClusterLevelRaw);
            KadMessage? ping = await RoundTripAsync(stream, new KadMessage { Type = KadMessageType.Ping }, ct);
            Assert.Equal(KadMessageType.Ping, ping!.Type);
        }
    }

    [Fact]
    public async Task Oversized_length_prefix_resets_the_stream_before_the_body_arrives()
    {
        CancellationToken ct = Timeout();
        (MeshHost server, KadDht dht, MeshHost client) = await StartAsync();
        await using (dht)
        await using (server)
        await using (client)
        {
            MeshStream stream = await OpenAsync(client, server, ct);
            byte[] prefix = new byte[9];
            Uvarint.TryWrite(prefix, KadMessageCodec.DefaultMaxMessageSize + 1UL, out int n);
            await stream.Output.WriteAsync(prefix.AsMemory(0, n), ct);
            await AssertResetAsync(stream, ct);
            stream.Reset();
            await AssertStillServesAsync(client, server, ct);
        }
    }

    [Theory]
    [InlineData("0806")]                 // unknown message type
    [InlineData("1205ab")]               // truncated key
    [InlineData("0801")]                 // GET_VALUE without a key
    [InlineData("0803120101")]           // GET_PROVIDERS whose key is not a multihash
    [InlineData("120101")]               // PUT_VALUE without a record
    [InlineData("1202ffff1a060a02aaaa1200")] // PUT_VALUE whose record key differs from the message key
    [InlineData("12042f782f791a0a0a042f782f7912020101")] // PUT_VALUE in a namespace without a validator (/x/y)
    public async Task Bad_requests_reset_only_their_stream(string bodyHex)
    {
        CancellationToken ct = Timeout();
        (MeshHost server, KadDht dht, MeshHost client) = await StartAsync();
        await using (dht)
        await using (server)
        await using (client)
        {
            MeshStream stream = await OpenAsync(client, server, ct);
            byte[] body = Convert.FromHexString(bodyHex);
            await stream.Output.WriteAsync(new byte[] { (byte)body.Length }, ct);
            await stream.Output.WriteAsync(body, ct);
            await AssertResetAsync(stream, ct);
            stream.Reset();
            await AssertStillServesAsync(client, server, ct);
            Assert.Equal(0, dht.Records.Count);
        }
    }

    [Fact]
    public async Task Add_provider_stores_only_the_senders_own_entry()
    {
        CancellationToken ct = Timeout();
        (MeshHost server, KadDht dht, MeshHost client) = await StartAsync();
        await using (dht)
        await using (server)
        await using (client)
        {
            byte[] key = Multihash.ComputeSha2_256("x"u8);
            PeerId someoneElse = PrivateKey.Generate(KeyType.Ed25519).PeerId;
            Multiaddr addr = Multiaddr.Parse("/ip4/127.0.0.1/tcp/9");
            var message = new KadMessage
            {
                Type = KadMessageType.AddProvider,
                Key = key,
                ProviderPeers =
                [
                    new KadPeer(someoneElse, [addr]),
                    new KadPeer(client.PeerId, []),                                // no address: ignored (go, js)
                    new KadPeer(client.PeerId, [addr.WithPeerId(client.PeerId.Bytes)]),
                ],
            };
            await using (MeshStream stream = await OpenAsync(client, server, ct))
            {
                KadMessageCodec.WriteFrame(stream.Output, message);
                await stream.Output.FlushAsync(ct);
                await stream.Output.CompleteAsync();
                Assert.Null(await ReadAsync(stream.Input, ct)); // no answer, a clean end
            }
            var providers = dht.Providers.Get(key);
            var only = Assert.Single(providers);
            Assert.Equal(client.PeerId, only.Provider);
            Assert.Equal(addr, Assert.Single(only.Addresses)); // stored without /p2p
        }
    }
}
