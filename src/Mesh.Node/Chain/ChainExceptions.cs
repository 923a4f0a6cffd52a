using System.Diagnostics.CodeAnalysis;
using Mesh.Multistream;

namespace Mesh.Node.Chain;

/// <summary>
/// Base of every typed error the chain client raises for something the chain (or the connection to it) did: a
/// JSON-RPC error object, a timeout, a dropped connection, bytes that do not decode, a failed extrinsic. It derives
/// from <see cref="MeshProtocolException"/> because all of these are "the remote side sent something we cannot use",
/// which is exactly what callers (a node loop, a fuzz target) catch without catching bugs.
/// </summary>
public class ChainException : MeshProtocolException
{
    public ChainException(string message)
        : base(message)
    {
    }

    public ChainException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The node answered a JSON-RPC request with an error object (JSON-RPC 2.0 §5.1).</summary>
public sealed class ChainRpcException : ChainException
{
    public ChainRpcException(string method, int code, string rpcMessage, string? data)
        : base($"{method}: JSON-RPC error {code}: {rpcMessage}{(data is null ? "" : " (" + data + ")")}")
    {
        Method = method;
        Code = code;
        RpcMessage = rpcMessage;
        Data = data;
    }

    public string Method { get; }

    /// <summary>The JSON-RPC error code, e.g. -32601 (method not found) or 1010 (invalid transaction).</summary>
    public int Code { get; }

    /// <summary>The error object's <c>message</c>.</summary>
    public string RpcMessage { get; }

    /// <summary>The error object's <c>data</c> as raw JSON text, when present.</summary>
    public new string? Data { get; }

    /// <summary>Substrate's "invalid transaction" code (1010): the pool refused the extrinsic before any block.</summary>
    public const int InvalidTransaction = 1010;

    /// <summary>Substrate's "unknown transaction validity" code (1011).</summary>
    public const int UnknownTransaction = 1011;
}

/// <summary>A request (or a wait for a subscription notification) did not complete in its time budget.</summary>
public sealed class ChainTimeoutException : ChainException
{
    public ChainTimeoutException(string operation, TimeSpan timeout)
        : base($"{operation}: no answer from the chain within {timeout.TotalSeconds:0.###} s")
    {
        Operation = operation;
        Timeout = timeout;
    }

    public string Operation { get; }

    public TimeSpan Timeout { get; }
}

/// <summary>The connection to the node failed, closed, or could not be (re-)established.</summary>
public sealed class ChainConnectionException : ChainException
{
    public ChainConnectionException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Bytes or JSON from the chain that do not decode: truncated or overlong SCALE, a non-canonical compact integer, a
/// malformed JSON-RPC frame, metadata of an unsupported version, a value of the wrong shape.
/// </summary>
public sealed class ChainDecodeException : ChainException
{
    public ChainDecodeException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// An extrinsic was included in a block but its dispatch failed (<c>System.ExtrinsicFailed</c>). The dispatch error
/// is resolved against the runtime metadata, so a module error carries the pallet's own error name and docs.
/// </summary>
public sealed class ExtrinsicFailedException : ChainException
{
    public ExtrinsicFailedException(string pallet, string error, string docs, string blockHash, int extrinsicIndex)
        : base($"extrinsic {blockHash}-{extrinsicIndex} failed: {pallet}.{error}{(docs.Length == 0 ? "" : ": " + docs)}")
    {
        Pallet = pallet;
        Error = error;
        Docs = docs;
        BlockHash = blockHash;
        ExtrinsicIndex = extrinsicIndex;
    }

    /// <summary>The pallet name (e.g. <c>Network</c>), or <c>System</c>/<c>DispatchError</c> for non-module errors.</summary>
    public string Pallet { get; }

    /// <summary>The error variant name (e.g. <c>InvalidPeerId</c>, <c>BadOrigin</c>).</summary>
    public string Error { get; }

    /// <summary>The error's doc comment from the metadata, joined into one line (may be empty).</summary>
    public string Docs { get; }

    public string BlockHash { get; }

    public int ExtrinsicIndex { get; }
}

/// <summary>Throw helpers kept out of line so that decoding loops stay small.</summary>
internal static class ChainThrow
{
    [DoesNotReturn]
    public static void Decode(string message) => throw new ChainDecodeException(message);

    [DoesNotReturn]
    public static T Decode<T>(string message) => throw new ChainDecodeException(message);

    [DoesNotReturn]
    public static void Truncated(int needed, int remaining) =>
        throw new ChainDecodeException($"SCALE input truncated: needed {needed} byte(s), {remaining} left");
}
