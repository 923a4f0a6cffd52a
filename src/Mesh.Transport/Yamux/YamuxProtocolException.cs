using System.Diagnostics.CodeAnalysis;
using Mesh.Multistream;

namespace Mesh.Transport.Yamux;

/// <summary>
/// The peer violated the yamux protocol. The session that detects it sends GoAway(protocol error), ends, and faults its
/// <see cref="YamuxSession.Completion"/> with this exception.
/// </summary>
public sealed class YamuxProtocolException : MeshProtocolException
{
    public YamuxProtocolException(YamuxError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>The specific violation.</summary>
    public YamuxError Error { get; }

    /// <summary>The GoAway code this error maps to on the wire (always <see cref="YamuxGoAwayCode.ProtocolError"/>).</summary>
    public YamuxGoAwayCode GoAwayCode => YamuxGoAwayCode.ProtocolError;

    [DoesNotReturn]
    internal static void Throw(YamuxError error) => throw new YamuxProtocolException(error, Describe(error));

    [DoesNotReturn]
    internal static void Throw(YamuxError error, string detail) =>
        throw new YamuxProtocolException(error, Describe(error) + ": " + detail);

    internal static string Describe(YamuxError error) => error switch
    {
        YamuxError.InvalidVersion => "yamux frame has an unsupported version (only 0 exists)",
        YamuxError.InvalidFrameType => "yamux frame has an unknown type",
        YamuxError.InvalidStreamId => "yamux frame uses a stream id its type does not allow",
        YamuxError.WrongStreamIdParity => "peer opened a yamux stream with an id of our parity",
        YamuxError.DuplicateStream => "peer opened a yamux stream whose id is still open",
        YamuxError.ReusedStreamId => "peer opened a yamux stream with an id it already used",
        YamuxError.ReceiveWindowExceeded => "peer sent more yamux data than the stream's receive window",
        YamuxError.SendWindowOverflow => "peer's yamux window updates overflow the send window",
        YamuxError.InvalidPingFlags => "yamux ping has neither SYN nor ACK",
        _ => "yamux protocol error",
    };
}
