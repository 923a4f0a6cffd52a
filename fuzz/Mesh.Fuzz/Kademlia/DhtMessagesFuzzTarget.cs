using Google.Protobuf;
using Mesh.Kademlia.Keys;
using Mesh.Kademlia.Protocol;
using Mesh.Kademlia.Storage;
using Mesh.Kademlia.Validation;
using Mesh.Transport.Identity;
using Mesh.Transport.Rpc;

namespace Mesh.Fuzz.Kademlia;

/// <summary>
/// The mesh DHT protobufs as a servicer receives them (<c>DHTProtocol.rpc_ping|store|find</c>), through the handler
/// path with a fake caller. The first input byte picks the RPC (low 2 bits) and the caller (bit 2: one of two fixed
/// peers); the rest is the request body. A body the generated parser rejects is what the RPC layer answers with a
/// DecodeError; a parsed request must either be answered or refused with a <see cref="DhtProtocolException"/>, and an
/// answer must be aligned with the request (one store_ok or one result per key, at most bucket_size neighbours, never
/// the requester) and every entry reported stored must be findable. One node (a signature validator, a fixed clock,
/// small per-peer quotas) serves every input, so state accumulates as it would on a long-running node.
/// </summary>
public sealed class DhtMessagesFuzzTarget : IFuzzTarget
{
    private static readonly PeerId[] s_callers = [Ed25519PrivateKey.FromSeed(new byte[32]).PeerId, Ed25519PrivateKey.FromSeed([.. Enumerable.Repeat((byte)1, 32)]).PeerId];
    private static readonly Lazy<DhtProtocol> s_node = new(CreateNode);

    public string Name => "dht-messages";

    private static DhtProtocol CreateNode()
    {
        var network = new InMemoryDhtNetwork();
        InMemoryDhtTransport endpoint = network.CreateEndpoint(Ed25519PrivateKey.FromSeed([.. Enumerable.Repeat((byte)7, 32)]).PeerId);
        var options = new DhtProtocolOptions
        {
            Clock = DhtClock.FromFunction(static () => 1_700_000_000.25),
            BucketSize = 4,
            MaxKeysPerRequest = 64,
            MaxStoredRecordsPerPeer = 256,
            MaxCachedRecordsPerPeer = 64,
            CacheSize = 64,
            WaitTimeout = TimeSpan.FromMilliseconds(50),
        };
        var protocol = new DhtProtocol(endpoint, DhtId.Generate("fuzz node"), options, [new SignatureValidator(Ed25519PrivateKey.FromSeed([.. Enumerable.Repeat((byte)9, 32)]))]);
        // A few routing entries so that finds answer with neighbours.
        for (int i = 0; i < 8; i++)
        {
            protocol.HandlePingAsync(new PingRequest { Peer = new NodeInfo { NodeId = ByteString.CopyFrom(DhtId.Generate($"peer{i}").ToBytes()) } },
                new RpcContext(DhtProtocolIds.Ping, endpoint.LocalPeer, Ed25519PrivateKey.FromSeed([.. Enumerable.Repeat((byte)(20 + i), 32)]).PeerId, CancellationToken.None))
                .AsTask().GetAwaiter().GetResult();
        }
        protocol.FlushRoutingAsync().GetAwaiter().GetResult();
        return protocol;
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        DhtProtocol node = s_node.Value;
        PeerId caller = s_callers[(input[0] >> 2) & 1];
        byte[] body = input[1..].ToArray();
        try
        {
            switch (input[0] & 3)
            {
                case 0:
                    Ping(node, caller, body);
                    break;
                case 1:
                    Store(node, caller, body);
                    break;
                default:
                    Find(node, caller, body);
                    break;
            }
        }
        catch (InvalidProtocolBufferException)
        {
            // The RPC layer answers these with DecodeError before any handler runs.
        }
        catch (DhtProtocolException)
        {
            // A malformed request: an error reply, nothing changed.
        }
    }

    private static RpcContext Context(string method, DhtProtocol node, PeerId caller) => new(method, node.PeerId, caller, CancellationToken.None);

    private static void Ping(DhtProtocol node, PeerId caller, byte[] body)
    {
        PingRequest request = PingRequest.Parser.ParseFrom(body);
        PingResponse response = node.HandlePingAsync(request, Context(DhtProtocolIds.Ping, node, caller)).AsTask().GetAwaiter().GetResult();
        if (!response.Peer.NodeId.Span.SequenceEqual(node.NodeId.ToBytes()) || response.Available && request.Validate)
        {
            throw new InvalidOperationException("ping: wrong node info, or a fake caller reported available");
        }
    }

    private static void Store(DhtProtocol node, PeerId caller, byte[] body)
    {
        StoreRequest request = StoreRequest.Parser.ParseFrom(body);
        StoreResponse response = node.HandleStoreAsync(request, Context(DhtProtocolIds.Store, node, caller)).AsTask().GetAwaiter().GetResult();
        if (response.StoreOk.Count != request.Keys.Count)
        {
            throw new InvalidOperationException($"store: {response.StoreOk.Count} verdicts for {request.Keys.Count} keys");
        }
        for (int i = 0; i < request.Keys.Count; i++)
        {
            if (response.StoreOk[i] && (!DhtId.TryFromBytes(request.Keys[i].Span, out DhtId key) || !node.Stores.TryFind(key, out _)))
            {
                throw new InvalidOperationException($"store: entry {i} reported stored but cannot be found");
            }
        }
    }

    private static void Find(DhtProtocol node, PeerId caller, byte[] body)
    {
        FindRequest request = FindRequest.Parser.ParseFrom(body);
        FindResponse response = node.HandleFindAsync(request, Context(DhtProtocolIds.Find, node, caller)).AsTask().GetAwaiter().GetResult();
        if (response.Results.Count != request.Keys.Count)
        {
            throw new InvalidOperationException($"find: {response.Results.Count} results for {request.Keys.Count} keys");
        }
        DhtId.TryFromBytes((request.Peer?.NodeId ?? ByteString.Empty).Span, out DhtId requester);
        foreach (FindResult result in response.Results)
        {
            if (result.NearestNodeIds.Count != result.NearestPeerIds.Count || result.NearestNodeIds.Count > node.Options.BucketSize)
            {
                throw new InvalidOperationException("find: neighbour lists not aligned or longer than bucket_size");
            }
            if (result.NearestNodeIds.Any(id => id.Span.SequenceEqual(requester.ToBytes())))
            {
                throw new InvalidOperationException("find: the requester is among its own neighbours");
            }
            if (result.Type == ResultType.FoundDictionary && !DhtProtocol.TryReadDictionary(result.Value.Memory, out _))
            {
                throw new InvalidOperationException("find: a dictionary answer does not decode");
            }
        }
    }
}
