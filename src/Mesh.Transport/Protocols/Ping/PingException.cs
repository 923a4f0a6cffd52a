using Mesh.Multistream;

namespace Mesh.Transport.Protocols.Ping;

/// <summary>The ping peer answered wrongly (different bytes, short echo).</summary>
public sealed class PingException(string message) : MeshProtocolException(message);
