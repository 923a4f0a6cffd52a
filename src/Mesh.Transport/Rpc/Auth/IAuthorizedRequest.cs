using Google.Protobuf;

namespace Mesh.Transport.Rpc.Auth;

/// <summary>
/// A request protobuf with mesh's <c>RequestAuthInfo auth = 1</c> field (mesh <c>AuthorizedRequestBase</c>): what an
/// <c>IRpcAuthorizer</c> signs and validates. Generated messages get it from a one-line partial declaration,
/// e.g. <c>public sealed partial class FindRequest : IAuthorizedRequest;</c>: the generated <c>Auth</c> property
/// implements it.
/// </summary>
public interface IAuthorizedRequest : IMessage
{
    /// <summary>The auth info; null when the field is absent.</summary>
    RequestAuthInfo Auth { get; set; }
}

/// <summary>A response protobuf with mesh's <c>ResponseAuthInfo auth = 1</c> field (mesh <c>AuthorizedResponseBase</c>).</summary>
public interface IAuthorizedResponse : IMessage
{
    /// <summary>The auth info; null when the field is absent.</summary>
    ResponseAuthInfo Auth { get; set; }
}
