namespace Mesh.Transport.Yamux;

/// <summary>
/// One entry of the session's write queue: either a stream that has something to send (its data, window update, FIN
/// or RST is computed when the write loop gets to it, so one entry covers everything the stream has pending), or a
/// ready control frame (ping, pong, GoAway, RST refusing an inbound stream).
/// </summary>
internal readonly struct YamuxWriteItem
{
    public YamuxWriteItem(YamuxStream stream)
    {
        Stream = stream;
        Header = default;
        CountsAgainstLimit = false;
    }

    public YamuxWriteItem(in YamuxHeader header, bool countsAgainstLimit)
    {
        Stream = null;
        Header = header;
        CountsAgainstLimit = countsAgainstLimit;
    }

    public YamuxStream? Stream { get; }

    public YamuxHeader Header { get; }

    /// <summary>False only for the GoAway queued while shutting down, which bypasses the control-frame limit.</summary>
    public bool CountsAgainstLimit { get; }
}
