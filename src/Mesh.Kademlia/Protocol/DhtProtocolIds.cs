using Mesh.Transport.Rpc;

namespace Mesh.Kademlia.Protocol;

/// <summary>
/// The mesh DHT's three unary RPCs (mesh-reference §1.2): handler names <c>DHTProtocol.rpc_*</c>, which are also the
/// literal libp2p protocol ids (no leading <c>/</c>, no version), over the p2pd unary envelope.
/// </summary>
public static class DhtProtocolIds
{
    public const string Ping = "DHTProtocol.rpc_ping";

    public const string Store = "DHTProtocol.rpc_store";

    public const string Find = "DHTProtocol.rpc_find";

    public static RpcMethod<PingRequest, PingResponse> PingMethod { get; } = RpcMethod.Unary(Ping, PingRequest.Parser, PingResponse.Parser);

    public static RpcMethod<StoreRequest, StoreResponse> StoreMethod { get; } = RpcMethod.Unary(Store, StoreRequest.Parser, StoreResponse.Parser);

    public static RpcMethod<FindRequest, FindResponse> FindMethod { get; } = RpcMethod.Unary(Find, FindRequest.Parser, FindResponse.Parser);
}
