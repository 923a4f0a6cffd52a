using System.Diagnostics.CodeAnalysis;
using Mesh.Node.Chain;

namespace Mesh.Node.LocalChain;

/// <summary>The local chain's file cannot be used (wrong schema, unreadable, inconsistent).</summary>
public sealed class LocalChainException(string message, Exception? innerException = null) : ChainException(message, innerException);

/// <summary>
/// Refusals of the local chain's calls, named and worded as the runtime's <c>Network</c> errors (RUNTIME.md §9) so a
/// verb reports the same <c>Network.AlreadyAttested</c> whichever chain it ran against.
/// </summary>
internal static class LocalChainRefusal
{
    [DoesNotReturn]
    public static void Throw(string error, string docs) =>
        throw new ExtrinsicFailedException("Network", error, docs, "0x" + new string('0', 64), -1);

    [DoesNotReturn]
    public static T Throw<T>(string error, string docs) =>
        throw new ExtrinsicFailedException("Network", error, docs, "0x" + new string('0', 64), -1);
}
