namespace Mesh.Transport.Rpc;

/// <summary>Limits and wire behaviour shared by <see cref="Servicer.RpcServicer"/> and <see cref="RpcClient"/>.</summary>
public sealed record RpcOptions
{
    /// <summary>The largest message size limit that may be configured (1 GiB: frames are assembled in one array).</summary>
    public const int MaxMessageSizeLimit = 1 << 30;

    /// <summary>The default options.</summary>
    public static RpcOptions Default { get; } = new();

    /// <summary>
    /// Largest unary envelope (the <c>PersistentConnectionRequest</c> without its length prefix), in both directions:
    /// p2pd's <c>persistentConnMaxMsgSize</c>, 4 MiB, which Python passes to its daemon. A request over it is refused
    /// before anything is sent; a peer's envelope over it is rejected from its length prefix; a response over it is
    /// replaced by <see cref="RpcWireErrors.ResponseTooLarge"/>.
    /// </summary>
    public int MaxUnaryMessageSize { get; init; } = Unary.UnaryEnvelopeCodec.DefaultMaxMessageSize;

    /// <summary>Largest payload of one streaming frame, in both directions (Python has no limit; 4 MiB by default).</summary>
    public int MaxStreamMessageSize { get; init; } = Streaming.StreamFrameCodec.DefaultMaxMessageSize;

    /// <summary>
    /// Requests a streaming servicer reads ahead of its handler (mesh <c>max_prefetch</c>, 5). When they are queued, the
    /// servicer stops reading, so the caller's sends back up through the transport's flow control.
    /// </summary>
    public int StreamPrefetch { get; init; } = 5;

    /// <summary>
    /// The unary error text sent when an authorizer rejects a request, or a handler returns no response. Default:
    /// <see cref="RpcWireErrors.RequestRejected"/>, the bytes a Python servicer sends.
    /// </summary>
    public string RejectedRequestError { get; init; } = RpcWireErrors.RequestRejected;

    /// <summary>
    /// Text of a unary <c>error</c> reply for a handler exception. Default: <see cref="RpcWireErrors.FormatException"/>
    /// (Python's <c>repr(e)</c> shape). An <see cref="RpcHandlerErrorException"/> always sends its own text.
    /// </summary>
    public Func<Exception, string> FormatUnaryError { get; init; } = RpcWireErrors.FormatException;

    /// <summary>
    /// Text of a streaming <c>RPCError</c> frame for a handler exception. Default: the exception message (Python sends
    /// <c>str(e)</c>). An <see cref="RpcHandlerErrorException"/> always sends its own text.
    /// </summary>
    public Func<Exception, string> FormatStreamError { get; init; } = static e => e.Message;

    /// <summary>Makes call ids (tests pin them to reproduce golden frames). Default: random UUIDv4, as Python's <c>uuid4()</c>.</summary>
    internal Func<Guid>? CallIdFactory { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxUnaryMessageSize, 64, nameof(MaxUnaryMessageSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxUnaryMessageSize, MaxMessageSizeLimit, nameof(MaxUnaryMessageSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxStreamMessageSize, nameof(MaxStreamMessageSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxStreamMessageSize, MaxMessageSizeLimit, nameof(MaxStreamMessageSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(StreamPrefetch, nameof(StreamPrefetch));
        ArgumentNullException.ThrowIfNull(RejectedRequestError);
        ArgumentNullException.ThrowIfNull(FormatUnaryError);
        ArgumentNullException.ThrowIfNull(FormatStreamError);
    }
}

/// <summary>
/// Thrown by a handler to send exactly <see cref="WireMessage"/> as the error (unary <c>error</c> bytes or streaming
/// <c>RPCError.message</c>), bypassing the formatters in <see cref="RpcOptions"/>.
/// </summary>
public sealed class RpcHandlerErrorException : Exception
{
    public RpcHandlerErrorException(string wireMessage)
        : base(wireMessage)
    {
        WireMessage = wireMessage;
    }

    public string WireMessage { get; }
}
