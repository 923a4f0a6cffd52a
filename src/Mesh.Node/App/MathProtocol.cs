using Google.Protobuf;
using Mesh.Kademlia.Serialization;
using Mesh.Transport.Rpc;
using Mesh.Transport.Rpc.Auth;
using Mesh.Transport.Rpc.Servicer;

namespace Mesh.Node.App;

public sealed partial class MathRequest : IAuthorizedRequest;

public sealed partial class MathResponse : IAuthorizedResponse;

public sealed partial class InfoRequest : IAuthorizedRequest;

public sealed partial class NodeData : IAuthorizedResponse;

/// <summary>A math operation the peer cannot compute (unknown op, division by zero); the caller gets the error text.</summary>
public sealed class MathProtocolException(string message) : Mesh.Multistream.MeshProtocolException(message);

/// <summary>
/// The sample application protocol of a subnet node (the template's <c>MathProtocol</c>): what a subnet builder's own
/// protocol looks like on MeshCore. Two unary RPCs under the template's ids, each behind the node's signature
/// authorizer (the template's app protocols use the <c>SignatureAuthorizer</c>, not proof of stake):
/// <c>MathProtocol.rpc_math</c> computes <c>a op b</c>, <c>MathProtocol.rpc_info</c> returns msgpack of a dict
/// describing the node. Register with <see cref="Serve"/>; call with <see cref="Math"/> / <see cref="Info"/> on a stub.
/// </summary>
public static class MathProtocol
{
    public static readonly RpcMethod<MathRequest, MathResponse> Math = RpcMethod.Unary("MathProtocol.rpc_math", MathRequest.Parser, MathResponse.Parser);

    public static readonly RpcMethod<InfoRequest, NodeData> Info = RpcMethod.Unary("MathProtocol.rpc_info", InfoRequest.Parser, NodeData.Parser);

    /// <summary>Serves both methods on <paramref name="servicer"/> behind <paramref name="authorizer"/>.</summary>
    public static void Serve(RpcServicer servicer, IRpcAuthorizer authorizer, Func<MsgValue> describeNode)
    {
        ArgumentNullException.ThrowIfNull(servicer);
        ArgumentNullException.ThrowIfNull(authorizer);
        ArgumentNullException.ThrowIfNull(describeNode);
        servicer.AddUnary(Math, (request, _) => ValueTask.FromResult(new MathResponse { Result = Compute(request.Op, request.A, request.B) }), authorizer);
        servicer.AddUnary(Info, (_, _) => ValueTask.FromResult(new NodeData { SerializedInfo = ByteString.CopyFrom(MsgPackSerializer.Serialize(describeNode())) }), authorizer);
    }

    /// <summary><paramref name="a"/> <paramref name="op"/> <paramref name="b"/>.</summary>
    /// <exception cref="MathProtocolException">Unknown operation, division by zero, or a non-finite result.</exception>
    public static double Compute(string op, double a, double b)
    {
        double result = op switch
        {
            "add" => a + b,
            "sub" => a - b,
            "mul" => a * b,
            "div" when b == 0 => throw new MathProtocolException("division by zero"),
            "div" => a / b,
            _ => throw new MathProtocolException($"unknown operation '{op}': use add, sub, mul or div"),
        };
        return double.IsFinite(result) ? result : throw new MathProtocolException("the result is not a finite number");
    }
}
