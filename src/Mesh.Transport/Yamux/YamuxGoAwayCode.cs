namespace Mesh.Transport.Yamux;

/// <summary>The error codes a GoAway frame carries in its length field (hashicorp/yamux spec.md, "Session termination").</summary>
public enum YamuxGoAwayCode : uint
{
    Normal = 0,
    ProtocolError = 1,
    InternalError = 2,
}
