using System.Diagnostics.CodeAnalysis;
using Mesh.Multistream;

namespace Mesh.Kademlia.Libp2p.Messages;

/// <summary>
/// A peer broke the <c>/ipfs/kad/1.0.0</c> protocol: a malformed or oversized message, a request the protocol forbids
/// (PUT_VALUE whose record key differs from the message key, a missing key), or a response of the wrong type. The
/// stream it came on is reset; nothing else is affected.
/// </summary>
public sealed class KadProtocolException : MeshProtocolException
{
    public KadProtocolException(KadMessageError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>The codec's reason, or <see cref="KadMessageError.None"/> for a semantic violation.</summary>
    public KadMessageError Error { get; }

    [DoesNotReturn]
    public static void Throw(KadMessageError error, string message) => throw new KadProtocolException(error, message);

    [DoesNotReturn]
    public static void ThrowInvalid(string message) => throw new KadProtocolException(KadMessageError.None, message);
}
