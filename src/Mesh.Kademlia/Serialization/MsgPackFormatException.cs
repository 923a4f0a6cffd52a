using Mesh.Multistream;

namespace Mesh.Kademlia.Serialization;

/// <summary>
/// Bad msgpack from a peer: truncated or malformed data, an unsupported construct (an int map key, an unhashable
/// subkey), a depth or length limit exceeded, or trailing bytes where the whole buffer must be one value. It is the
/// only exception the msgpack decoder raises for content, so callers (rpc handlers, fuzz targets) catch this type.
/// </summary>
public sealed class MsgPackFormatException : MeshProtocolException
{
    public MsgPackFormatException(string message)
        : base(message)
    {
    }

    public MsgPackFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
