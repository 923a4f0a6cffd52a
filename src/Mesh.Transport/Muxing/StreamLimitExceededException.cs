namespace Mesh.Transport.Muxing;

/// <summary>
/// Opening a stream failed because a per-connection limit is reached (unacknowledged-stream backlog, concurrent
/// stream limit, stream id space). The connection itself is fine; the backlog kind clears as the peer acknowledges
/// streams, so callers may retry later.
/// </summary>
public class StreamLimitExceededException : IOException
{
    public StreamLimitExceededException(string message)
        : base(message)
    {
    }
}
