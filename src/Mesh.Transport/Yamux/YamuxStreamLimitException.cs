using Mesh.Transport.Muxing;

namespace Mesh.Transport.Yamux;

/// <summary>Opening a yamux stream failed because of <see cref="Limit"/>; the session itself keeps running.</summary>
public sealed class YamuxStreamLimitException : StreamLimitExceededException
{
    public YamuxStreamLimitException(YamuxStreamLimit limit, int value)
        : base(limit switch
        {
            YamuxStreamLimit.AckBacklog => $"{value} outbound yamux streams are waiting for the peer's ACK; retry once it acknowledges some",
            YamuxStreamLimit.MaxOutboundStreams => $"{value} outbound yamux streams are already open",
            _ => "the yamux stream id space of this session is exhausted",
        })
    {
        Limit = limit;
    }

    public YamuxStreamLimit Limit { get; }
}
