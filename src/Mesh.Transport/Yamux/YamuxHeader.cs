namespace Mesh.Transport.Yamux;

/// <summary>
/// One decoded yamux frame header. The meaning of <see cref="Length"/> depends on <see cref="Type"/>: payload size
/// (Data), window delta (WindowUpdate; an error code when RST is set), opaque value (Ping), error code (GoAway).
/// </summary>
public readonly record struct YamuxHeader(YamuxFrameType Type, YamuxFlags Flags, uint StreamId, uint Length)
{
    /// <summary>Every yamux header is exactly 12 bytes.</summary>
    public const int Size = 12;

    /// <summary>The only protocol version (the header's first byte).</summary>
    public const byte ProtocolVersion = 0;

    /// <summary>The stream id reserved for the session (Ping and GoAway).</summary>
    public const uint SessionId = 0;

    public static YamuxHeader Data(uint streamId, YamuxFlags flags, uint length) =>
        new(YamuxFrameType.Data, flags, streamId, length);

    public static YamuxHeader WindowUpdate(uint streamId, YamuxFlags flags, uint delta) =>
        new(YamuxFrameType.WindowUpdate, flags, streamId, delta);

    public static YamuxHeader Ping(YamuxFlags flags, uint opaque) =>
        new(YamuxFrameType.Ping, flags, SessionId, opaque);

    public static YamuxHeader GoAway(YamuxGoAwayCode code) =>
        new(YamuxFrameType.GoAway, YamuxFlags.None, SessionId, (uint)code);

    public override string ToString() => $"{Type} {Flags} stream={StreamId} length={Length}";
}
