using Mesh.Transport.Rpc.Auth;

namespace Mesh.Transport.Tests.Rpc.Messages
{
    public sealed partial class EchoRequest : IAuthorizedRequest;

    public sealed partial class EchoResponse : IAuthorizedResponse;
}

namespace Mesh.Kademlia.Protocol
{
    // As in src/Mesh.Kademlia/Protos/DhtMessageAuth.cs, for the copy of the DHT messages compiled into this test assembly.
    public sealed partial class PingRequest : IAuthorizedRequest;

    public sealed partial class PingResponse : IAuthorizedResponse;

    public sealed partial class StoreRequest : IAuthorizedRequest;

    public sealed partial class StoreResponse : IAuthorizedResponse;

    public sealed partial class FindRequest : IAuthorizedRequest;

    public sealed partial class FindResponse : IAuthorizedResponse;
}
