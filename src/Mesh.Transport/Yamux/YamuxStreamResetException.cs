using Mesh.Transport.Muxing;

namespace Mesh.Transport.Yamux;

/// <summary>A yamux stream was reset (RST) by this side or by the peer.</summary>
public sealed class YamuxStreamResetException : StreamResetException
{
    public YamuxStreamResetException(uint streamId, bool isRemote, uint errorCode = 0)
        : base(isRemote
            ? $"yamux stream {streamId} was reset by the peer" + (errorCode != 0 ? $" (error code {errorCode})" : "")
            : $"yamux stream {streamId} was reset", isRemote)
    {
        StreamId = streamId;
        ErrorCode = errorCode;
    }

    public uint StreamId { get; }

    /// <summary>
    /// The error code a peer's WindowUpdate+RST carried in its length field (go-yamux's ResetWithError); 0 otherwise.
    /// </summary>
    public uint ErrorCode { get; }
}
