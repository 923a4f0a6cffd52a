using System.Buffers;

namespace Mesh.Transport.Rpc.Unary;

/// <summary>Which member of the <c>PersistentConnectionRequest.message</c> oneof an envelope carries.</summary>
internal enum UnaryEnvelopeKind : byte
{
    /// <summary>None of the two peer-to-peer members: a daemon control message (addUnaryHandler, removeUnaryHandler, cancel) or nothing.</summary>
    Other = 0,

    /// <summary><c>callUnary</c>: a request from the caller.</summary>
    CallUnary = 3,

    /// <summary><c>unaryResponse</c>: the callee's reply.</summary>
    UnaryResponse = 4,
}

/// <summary>Which member of the <c>CallUnaryResponse.result</c> oneof a reply carries.</summary>
internal enum UnaryResultKind : byte
{
    /// <summary>Neither (a reply the daemon would pass on as "no result").</summary>
    None = 0,

    /// <summary><c>response</c>: the serialized response message.</summary>
    Response = 1,

    /// <summary><c>error</c>: UTF-8 error text (Python puts <c>repr(exception)</c> there).</summary>
    Error = 2,
}

/// <summary>
/// One decoded <c>PersistentConnectionRequest</c> as it travels between peers. Every field is a view into the buffer
/// it was decoded from (no copies), valid until the reader advances past it; parse <see cref="Data"/> or
/// <see cref="Result"/> before that.
/// </summary>
internal readonly struct UnaryEnvelope
{
    public UnaryEnvelope(UnaryEnvelopeKind kind, ReadOnlySequence<byte> callId, ReadOnlySequence<byte> peer, ReadOnlySequence<byte> proto,
        ReadOnlySequence<byte> data, UnaryResultKind resultKind, ReadOnlySequence<byte> result)
    {
        Kind = kind;
        CallId = callId;
        Peer = peer;
        Proto = proto;
        Data = data;
        ResultKind = resultKind;
        Result = result;
    }

    public UnaryEnvelopeKind Kind { get; }

    /// <summary>The call id (16 bytes from well-behaved peers; the callee checks).</summary>
    public ReadOnlySequence<byte> CallId { get; }

    /// <summary><c>callUnary.peer</c>: the target's peer id bytes as the caller wrote them (receivers ignore it).</summary>
    public ReadOnlySequence<byte> Peer { get; }

    /// <summary><c>callUnary.proto</c>: the handler name as UTF-8.</summary>
    public ReadOnlySequence<byte> Proto { get; }

    /// <summary><c>callUnary.data</c>: the serialized request message.</summary>
    public ReadOnlySequence<byte> Data { get; }

    public UnaryResultKind ResultKind { get; }

    /// <summary><c>unaryResponse.response</c> or <c>unaryResponse.error</c>, per <see cref="ResultKind"/>.</summary>
    public ReadOnlySequence<byte> Result { get; }
}
