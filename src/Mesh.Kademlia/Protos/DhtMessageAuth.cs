using Mesh.Transport.Rpc.Auth;

namespace Mesh.Kademlia.Protocol;

// The DHT requests and responses carry mesh's auth field (1: RequestAuthInfo / ResponseAuthInfo); declaring the
// interfaces on the generated partial classes lets the RPC authorizers sign and validate them (mesh's
// AuthorizedRequestBase / AuthorizedResponseBase). The generated Auth properties implement them.

public sealed partial class PingRequest : IAuthorizedRequest;

public sealed partial class PingResponse : IAuthorizedResponse;

public sealed partial class StoreRequest : IAuthorizedRequest;

public sealed partial class StoreResponse : IAuthorizedResponse;

public sealed partial class FindRequest : IAuthorizedRequest;

public sealed partial class FindResponse : IAuthorizedResponse;
